"""Compression figures: Δ accuracy and p50 speedup against a baseline, on the clips both sides have."""

from __future__ import annotations

import pytest

from hil.measure.compare import compare, median_p50, weighted_accuracy
from hil.records import JobResult, LatencyStats


def res(
    clip: str, accuracy: float | None, frames: int, p50: float | None, precision: str = "int8"
) -> JobResult:
    latency = None
    if p50 is not None:
        latency = LatencyStats(min=p50, mean=p50, p50=p50, p90=None, p99=None, max=p50, n=10)
    return JobResult(
        board="b", platform="orin", model="m", precision=precision,  # type: ignore[arg-type]
        clip=clip, status="pass", accuracy=accuracy, frames=frames, latency_ms=latency,
    )  # fmt: skip


def test_delta_is_frame_weighted_and_speedup_is_a_p50_ratio() -> None:
    fp32 = [res("day", 0.98, 300, 4.0, "fp32"), res("night", 0.90, 100, 6.0, "fp32")]
    int8 = [res("day", 0.97, 300, 2.0), res("night", 0.86, 100, 2.0)]
    vs = compare(fp32, int8)
    # (300*0.97 + 100*0.86)/400 - (300*0.98 + 100*0.90)/400 = 0.9425 - 0.96
    assert vs.delta_accuracy == pytest.approx(-0.0175)
    assert vs.speedup == pytest.approx(5.0 / 2.0)  # median of (4, 6) over median of (2, 2)
    assert vs.clips == 2


def test_only_clips_both_sides_have_count() -> None:
    fp32 = [res("day", 0.98, 300, 4.0, "fp32")]
    int8 = [res("day", 0.98, 300, 2.0), res("extra", 0.10, 900, 100.0)]  # a clip the baseline lacks
    vs = compare(fp32, int8)
    assert vs.delta_accuracy == pytest.approx(0.0) and vs.speedup == pytest.approx(2.0) and vs.clips == 1


def test_no_common_figure_is_none_never_a_guess() -> None:
    unlabelled = compare([res("a", None, 100, 3.0, "fp32")], [res("a", None, 100, 1.5)])
    assert unlabelled.delta_accuracy is None and unlabelled.speedup == pytest.approx(2.0)
    failed = compare([res("a", 0.9, 100, None, "fp32")], [res("b", 0.9, 100, 1.0)])
    assert (failed.delta_accuracy, failed.speedup, failed.clips) == (None, None, 0)


def test_slower_candidate_has_speedup_below_one() -> None:
    assert compare([res("a", 1.0, 10, 1.0, "fp32")], [res("a", 1.0, 10, 4.0)]).speedup == pytest.approx(0.25)


def test_group_figures() -> None:
    group = [res("a", 1.0, 100, 1.0), res("b", 0.0, 300, 3.0), res("c", None, 50, 2.0)]
    assert weighted_accuracy(group) == pytest.approx(0.25)
    assert median_p50(group) == 2.0
    assert weighted_accuracy([]) is None and median_p50([]) is None
