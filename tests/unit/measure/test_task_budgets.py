"""Budgets judge a result on the figures it has: a classifier's accuracy against `accuracy`, a detector's AP50
against the optional `map50_min`, a landmark model's NME against the optional `nme_max`; headline figures
and the compression comparison follow the card's task."""

from __future__ import annotations

import pytest

from hil.measure.budgets import Budgets, Figures, judge
from hil.measure.compare import compare, headline_value
from hil.measure.headline import headline_of
from hil.records import JobResult


def test_a_detector_is_not_judged_by_the_classifier_accuracy_budget() -> None:
    figures = Figures(task="detection", task_metrics={"map50": 0.5})
    judged = judge(Budgets(accuracy=0.95), figures)
    assert judged.verdicts.accuracy is None and not judged.failures


def test_map50_min_and_nme_max_judge_their_kind_only() -> None:
    budgets = Budgets(map50_min=0.9, nme_max=0.05)
    low = judge(budgets, Figures(task="detection", task_metrics={"map50": 0.85}))
    assert low.verdicts.accuracy is False and low.failures == ["AP50 0.850 < 0.9"]
    assert judge(budgets, Figures(task="detection", task_metrics={"map50": 0.9})).verdicts.accuracy is True
    far = judge(budgets, Figures(task="landmarks", task_metrics={"nme": 0.0612}))
    assert far.verdicts.accuracy is False and far.failures == ["NME 0.0612 > 0.05"]
    assert judge(budgets, Figures(task="landmarks", task_metrics={"nme": 0.05})).verdicts.accuracy is True
    # No labels: no figure, no verdict, never a failure.
    assert judge(budgets, Figures(task="detection", task_metrics=None)).verdicts.accuracy is None
    assert judge(budgets, Figures(task="landmarks", task_metrics={"nme": None})).verdicts.accuracy is None
    # A classifier keeps its own budget; regression has no accuracy budget.
    assert judge(budgets, Figures(accuracy=0.9, task="classification")).verdicts.accuracy is False
    assert judge(budgets, Figures(task="regression", task_metrics={"mae": 9.0})).verdicts.accuracy is None


def test_headline_by_task() -> None:
    assert headline_of(None, 0.97, None).value == 0.97
    assert headline_of("classification", 0.97, {"map50": 0.1}).label == "acc"
    det = headline_of("detection", None, {"map50": 0.93})
    assert (det.label, det.metric, det.higher_is_better, det.value) == ("AP50", "map50", True, 0.93)
    nme = headline_of("landmarks", None, {"nme": 0.04})
    assert (nme.label, nme.higher_is_better, nme.value) == ("NME", False, 0.04)
    assert headline_of("regression", None, {"mae": 3.5}).label == "MAE"
    assert headline_of("detection", None, None).value is None


def _r(precision: str, clip: str, frames: int, nme: float | None, p50: float) -> JobResult:
    from hil.records import LatencyStats

    return JobResult(
        board="b", platform="orin", model="eyes", precision=precision,
        clip=clip, status="pass", frames=frames, task="landmarks",
        task_metrics=None if nme is None else {"nme": nme},
        latency_ms=LatencyStats(min=p50, mean=p50, p50=p50, p90=None, p99=None, max=p50, n=frames),
    )  # fmt: skip


def test_compare_takes_the_delta_of_the_kinds_headline_frame_weighted() -> None:
    fp32 = [_r("fp32", "a", 100, 0.04, 10.0), _r("fp32", "b", 300, 0.02, 10.0)]
    int8 = [_r("int8", "a", 100, 0.05, 5.0), _r("int8", "b", 300, 0.03, 4.0), _r("int8", "c", 50, None, 1.0)]
    vs = compare(fp32, int8)
    assert vs.metric == "nme"
    assert vs.baseline == pytest.approx((0.04 * 100 + 0.02 * 300) / 400)
    assert vs.delta_accuracy == pytest.approx(0.01)
    assert vs.speedup == pytest.approx(10.0 / 4.5)
    assert headline_value(int8[2]) is None


def test_parity_top1_is_judged_for_classifiers_only() -> None:
    flipped = {"boxes": {"cosine": 0.995, "top1_agreement": 0.5, "max_abs": 0.1, "mean_abs": 0.01}}
    det = judge(Budgets(), Figures(parity=flipped, precision="int8", task="detection"))
    assert det.verdicts.parity is True and not det.failures
    cls = judge(Budgets(), Figures(parity=flipped, precision="int8", task="classification"))
    assert cls.verdicts.parity is False and "top-1 agreement of boxes" in cls.failures[0]
    far = {"points": {"cosine": 0.9, "top1_agreement": None, "max_abs": 1.0, "mean_abs": 0.5}}
    assert judge(Budgets(), Figures(parity=far, precision="int8", task="landmarks")).verdicts.parity is False
