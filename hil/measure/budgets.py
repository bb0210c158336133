"""Budget verdicts: each measured figure against its budget, None where it could not be judged.

The `accuracy` verdict judges the accuracy figure of the model's kind: a classifier's frame accuracy against
`accuracy`; a detector's AP50 against `map50_min` and a landmark model's NME against `nme_max`, both
optional (None: not judged). A figure that does not exist (no labels) is never judged.

The `loss` verdict is the loss gate (hil.measure.loss): every quality figure of a reduced-precision result
against the host FP32 reference on the same frames, within the precision's allowance; on by default for
every model kind. Absolute minima (`map50_min`, `nme_max`, `recall_min` per class; from the profile, the
suite file or the model card) apply on top.

A verdict is None when the figure is missing, and always for power that was modelled rather than measured
(`sim-model`): a number nobody measured never decides pass or fail (unless `judge_modelled_power`, for
tests). Every failure has a message naming the figure, its value, the limit and the unit.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from hil.measure.latency import judged_latency
from hil.measure.loss import Allowances, judge_loss
from hil.measure.parity import parity_ok
from hil.records import BudgetVerdicts, LatencyStats

MODELLED = "sim-model"


@dataclass(frozen=True)
class Budgets:
    """Limits for one board: latency per frame, mean power, memory peak (maxima), minimum accuracy (0..1),
    minimum fps (None: not judged)."""

    latency_ms: float = 100.0
    power_w: float = 5.0
    memory_mb: float = 500.0
    accuracy: float = 0.95
    fps_min: float | None = None
    judge_modelled_power: bool = False
    profile: str = "default"
    map50_min: float | None = None  # detectors: AP at IoU 0.5, at least (None: not judged)
    nme_max: float | None = None  # landmark models: normalised mean error, at most (None: not judged)
    loss: Allowances = field(default_factory=Allowances)  # the loss gate against FP32
    recall_min: dict[str, float] = field(default_factory=dict)  # class -> recall at least (0..1)


@dataclass(frozen=True)
class Figures:
    """What one result measured, as the budgets need it."""

    latency: LatencyStats | None = None
    power_w: float | None = None
    power_source: str | None = None
    memory_mb: float | None = None
    accuracy: float | None = None
    fps: float | None = None
    parity: dict[str, dict[str, Any]] | None = None
    precision: str = "fp32"
    task: str | None = None  # the card's task
    task_metrics: dict[str, Any] | None = None  # its metrics (hil.measure.tasks), None without labels
    per_class: dict[str, dict[str, float | None]] | None = None  # a classifier's per-class scores
    events: dict[str, dict[str, Any]] | None = None  # event scores (None: not scored, see events_note)
    events_note: str | None = None  # why events were not scored
    reference: dict[str, Any] | None = None  # the same figures of the FP32 reference on the same frames


@dataclass(frozen=True)
class Judgement:
    verdicts: BudgetVerdicts
    failures: list[str] = field(default_factory=list)  # e.g. "p99 latency 131.2 ms > 100 ms"
    notes: list[str] = field(default_factory=list)  # e.g. "power modelled, not judged"
    loss: dict[str, Any] | None = None  # the loss gate's checks and allowances (JobResult.loss)


def judge(budgets: Budgets, f: Figures) -> Judgement:
    failures: list[str] = []
    notes: list[str] = []
    latency = None
    if f.latency is not None:
        stat, value = judged_latency(f.latency)
        latency = value <= budgets.latency_ms
        if not latency:
            failures.append(f"{stat} latency {value:.1f} ms > {budgets.latency_ms:g} ms")
    power = None
    if f.power_w is not None:
        if f.power_source == MODELLED and not budgets.judge_modelled_power:
            notes.append("power modelled, not judged")
        else:
            power = f.power_w <= budgets.power_w
            if not power:
                failures.append(f"power {f.power_w:.2f} W > {budgets.power_w:g} W")
    memory = None
    if f.memory_mb is not None:
        memory = f.memory_mb <= budgets.memory_mb
        if not memory:
            failures.append(f"memory peak {f.memory_mb:.0f} MB > {budgets.memory_mb:g} MB")
    accuracy = None
    if f.accuracy is not None:
        accuracy = f.accuracy >= budgets.accuracy
        if not accuracy:
            failures.append(f"accuracy {f.accuracy * 100:.1f} % < {budgets.accuracy * 100:g} %")
    else:
        accuracy = _task_accuracy(budgets, f, failures)
    fps = None
    if budgets.fps_min is not None and f.fps is not None:
        fps = f.fps >= budgets.fps_min
        if not fps:
            failures.append(f"fps {f.fps:.1f} < {budgets.fps_min:g} fps")
    parity = None
    if f.parity:
        # The arg-max of a detector's boxes or a landmark model's points means nothing: only a classifier's
        # (or a model's without a card) top-1 agreement is judged; cosine is judged for every output.
        parity, problems = parity_ok(f.parity, f.precision, top1=f.task in (None, "classification"))
        failures.extend(problems)
    recall = _recall_minima(budgets, f, failures, notes)
    if recall is not None:
        accuracy = recall and accuracy is not False
    if accuracy is None and f.task is not None and f.task != "classification":
        notes.append(_unjudged_task(budgets, f))
    board = {
        "accuracy": f.accuracy,
        "per_class": f.per_class,
        "task_metrics": f.task_metrics,
        "events": f.events,
    }
    lost = judge_loss(budgets.loss, f.precision, f.task, board, f.reference, f.events_note)
    failures.extend(lost.failures)
    notes.extend(lost.notes)
    loss_json = None
    if lost.checks:
        allowances = asdict(budgets.loss)
        loss_json = {
            "reference": "host-fp32",
            "precision": f.precision,
            "allowed_pt": budgets.loss.overall(f.precision),
            "class_recall_pt": budgets.loss.class_recall(f.precision),
            "nme_pct": allowances["nme_pct"],
            "error_pct": allowances["error_pct"],
            "checks": [c.as_json() for c in lost.checks],
        }
    verdicts = BudgetVerdicts(
        latency=latency,
        power=power,
        memory=memory,
        accuracy=accuracy,
        fps=fps,
        parity=parity,
        loss=lost.verdict,
    )
    return Judgement(verdicts, failures, notes, loss_json)


def _unjudged_task(budgets: Budgets, f: Figures) -> str:
    """Why a detector's or landmark model's absolute accuracy budget was not judged."""
    name = {"detection": "map50_min", "landmarks": "nme_max"}.get(f.task or "")
    if name is None:
        return (
            f"accuracy budget not judged: no absolute budget for a {f.task} model (the loss gate judges it)"
        )
    if getattr(budgets, name) is None:
        return f"{name} not judged: the budget profile sets none (the loss gate judges the loss)"
    return f"{name} not judged: no labelled frames for it"


def _recall_minima(budgets: Budgets, f: Figures, failures: list[str], notes: list[str]) -> bool | None:
    """Per-class recall minima (a card's or profile's `recall_min`), on a classifier's per-class scores or
    a detector's; None when none was judged."""
    if not budgets.recall_min:
        return None
    scores = f.per_class if f.task in (None, "classification") else (f.task_metrics or {}).get("per_class")
    verdict: bool | None = None
    for name, minimum in budgets.recall_min.items():
        recall = ((scores or {}).get(name) or {}).get("recall")
        if recall is None:
            notes.append(f"recall[{name}] minimum not judged: no truth for {name} on these frames")
            continue
        ok = float(recall) >= minimum
        verdict = ok if verdict is None else verdict and ok
        if not ok:
            failures.append(f"recall[{name}] {float(recall):.3f} < {minimum:g}")
    return verdict


def _task_accuracy(budgets: Budgets, f: Figures, failures: list[str]) -> bool | None:
    """The accuracy verdict of a detector (map50_min) or landmark model (nme_max); None where the profile
    sets no such budget or the result has no such figure. The classifier's `accuracy` budget never applies
    to them: frame accuracy and AP are different numbers."""
    metrics = f.task_metrics or {}
    if f.task == "detection" and budgets.map50_min is not None and metrics.get("map50") is not None:
        map50 = float(metrics["map50"])
        if map50 < budgets.map50_min:
            failures.append(f"AP50 {map50:.3f} < {budgets.map50_min:g}")
            return False
        return True
    if f.task == "landmarks" and budgets.nme_max is not None and metrics.get("nme") is not None:
        nme = float(metrics["nme"])
        if nme > budgets.nme_max:
            failures.append(f"NME {nme:.4f} > {budgets.nme_max:g}")
            return False
        return True
    return None


def verdicts(
    budgets: Budgets,
    latency: LatencyStats | None,
    power_w: float | None,
    memory_mb: float | None,
    accuracy: float | None,
    power_source: str | None = None,
) -> BudgetVerdicts:
    """The verdicts alone (for imported results): see judge()."""
    figures = Figures(latency, power_w, power_source, memory_mb, accuracy)
    return judge(budgets, figures).verdicts
