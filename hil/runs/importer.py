"""Measurements people made by hand (a trtexec run, a tegrastats log) as results in the per-board history.

An imported result is stored with source = "import" and shown as imported; its figures are what the tool
printed, its budgets judged where the tool gives the figure and left unjudged (None) where it does not.
hil never invents a statistic: the latency's `n` is None (trtexec does not print how many queries its
statistics cover), `percentiles_from` says the tool computed the percentiles, and one it did not print
(p90 before TensorRT 8.5, a median missing from a pasted tail) stays None rather than taking the mean.
"""

from __future__ import annotations

from hil.errors import ParseError
from hil.measure.budgets import Budgets, verdicts
from hil.parsers.tegrastats import TegrastatsReport
from hil.parsers.trtexec import TrtexecInvocation, TrtexecReport
from hil.platforms.orin import total_input_mw
from hil.records import JobResult, LatencyStats, Precision


def _precision(invocation: TrtexecInvocation) -> Precision:
    # `--int8 --fp16` builds may run layers in either; the lowest precision enabled names the engine.
    if invocation.precision is None:
        raise ParseError(
            "the trtexec log runs a built engine (--loadEngine): its precision is not in the log",
            hint="say which precision the engine was built at: --precision fp32|fp16|int8",
        )
    for name in ("int8", "fp16"):
        if name in invocation.precision:
            return name
    return "fp32"


def from_trtexec(
    report: TrtexecReport,
    board: str,
    platform: str,
    model: str,
    precision: Precision | None,
    budgets: Budgets,
) -> JobResult:
    """The last passed invocation's GPU compute time as device latency, its throughput as fps."""
    passed = [i for i in report.invocations if i.status == "passed"]
    if not passed:
        raise ParseError("the trtexec log has no passed invocation to import (every run FAILED)")
    inv = passed[-1]
    stats = inv.gpu_compute_ms or inv.latency_ms
    if stats is None or stats.mean is None or stats.min is None or stats.max is None:
        raise ParseError("the trtexec log has no performance summary (no GPU Compute Time or Latency line)")
    latency = LatencyStats(
        min=stats.min,
        mean=stats.mean,
        p50=stats.median,  # None when not printed: the mean is no median
        p90=stats.p90,
        p99=stats.p99,
        max=stats.max,
        n=None,  # trtexec computed the percentiles itself; it does not print how many queries they cover
        insufficient=[],
        percentiles_from="trtexec",
    )
    verdict = verdicts(budgets, latency, None, None, None)
    return JobResult(
        board=board,
        platform=platform,
        model=model,
        precision=precision or _precision(inv),
        clip="trtexec",
        status="fail" if verdict.failed() else "pass",
        latency_ms=latency,
        latency_kind="device_compute" if inv.gpu_compute_ms is not None else "host_e2e",
        fps=inv.throughput_qps,
        budgets=verdict,
        device_latency_ms=stats.mean,
        fingerprint={"tensorrt": inv.tensorrt_version} if inv.tensorrt_version else {},
        source="import",
    )


def from_tegrastats(
    report: TegrastatsReport, board: str, platform: str, model: str, precision: Precision, budgets: Budgets
) -> JobResult:
    """Mean total input power over the log's samples (never tegrastats' own running average)."""
    if not report.samples:
        raise ParseError("the tegrastats log has no samples")
    totals = [total_input_mw(s) for s in report.samples]
    power_w = sum(totals) / len(totals) / 1000.0
    verdict = verdicts(budgets, None, power_w, None, None)
    return JobResult(
        board=board,
        platform=platform,
        model=model,
        precision=precision,
        clip="tegrastats",
        status="fail" if verdict.failed() else "pass",
        power_w=power_w,
        power_source="tegrastats",
        budgets=verdict,
        source="import",
    )
