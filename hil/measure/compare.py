"""Compression figures: how a candidate (INT8, FP16, a distilled student) compares with its baseline
(FP32 of the same model, or the first model of the run) on the same board.

Pure functions over JobResults; the report layer renders them.

- accuracy of a group: its headline figure (hil.measure.headline: a classifier's frame accuracy, a
  detector's AP50, a landmark model's NME, a regression model's MAE), frame-weighted over its clips (a clip
  of 300 frames counts three times one of 100; for AP50 this is the frame-weighted mean of per-clip APs);
- p50 of a group: the median of its clips' p50 latencies;
- `delta_accuracy` = candidate figure − baseline figure of that headline metric (`metric`; for accuracy a
  fraction: −0.012 is 1.2 points lost; for NME +0.004 is a larger error);
- `speedup` = baseline p50 / candidate p50 (2.0: the candidate's median frame takes half the time).

Both are computed on the clips both groups have a figure for, so a clip only one side ran (or one side
failed on) never skews the comparison; with no common clip the figure is None, never a guess.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from hil.measure.headline import headline_of
from hil.records import JobResult


@dataclass(frozen=True)
class Comparison:
    delta_accuracy: float | None  # candidate − baseline of the headline metric (a fraction for accuracy)
    speedup: float | None  # baseline p50 / candidate p50
    clips: int  # clips behind the figures (those both sides have)
    metric: str = "accuracy"  # the headline metric compared: accuracy, map50, nme or mae
    baseline: float | None = None  # the baseline's figure (on the common clips)


def headline_value(result: JobResult) -> float | None:
    """The result's headline accuracy figure (hil.measure.headline)."""
    return headline_of(result.task, result.accuracy, result.task_metrics).value


def headline_metric(results: Sequence[JobResult]) -> str:
    """The headline metric of a group (the task of its results): accuracy, map50, nme or mae. A result that
    never ran (a skipped precision the board does not offer) has no task and does not decide it."""
    task = next((r.task for r in results if r.task is not None), None)
    return headline_of(task, None, None).metric


def weighted_accuracy(results: Sequence[JobResult]) -> float | None:
    """Frame-weighted headline figure (accuracy for a classifier) over the results that have one; None
    when none has."""
    pairs = [(v, r.frames) for r in results if (v := headline_value(r)) is not None and r.frames > 0]
    total = sum(n for _, n in pairs)
    return sum(a * n for a, n in pairs) / total if total else None


def median_p50(results: Sequence[JobResult]) -> float | None:
    """The median of the results' p50 latencies (ms); None when none has one."""
    p50s = [r.latency_ms.p50 for r in results if r.latency_ms is not None and r.latency_ms.p50 is not None]
    return statistics.median(p50s) if p50s else None


def compare(baseline: Sequence[JobResult], candidate: Sequence[JobResult]) -> Comparison:
    """The candidate against the baseline, on the clips both have the figure for."""
    acc_base = {r.clip: r for r in baseline if headline_value(r) is not None and r.frames > 0}
    acc_cand = [r for r in candidate if headline_value(r) is not None and r.frames > 0 and r.clip in acc_base]
    common = {r.clip for r in acc_cand}
    delta = base = None
    if acc_cand:
        base = weighted_accuracy([acc_base[c] for c in common])
        cand = weighted_accuracy(acc_cand)
        delta = None if base is None or cand is None else cand - base
    lat_base = {r.clip: r for r in baseline if _p50(r) is not None}
    lat_cand = [r for r in candidate if _p50(r) is not None and r.clip in lat_base]
    speedup = None
    if lat_cand:
        base_p50 = median_p50([lat_base[r.clip] for r in lat_cand])
        cand_p50 = median_p50(lat_cand)
        if base_p50 is not None and cand_p50:
            speedup = base_p50 / cand_p50
    clips = len(common | {r.clip for r in lat_cand})
    metric = headline_metric(list(baseline) or list(candidate))
    return Comparison(delta_accuracy=delta, speedup=speedup, clips=clips, metric=metric, baseline=base)


def _p50(result: JobResult) -> float | None:
    return None if result.latency_ms is None else result.latency_ms.p50
