"""The loss gate: each figure of a reduced-precision result against the FP32 reference on the same frames,
within its precision's allowance; what cannot be judged says why."""

from __future__ import annotations

import pytest

from hil.measure.budgets import Budgets, Figures, judge
from hil.measure.loss import Allowances, judge_loss

DET = "detection"


def det(map50: float, face: float | None = 0.99, phone: float | None = 0.95) -> dict:
    return {
        "task_metrics": {
            "map50": map50,
            "per_class": {"face": {"recall": face}, "phone": {"recall": phone}},
        }
    }


def test_ap50_at_the_limit_passes_and_just_over_fails_with_both_values_and_the_allowance() -> None:
    ref = det(0.993)
    at = judge_loss(Allowances(), "int8", DET, det(0.973), ref)  # exactly 2 pt
    assert at.verdict is True and not at.failures
    over = judge_loss(Allowances(), "int8", DET, det(0.9729), ref)
    assert over.verdict is False
    assert over.failures == ["AP50 0.973 vs fp32 0.993: \u22122.0 pt > 2 pt allowed"]
    broken = judge_loss(Allowances(), "int16", DET, det(0.712), ref)
    assert "AP50 0.712 vs fp32 0.993: \u221228.1 pt > 1 pt allowed" in broken.failures


@pytest.mark.parametrize(
    ("precision", "allowed"), [("fp16", 0.5), ("int16", 1.0), ("w8a16", 1.0), ("int8", 2.0)]
)
def test_each_precision_has_its_documented_default(precision: str, allowed: float) -> None:
    ref = {"accuracy": 0.90, "per_class": {}}
    ok = judge_loss(Allowances(), precision, None, {"accuracy": 0.90 - allowed / 100}, ref)
    assert ok.verdict is True, ok.failures
    bad = judge_loss(Allowances(), precision, None, {"accuracy": 0.90 - allowed / 100 - 0.001}, ref)
    assert bad.verdict is False and f"> {allowed:g} pt allowed" in bad.failures[0]


def test_a_lost_class_fails_on_its_recall_even_when_the_overall_figure_holds() -> None:
    got = judge_loss(Allowances(), "int8", DET, det(0.98, phone=0.0), det(0.99, phone=0.95))
    assert got.verdict is False
    assert got.failures == ["recall[phone] 0.000 vs fp32 0.950: \u221295.0 pt > 5 pt allowed"]


def test_a_class_without_truth_is_not_judged_and_says_so() -> None:
    got = judge_loss(Allowances(), "int8", DET, det(0.99, phone=None), det(0.99, phone=None))
    assert got.verdict is True
    assert "recall[phone] not judged: no truth for this class on these frames" in got.notes
    (check,) = [c for c in got.checks if c.figure == "recall[phone]"]
    assert check.ok is None


def test_missing_reference_is_not_judged_never_a_pass() -> None:
    got = judge_loss(Allowances(), "int8", DET, det(0.2), None)
    assert got.verdict is None and not got.failures
    assert got.notes[0].startswith("loss not judged: no fp32 reference for these frames")
    fp32 = judge_loss(Allowances(), "fp32", DET, det(0.2), det(0.99))  # fp32 is the reference
    assert fp32.verdict is None and not fp32.checks


def test_landmark_nme_within_ten_per_cent_and_failure_rate_in_points() -> None:
    ref = {"task_metrics": {"nme": 0.0500, "failure_rate": 0.0}}
    assert judge_loss(Allowances(), "int8", "landmarks", {"task_metrics": {"nme": 0.0550}}, ref).verdict
    far = judge_loss(Allowances(), "int8", "landmarks", {"task_metrics": {"nme": 0.0612}}, ref)
    assert far.failures == ["NME 0.0612 vs fp32 0.0500: +22.4 % > 10 % allowed"]
    # A near-zero FP32 NME: a rise under 0.001 (0.1 % of the inter-ocular distance) is rounding, not loss.
    tiny = {"task_metrics": {"nme": 0.0000004}}
    assert judge_loss(Allowances(), "int8", "landmarks", {"task_metrics": {"nme": 0.0001}}, tiny).verdict
    assert not judge_loss(Allowances(), "int8", "landmarks", {"task_metrics": {"nme": 0.002}}, tiny).verdict
    failing = {"task_metrics": {"nme": 0.05, "failure_rate": 0.03}}
    assert "success rate" in judge_loss(Allowances(), "int8", "landmarks", failing, ref).failures[0]


def test_regression_error_may_rise_ten_per_cent() -> None:
    ref = {"task_metrics": {"mae": 2.0, "angular_error_deg": 3.0}}
    assert judge_loss(Allowances(), "fp16", "regression", {"task_metrics": {"mae": 2.2}}, ref).verdict
    bad = judge_loss(Allowances(), "fp16", "regression", {"task_metrics": {"mae": 2.3}}, ref)
    assert bad.failures == ["MAE 2.300 vs fp32 2.000: +15.0 % > 10 % allowed"]


def events(found: int, truth: int = 1) -> dict:
    return {"phone_use": {"truth": truth, "found": found}}


def test_an_event_class_found_at_fp32_may_not_be_lost() -> None:
    ref = {"accuracy": 0.9, "events": events(1)}
    lost = judge_loss(Allowances(), "int8", None, {"accuracy": 0.9, "events": events(0)}, ref)
    assert lost.verdict is False
    assert lost.failures == [
        "event phone_use found 0 of 1 vs fp32 1 of 1: an event class found at fp32 was lost"
    ]
    kept = judge_loss(Allowances(), "int8", None, {"accuracy": 0.9, "events": events(1)}, ref)
    assert kept.verdict is True


def test_an_event_class_absent_at_fp32_or_in_the_clip_is_not_judged() -> None:
    absent = judge_loss(
        Allowances(),
        "int8",
        None,
        {"accuracy": 0.9, "events": events(0)},
        {"accuracy": 0.9, "events": events(0)},
    )
    assert absent.verdict is True and not absent.failures
    assert "events[phone_use] not judged: not found at fp32 either (0 of 1)" in absent.notes
    none = judge_loss(
        Allowances(),
        "int8",
        None,
        {"accuracy": 0.9, "events": events(0, 0)},
        {"accuracy": 0.9, "events": events(0, 0)},
    )
    assert "events[phone_use] not judged: no true event of this kind in the clip" in none.notes
    unscored = judge_loss(
        Allowances(), "int8", None, {"accuracy": 0.9}, {"accuracy": 0.9}, "events not scored: x"
    )
    assert "events not scored: x" in unscored.notes


def test_profiles_can_loosen_tighten_or_switch_off_the_gate() -> None:
    ref, got = {"accuracy": 0.95}, {"accuracy": 0.92}
    assert judge_loss(Allowances(), "int8", None, got, ref).verdict is False
    assert judge_loss(Allowances(points={"int8": 3.0}), "int8", None, got, ref).verdict is True
    assert judge_loss(Allowances(points={"int8": 0.0}), "int8", None, ref, ref).verdict is True
    off = judge_loss(Allowances(enabled=False), "int8", None, got, ref)
    assert off.verdict is None and "switched off" in off.notes[0]


def test_judge_fails_the_result_and_keeps_the_checks() -> None:
    figures = Figures(
        precision="int16",
        task=DET,
        task_metrics=det(0.712)["task_metrics"],
        reference=det(0.993),
    )
    judged = judge(Budgets(), figures)
    assert judged.verdicts.loss is False
    assert any(f.startswith("AP50 0.712 vs fp32 0.993") for f in judged.failures)
    assert judged.loss is not None and judged.loss["allowed_pt"] == 1.0
    assert {c["figure"] for c in judged.loss["checks"]} >= {"AP50", "recall[face]", "recall[phone]"}
    # Nothing is silently unjudged: the detector's absolute budget says why it was not judged.
    assert any(n.startswith("map50_min not judged") for n in judged.notes)


def test_card_and_profile_recall_minima_apply_on_top() -> None:
    figures = Figures(precision="fp32", task=DET, task_metrics=det(0.99, phone=0.80)["task_metrics"])
    judged = judge(Budgets(recall_min={"phone": 0.9}), figures)
    assert judged.verdicts.accuracy is False and "recall[phone] 0.800 < 0.9" in judged.failures
