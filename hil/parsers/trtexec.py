"""Parse the output of `trtexec` (TensorRT 7 to 11) into one `TrtexecInvocation` per run.

A file may hold several runs appended to each other; each starts with `&&&& RUNNING` and ends with
`&&&& PASSED` or `&&&& FAILED`. That final line is the only reliable status: a failure can have no `[E]`
line at all, so a run that started and never printed it (crashed, killed) is `failed`. Text with numbers
but no `&&&&` line at all is refused, because its status cannot be known.

Statistics come from the TensorRT 8+ `=== Performance summary ===` lines (`Latency: min = ... ms, ...`)
or the TensorRT 7 blocks (`Host Latency` / `Enqueue Time` / `GPU Compute`, one statistic per line).
Only `[I]` lines (or bare pasted lines) are read, and a label only counts when numbers follow it, so the
verbose explanation block, which repeats the labels with prose, is never mistaken for data.
"""

from __future__ import annotations

import re
from typing import Literal

from hil.parsers.text import NUMBER, ParsedModel, not_recognised

PrecisionName = Literal["fp32", "fp16", "int8"]

_BANNER = re.compile(r"&&&& (RUNNING|PASSED|FAILED)\b(.*)$")
_VERSION_TOKEN = re.compile(r"\[TensorRT v(\d+)\]")
_VERSION_LINE = re.compile(r"^TensorRT version: (\d+\.\d+\.\d+)")
# An optional `[date-time]` and `[I]` in front of the message; anything before them (a wrapper's own
# prefix such as `[INFO] `) is dropped with it.
_PREFIX = re.compile(r"^(?:.*?\[\d\d/\d\d/\d{4}-[\d:]+\]\s*)?(?:\[([IWEVF])\]\s*)?")
_SUMMARY = re.compile(
    r"^(Latency|End-to-End Host Latency|Enqueue Time|H2D Latency|GPU Compute Time|D2H Latency): "
)
_SUMMARY_ITEM = re.compile(rf"(min|max|mean|median|percentile\(({NUMBER})%\)) = ({NUMBER}) ms")
_THROUGHPUT = re.compile(rf"^[Tt]hroughput: ({NUMBER}) qps")
_LEGACY_BLOCK = {"Host Latency": "latency_ms", "Enqueue Time": "enqueue_ms", "GPU Compute": "gpu_compute_ms"}
_LEGACY_ITEM = re.compile(rf"^(min|max|mean|median): ({NUMBER}) ms")
_LEGACY_PERCENTILE = re.compile(rf"^percentile: ({NUMBER}) ms at ({NUMBER})%")
_LEGACY_KEEP_BLOCK = re.compile(r"^(walltime|throughput|total compute time):")
_PRECISION = re.compile(r"^Precision: (.+)$")
_BATCH = re.compile(r"^Batch: (\d+)\s*$")
_FLAG = re.compile(r"(?<!\S)--(fp16|int8|best)(?!\S)")
_LOAD_ENGINE = re.compile(r"(?<!\S)--loadEngine(?:=|\s|$)")
# Summary label -> result key; `End-to-End Host Latency` (TensorRT 8.0-8.2 only) has no key of its own.
_SUMMARY_KEYS = {
    "Latency": "latency_ms",
    "Enqueue Time": "enqueue_ms",
    "H2D Latency": "h2d_ms",
    "GPU Compute Time": "gpu_compute_ms",
    "D2H Latency": "d2h_ms",
}
_PERCENTILE_KEYS = {90.0: "p90", 95.0: "p95", 99.0: "p99"}


class Stats(ParsedModel):
    """One timing as trtexec summarises it, in ms; None where this TensorRT version does not print it."""

    min: float | None = None
    max: float | None = None
    mean: float | None = None
    median: float | None = None
    p90: float | None = None
    p95: float | None = None
    p99: float | None = None


class TrtexecInvocation(ParsedModel):
    """One trtexec run: its status from the final `&&&&` line and what its performance summary says."""

    status: Literal["passed", "failed"]
    tensorrt_version: str | None
    precision: list[PrecisionName] | None  # None: unknown (a --loadEngine run: the engine's build decided)
    batch: int | None
    throughput_qps: float | None
    latency_ms: Stats | None
    gpu_compute_ms: Stats | None
    h2d_ms: Stats | None
    d2h_ms: Stats | None
    enqueue_ms: Stats | None


class TrtexecReport(ParsedModel):
    invocations: list[TrtexecInvocation]


def parse_trtexec(text: str) -> TrtexecReport:
    """Every trtexec run in `text`, in order. Raises ParseError when there is none."""
    blocks = _split_runs(text.splitlines())
    if not blocks:
        raise not_recognised("trtexec", "`&&&& RUNNING/PASSED/FAILED TensorRT.trtexec` lines")
    return TrtexecReport(invocations=[_invocation(block) for block in blocks])


def tensorrt_version(code: str) -> str:
    """`8401` -> `8.4.1` (major*1000 + minor*100 + patch); `101401` -> `10.14.1` (major*10000 + ...)."""
    value = int(code)
    if value >= 100000:
        return f"{value // 10000}.{value // 100 % 100}.{value % 100}"
    return f"{value // 1000}.{value // 100 % 10}.{value % 100}"


def _split_runs(lines: list[str]) -> list[list[str]]:
    """Cut the lines into runs: a RUNNING line opens one, PASSED/FAILED closes it."""
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in lines:
        banner = _BANNER.search(line)
        if banner and banner.group(1) == "RUNNING":
            if any(_BANNER.search(seen) for seen in current):
                blocks.append(current)  # the previous run never printed its PASSED/FAILED line
            current = [line]
        elif banner:
            blocks.append([*current, line])
            current = []
        else:
            current.append(line)
    if any(_BANNER.search(seen) for seen in current):
        blocks.append(current)
    if not blocks and any(_is_data(line) for line in lines):
        raise not_recognised(
            "complete trtexec",
            "the `&&&& PASSED` / `&&&& FAILED` line that says how the run ended (the numbers alone "
            "cannot tell a passed run from a failed one; include the log's last line)",
        )
    return blocks


def _is_data(line: str) -> bool:
    message = _message(line)[1]
    return bool(_SUMMARY.match(message) or _THROUGHPUT.match(message) or message in _LEGACY_BLOCK)


def _message(line: str) -> tuple[str | None, str]:
    stripped = line.strip()
    prefix = _PREFIX.match(stripped)
    assert prefix is not None  # every part of the pattern is optional
    return prefix.group(1), stripped[prefix.end() :].rstrip()


def _invocation(block: list[str]) -> TrtexecInvocation:
    status: Literal["passed", "failed"] = "failed"
    version: str | None = None
    command = ""
    precision_line: str | None = None
    batch: int | None = None
    throughput: float | None = None
    stats: dict[str, dict[str, float]] = {}
    legacy: str | None = None  # the TensorRT 7 block being read, as a result key
    for line in block:
        banner = _BANNER.search(line)
        if banner:
            token = _VERSION_TOKEN.search(banner.group(2))
            version = tensorrt_version(token.group(1)) if token else version
            command = banner.group(2).partition(" # ")[2] or command
            status = "passed" if banner.group(1) == "PASSED" else "failed"
            continue
        level, message = _message(line)
        if level not in (None, "I"):
            continue
        if message in _LEGACY_BLOCK:
            legacy = _LEGACY_BLOCK[message]
            continue
        if legacy and _legacy_stat(message, stats.setdefault(legacy, {})):
            continue
        if not _LEGACY_KEEP_BLOCK.match(message):
            legacy = None
        if found := _THROUGHPUT.match(message):
            # TensorRT 7 often prints `throughput: 0 qps` whatever the speed: a known bug, not a value.
            throughput = float(found.group(1)) or None
        elif found := _SUMMARY.match(message):
            key = _SUMMARY_KEYS.get(found.group(1))
            if key:
                stats[key] = _summary_stats(message)
        elif found := _VERSION_LINE.match(message):
            version = version or found.group(1)
        elif found := _PRECISION.match(message):
            precision_line = found.group(1)
        elif found := _BATCH.match(message):
            batch = int(found.group(1))
    return TrtexecInvocation(
        status=status,
        tensorrt_version=version,
        precision=_precision(precision_line, command),
        batch=batch,
        throughput_qps=throughput,
        **{key: Stats(**stats[key]) if stats.get(key) else None for key in _SUMMARY_KEYS.values()},
    )


def _summary_stats(message: str) -> dict[str, float]:
    values: dict[str, float] = {}
    for name, percent, value in _SUMMARY_ITEM.findall(message):
        key = _PERCENTILE_KEYS.get(float(percent)) if percent else name
        if key:
            values[key] = float(value)
    return values


def _legacy_stat(message: str, values: dict[str, float]) -> bool:
    if found := _LEGACY_ITEM.match(message):
        values[found.group(1)] = float(found.group(2))
        return True
    if found := _LEGACY_PERCENTILE.match(message):
        key = _PERCENTILE_KEYS.get(float(found.group(2)))
        if key:
            values[key] = float(found.group(1))
        return True
    return False


def _precision(line: str | None, command: str) -> list[PrecisionName] | None:
    """From `Precision: FP32+FP16`, else from the echoed flags; [] when the text has neither. None
    (unknown) for a run that loads a built engine: its precision was set when the engine was built, and
    neither the flags echoed with `--loadEngine` nor the build options trtexec prints tell it."""
    if _LOAD_ENGINE.search(command):
        return None
    names: set[str] = set()
    if line is not None:
        names = {token.strip().lower() for token in re.split(r"[+,\s]+", line)}
    elif command:
        flags = set(_FLAG.findall(command))
        names = {"fp32"} | ({"fp16", "int8"} if "best" in flags else flags)
    order: tuple[PrecisionName, ...] = ("fp32", "fp16", "int8")
    return [name for name in order if name in names]
