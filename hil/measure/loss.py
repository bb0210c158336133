"""The loss gate: a reduced-precision result against the FP32 reference of the same model on the same frames.

    judge_loss(allowances, precision, task, board, reference) -> LossJudgement

`board` and `reference` are the same figures (hil.runs.score's `Quality`: frame accuracy and per-class
scores of a classifier, the card task's metrics, event scores) of the board's frames and of the host FP32
ONNX Runtime reference on exactly those frames. Each figure is one check: the drop from the reference
against the precision's allowance (docs/results.md, "Loss against FP32"). A check that cannot be made
(no reference, no truth for a class, no event of a kind in the clip) is a note that says why, never a pass.

Defaults follow the field's published losses for post-training quantization of vision models: FP16 loses
well under 1 pt, 16-bit fixed point (TIDL tensor_bits 16, QNN w8a16) about 1 pt, INT8 1-2 pt of top-1 or
mAP. The allowance is the top of that range; a per-class recall moves more on a small class, so its
allowance is 2.5 times the overall one. An event class found at FP32 may never be lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Points (percentage points of a 0..1 figure) an overall accuracy / AP50 / failure rate may drop.
DEFAULT_POINTS: dict[str, float] = {"fp16": 0.5, "int16": 1.0, "w8a16": 1.0, "int8": 2.0}
CLASS_RECALL_FACTOR = 2.5  # per-class recall allowance = this x the overall allowance
DEFAULT_NME_PCT = 10.0  # landmark NME may rise by at most this share of the FP32 NME
DEFAULT_ERROR_PCT = 10.0  # regression MAE / angular error may rise by at most this share
# A rise this small is always allowed: below labelling precision, it is rounding, not loss (a relative bound
# on a near-zero FP32 error would judge floating-point noise). NME: 0.1 % of the inter-ocular distance;
# regression: 0.1 in the target's unit (0.1 degree).
NME_FLOOR = 0.001
ERROR_FLOOR = 0.1
REFERENCE = "fp32"


@dataclass(frozen=True)
class Allowances:
    """How much each figure may lose against FP32; a profile or suite file may change any of them."""

    points: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_POINTS))
    class_recall_points: Mapping[str, float] | None = None  # None: CLASS_RECALL_FACTOR x points
    nme_pct: float = DEFAULT_NME_PCT
    error_pct: float = DEFAULT_ERROR_PCT
    events: bool = True  # an event class found at FP32 must be found
    enabled: bool = True

    def overall(self, precision: str) -> float | None:
        return self.points.get(precision)

    def class_recall(self, precision: str) -> float | None:
        if self.class_recall_points is not None and precision in self.class_recall_points:
            return self.class_recall_points[precision]
        overall = self.overall(precision)
        return None if overall is None else overall * CLASS_RECALL_FACTOR


@dataclass(frozen=True)
class Check:
    """One figure judged: the board's value, the reference's, the change and what was allowed."""

    figure: str  # "accuracy", "AP50", "recall[phone]", "NME", "events[phone_use]", ...
    board: float | None
    reference: float | None
    change: float | None  # points (0..1 figures x 100) or per cent (NME, errors), signed, board - reference
    allowed: float | None
    unit: str  # "pt", "%" or "events"
    ok: bool | None  # None: not judged (see note)
    note: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "figure": self.figure,
            "board": self.board,
            "reference": self.reference,
            "change": None if self.change is None else round(self.change, 3),
            "allowed": self.allowed,
            "unit": self.unit,
            "ok": self.ok,
            **({"note": self.note} if self.note else {}),
        }


@dataclass(frozen=True)
class LossJudgement:
    verdict: bool | None  # None: nothing was judged
    checks: list[Check] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _g(value: float) -> str:
    return f"{value:g}"


def _points(figure: str, board: float, ref: float, allowed: float) -> tuple[Check, str | None]:
    """A 0..1 figure that must not drop by more than `allowed` points."""
    change = (board - ref) * 100.0
    ok = -change <= allowed + 1e-9
    check = Check(figure, board, ref, change, allowed, "pt", ok)
    values = f"{figure} {board:.3f} vs {REFERENCE} {ref:.3f}"
    message = None if ok else f"{values}: \u2212{-change:.1f} pt > {_g(allowed)} pt allowed"
    return check, message


def _rise(
    figure: str, board: float, ref: float, allowed_pct: float, digits: int, floor: float
) -> tuple[Check, str | None]:
    """An error figure that must not rise by more than `allowed_pct` per cent of the reference (or by
    `floor`, whichever is larger)."""
    change = (board - ref) / ref * 100.0 if ref > 0 else (0.0 if board <= ref else float("inf"))
    ok = board - ref <= max(ref * allowed_pct / 100.0, floor) + 1e-12
    check = Check(figure, board, ref, change if change != float("inf") else None, allowed_pct, "%", ok)
    shown = "+inf" if change == float("inf") else f"+{change:.1f}"
    values = f"{figure} {board:.{digits}f} vs {REFERENCE} {ref:.{digits}f}"
    message = None if ok else f"{values}: {shown} % > {_g(allowed_pct)} % allowed"
    return check, message


class _Collector:
    def __init__(self) -> None:
        self.checks: list[Check] = []
        self.failures: list[str] = []
        self.notes: list[str] = []

    def add(self, result: tuple[Check, str | None]) -> None:
        check, message = result
        self.checks.append(check)
        if message:
            self.failures.append(message)

    def skip(self, figure: str, why: str) -> None:
        self.checks.append(Check(figure, None, None, None, None, "", None, why))
        self.notes.append(f"{figure} not judged: {why}")


def _num(metrics: Mapping[str, Any] | None, key: str) -> float | None:
    value = (metrics or {}).get(key)
    return None if value is None else float(value)


def _class_recalls(
    out: _Collector,
    board: Mapping[str, Mapping[str, Any]],
    ref: Mapping[str, Mapping[str, Any]],
    allowed: float,
) -> None:
    for name, ref_scores in ref.items():
        figure = f"recall[{name}]"
        ref_recall = ref_scores.get("recall")
        if ref_recall is None:
            out.skip(figure, "no truth for this class on these frames")
            continue
        got = (board.get(name) or {}).get("recall")
        if got is None:
            out.skip(figure, "the board's result has no recall for it")
            continue
        out.add(_points(figure, float(got), float(ref_recall), allowed))


def _events(out: _Collector, board: Mapping[str, Any] | None, ref: Mapping[str, Any] | None) -> None:
    for kind, ref_scores in (ref or {}).items():
        figure = f"events[{kind}]"
        truth, ref_found = int(ref_scores.get("truth") or 0), int(ref_scores.get("found") or 0)
        if truth == 0:
            out.skip(figure, "no true event of this kind in the clip")
            continue
        if ref_found == 0:
            out.skip(figure, f"not found at {REFERENCE} either (0 of {truth})")
            continue
        got = (board or {}).get(kind)
        found = int(got.get("found") or 0) if got is not None else 0
        ok = found > 0
        out.checks.append(
            Check(figure, float(found), float(ref_found), float(found - ref_found), 0, "events", ok)
        )
        if not ok:
            out.failures.append(
                f"event {kind} found 0 of {truth} vs {REFERENCE} {ref_found} of {truth}: "
                "an event class found at fp32 was lost"
            )


def judge_loss(
    allowances: Allowances,
    precision: str,
    task: str | None,
    board: Mapping[str, Any],
    reference: Mapping[str, Any] | None,
    events_note: str | None = None,
) -> LossJudgement:
    """Every figure of `board` against `reference` (keys: accuracy, per_class, task_metrics, events)."""
    if not allowances.enabled:
        return LossJudgement(None, notes=["loss against fp32 not judged: switched off by the budget profile"])
    if precision == REFERENCE:
        return LossJudgement(None)  # the reference itself: parity judges an fp32 engine against it
    overall = allowances.overall(precision)
    if overall is None:
        return LossJudgement(None, notes=[f"loss not judged: no allowance for {precision}"])
    if reference is None:
        why = "no model card to score the frames by, or the reference failed (hil show --log reference)"
        return LossJudgement(None, notes=[f"loss not judged: no fp32 reference for these frames ({why})"])
    out = _Collector()
    recall_allowed = allowances.class_recall(precision) or overall
    metrics, ref_metrics = board.get("task_metrics"), reference.get("task_metrics")
    if task in (None, "classification"):
        acc, ref_acc = board.get("accuracy"), reference.get("accuracy")
        if acc is None or ref_acc is None:
            out.skip("accuracy", "no labelled frames")
        else:
            out.add(_points("accuracy", float(acc), float(ref_acc), overall))
            _class_recalls(
                out, board.get("per_class") or {}, reference.get("per_class") or {}, recall_allowed
            )
    elif task == "detection":
        got, ref = _num(metrics, "map50"), _num(ref_metrics, "map50")
        if got is None or ref is None:
            out.skip("AP50", "no labelled boxes on these frames")
        else:
            out.add(_points("AP50", got, ref, overall))
            _class_recalls(
                out,
                (metrics or {}).get("per_class") or {},
                (ref_metrics or {}).get("per_class") or {},
                recall_allowed,
            )
    elif task == "landmarks":
        got, ref = _num(metrics, "nme"), _num(ref_metrics, "nme")
        if got is None or ref is None:
            out.skip("NME", "no labelled points on these frames")
        else:
            out.add(_rise("NME", got, ref, allowances.nme_pct, 4, NME_FLOOR))
            fr, ref_fr = _num(metrics, "failure_rate"), _num(ref_metrics, "failure_rate")
            if fr is not None and ref_fr is not None:  # a failure rate that rises is a loss
                out.add(_points("success rate", 1.0 - fr, 1.0 - ref_fr, overall))
    elif task == "regression":
        for key, figure in (("mae", "MAE"), ("angular_error_deg", "angular error")):
            got, ref = _num(metrics, key), _num(ref_metrics, key)
            if got is None or ref is None:
                if key == "mae":
                    out.skip(figure, "no labelled values on these frames")
                continue
            out.add(_rise(figure, got, ref, allowances.error_pct, 3, ERROR_FLOOR))
    if events_note:
        out.notes.append(events_note)
    elif allowances.events:
        _events(out, board.get("events"), reference.get("events"))
    judged = [c.ok for c in out.checks if c.ok is not None]
    verdict = None if not judged else all(judged)
    return LossJudgement(verdict, out.checks, out.failures, out.notes)
