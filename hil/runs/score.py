"""Turn what the harness and the power source wrote into a scored JobResult (host side, no SSH)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hil.errors import ModelError
from hil.measure.accuracy import frame_accuracy, per_class
from hil.measure.budgets import Budgets, Figures, judge
from hil.measure.decoders import TASKS
from hil.measure.energy import energy
from hil.measure.events import EventRule, event_scores, rules_for
from hil.measure.landmarks import eyes_closed
from hil.measure.latency import latency_stats
from hil.measure.pacing import Timed, pacing, stage_medians, throughput
from hil.measure.tasks import boxes_of, points_of, score_decoded
from hil.platforms.base import PowerReading
from hil.records import FrameSample, JobResult, Pacing, ParityResult
from hil.runs.suite import Clip, ModelUnderTest

if TYPE_CHECKING:
    from hil.artifacts.card import ModelCardSpec


@dataclass(frozen=True)
class Replay:
    samples: list[FrameSample]
    summary: dict[str, Any]
    # Frame index -> what the board's decoder made of that frame (detection / landmarks / regression cards).
    decoded: dict[int, dict[str, Any]] = field(default_factory=dict)


def parse_frames(text: str, clip: Clip, model: ModelUnderTest) -> Replay:
    """The harness's JSON lines -> frame samples with labels attached (class indices of the card)."""
    samples: list[FrameSample] = []
    decoded: dict[int, dict[str, Any]] = {}
    summary: dict[str, Any] | None = None
    for line in text.splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        if "summary" in record:
            summary = record["summary"]
            continue
        index = record["index"]
        if isinstance(record.get("decoded"), dict):
            decoded[index] = {**record["decoded"], "frame_size": record.get("frame_size")}
        label = None
        if clip.labels is not None and index < len(clip.labels):
            label = model.class_index(clip.labels[index])
        samples.append(
            FrameSample(
                index=index,
                warmup=record["warmup"],
                decode_ms=record["decode_ms"],
                preprocess_ms=record["preprocess_ms"],
                infer_ms=record["infer_ms"],
                postprocess_ms=record["postprocess_ms"],
                total_ms=record["total_ms"],
                predicted=record["predicted"],
                label=label,
                start_s=record.get("start_s"),
                end_s=record.get("end_s"),
                due_s=record.get("due_s"),
            )
        )
    if summary is None:
        raise ModelError(f"the harness stopped before the end of {clip.name}: no summary line")
    return Replay(samples, summary, decoded)


def _timing(replay: Replay) -> dict[str, Any]:
    """fps, replay_s, pacing and stage medians from the frames' own start/end times."""
    frames = [
        Timed(s.start_s, s.end_s, s.due_s, s.warmup)
        for s in replay.samples
        if s.start_s is not None and s.end_s is not None
    ]
    fps, replay_s = throughput(frames)
    warmup = int(replay.summary.get("warmup") or 0)  # frames below this index are warm-up
    dropped = [i for i in replay.summary.get("dropped") or [] if i >= warmup]
    timed = [s for s in replay.samples if not s.warmup]
    stages = {
        "decode": [s.decode_ms for s in timed],
        "preprocess": [s.preprocess_ms for s in timed],
        "infer": [s.infer_ms for s in timed],
        "postprocess": [s.postprocess_ms for s in timed],
    }
    return {
        "fps": fps,
        "replay_s": replay_s,
        "pacing": Pacing.model_validate(pacing(replay.summary.get("target_fps"), frames, len(dropped))),
        "stages_ms": stage_medians(stages),
    }


def _energy(replay: Replay, power: PowerReading | None, idle_s: float, frames: int) -> dict[str, Any]:
    """Energy over the harness's replay windows, idle baseline from the idle_s before it launched."""
    none: dict[str, Any] = {"power_w": None, "power_source": None, "energy_mj_per_frame": None}
    windows = [(float(a), float(b)) for a, b in replay.summary.get("windows") or []]
    if power is None or not power.samples or not windows:
        return none
    launched = replay.summary.get("launched_epoch")
    idle = (float(launched) - idle_s, float(launched)) if launched is not None and idle_s > 0 else None
    measured = energy(power.samples, windows, frames, idle)
    if measured is None:
        return none
    return {
        "power_w": measured.mean_w,
        "power_source": power.source,
        "energy_mj_per_frame": measured.energy_mj_per_frame,
        "idle_power_w": measured.idle_w,
        "active_power_w": measured.active_w,
        "active_energy_mj_per_frame": measured.active_energy_mj_per_frame,
        "power_samples": measured.samples,
    }


def frame_states(replay: Replay, model: ModelUnderTest) -> tuple[list[str] | None, str | None]:
    """(the state of every frame 0..last processed frame, None) that the model's outputs say, for event
    scores; (None, why) when this model's outputs map to no event state.

    A classifier's state is its predicted class; a detector's the event class of its best box at or above
    the card's score threshold (a `phone` box is the `phone` state), or none; a landmark model with an
    `eye_closed` section is in that state when its eye aspect ratio says closed. A frame the board did not
    process (dropped in camera-paced replay) keeps the previous state, as a pipeline's output holds until
    the next processed frame.
    """
    card = model.card
    if card is None:
        return None, "events not scored: the model has no card"
    rules = event_rules(card)
    if not rules:
        return (
            None,
            f"events not scored: no class of {card.name} maps to an event (see docs/results.md, Events)",
        )
    wanted = {rule.state for rule in rules}
    by_index: dict[int, str | None] = {}
    for sample in replay.samples:
        by_index[sample.index] = _state(card, sample, replay.decoded.get(sample.index), wanted)
    if not by_index:
        return None, "events not scored: no frame was processed"
    states: list[str] = []
    current = ""
    for index in range(max(by_index) + 1):
        value = by_index.get(index)
        if value is not None:
            current = value
        states.append(current)
    return states, None


def event_rules(card: ModelCardSpec) -> tuple[EventRule, ...]:
    """The card's event rules; a landmark card's eye_closed state gives the DMS rule for that state."""
    if card.task == "landmarks" and card.landmarks is not None and card.landmarks.eye_closed is not None:
        return rules_for([card.landmarks.eye_closed.state])
    if card.task in ("classification", "detection"):
        return card.event_rules()
    return ()


def _state(
    card: ModelCardSpec, sample: FrameSample, decoded: dict[str, Any] | None, wanted: set[str]
) -> str | None:
    """One processed frame's state (None: unknown, the previous one holds)."""
    if card.task == "classification":
        value = sample.predicted
        return card.classes[value] if value is not None and 0 <= value < len(card.classes) else None
    if decoded is None:
        return None
    if card.task == "detection" and card.detection is not None:
        threshold = card.detection.score_threshold
        best = max(
            (b for b in boxes_of(decoded) if b.label in wanted and b.score >= threshold),
            key=lambda b: b.score,
            default=None,
        )
        return best.label if best is not None else ""
    if card.task == "landmarks" and card.landmarks is not None and card.landmarks.eye_closed is not None:
        spec = card.landmarks.eye_closed
        closed = eyes_closed(points_of(card, decoded), spec.left, spec.right, spec.ear_below)
        return None if closed is None else (spec.state if closed else "")
    return None


def board_events(
    replay: Replay, model: ModelUnderTest, clip: Clip
) -> tuple[dict[str, dict[str, Any]] | None, str | None]:
    """(event scores of the frames' states on a labelled clip by the card's episode rules, None), or
    (None, why not)."""
    if clip.labels is None:
        return None, "events not scored: the clip has no state labels"
    states, why = frame_states(replay, model)
    if states is None or model.card is None:
        return None, why
    truth = clip.labels[: len(states)]
    return event_scores(truth, states[: len(truth)], clip.fps, event_rules(model.card)), None


def quality(replay: Replay, model: ModelUnderTest, clip: Clip | None) -> dict[str, Any]:
    """What the frames say about the model (the same for the board and the FP32 reference): a
    classifier's frame accuracy and per-class scores, the card task's metrics, event scores, and why
    events were not scored where they were not."""
    labelled = model.card is not None and any(s.label is not None for s in replay.samples)
    accuracy = None
    classes: dict[str, dict[str, float | None]] = {}
    if labelled and model.card is not None:
        predicted = [s.predicted for s in replay.samples]
        truth = [s.label for s in replay.samples]
        accuracy = frame_accuracy(predicted, truth)
        classes = per_class(predicted, truth, model.card.classes)
    try:
        task_metrics = task_scores(replay, model, clip)
    except ValueError as exc:  # decoded frames that do not fit the card
        raise ModelError(f"the board's decoded outputs do not fit the model card: {exc}") from exc
    events, events_note = board_events(replay, model, clip) if clip is not None else (None, None)
    return {
        "accuracy": accuracy,
        "per_class": classes,
        "task_metrics": task_metrics,
        "events": events,
        "events_note": events_note,
    }


def task_scores(replay: Replay, model: ModelUnderTest, clip: Clip | None) -> dict[str, Any] | None:
    """The card task's metrics (hil.measure.tasks.score_decoded) of the frames the board processed and
    decoded, against the clip's object labels (and state labels, for a landmark card's eye_closed); None
    when the model is no detection / landmarks / regression model or the clip has no labels for it. The
    per-frame detections stay out (they are the board's output, not a metric)."""
    card = model.card
    if card is None or card.task not in TASKS or clip is None or not replay.samples:
        return None
    eye_closed = card.landmarks.eye_closed if card.landmarks is not None else None
    eye_states = eye_closed is not None and clip.labels is not None
    if clip.objects is None and not eye_states:
        return None
    missing = [s.index for s in replay.samples if s.index not in replay.decoded]
    if missing:
        raise ModelError(f"the board sent no decoded {card.task} outputs for frame {missing[0]}")
    indices = [s.index for s in replay.samples]
    objects, labels = clip.objects, clip.labels
    truth = [objects[i] if objects is not None and i < len(objects) else None for i in indices]
    states = [labels[i] if labels is not None and i < len(labels) else None for i in indices]
    decoded = [replay.decoded[i] for i in indices]
    metrics = score_decoded(card, decoded, truth, states if eye_states else None)
    metrics.pop("detections", None)
    metrics.pop("task", None)
    return metrics


def with_card_minima(budgets: Budgets, card: ModelCardSpec | None) -> Budgets:
    """The budgets with the card's absolute minima on top: the stricter of each applies."""
    minima = card.minima if card is not None else None
    if minima is None:
        return budgets

    def most(a: float | None, b: float | None, pick: Any) -> float | None:
        return b if a is None else a if b is None else pick(a, b)

    recall = dict(budgets.recall_min)
    for name, value in minima.recall.items():
        recall[name] = max(value, recall.get(name, 0.0))
    return dataclasses.replace(
        budgets,
        accuracy=max(budgets.accuracy, minima.accuracy or 0.0),
        map50_min=most(budgets.map50_min, minima.map50, max),
        nme_max=most(budgets.nme_max, minima.nme_max, min),
        recall_min=recall,
    )


def score(
    base: JobResult,
    replay: Replay,
    power: PowerReading | None,
    budgets: Budgets,
    model: ModelUnderTest,
    clip: Clip | None = None,
    parity: ParityResult | None = None,
    idle_s: float = 0.0,
    reference: dict[str, Any] | None = None,
) -> JobResult:
    """The scored result; `reference` is quality() of the host FP32 reference on the same frames (the
    loss gate's other side; None: the loss is not judged, and the result says so)."""
    budgets = with_card_minima(budgets, model.card)
    timed = [s for s in replay.samples if not s.warmup]
    stats = latency_stats([s.total_ms for s in timed])
    measured = quality(replay, model, clip)
    accuracy, task_metrics = measured["accuracy"], measured["task_metrics"]
    timing = _timing(replay)
    power_figures = _energy(replay, power, idle_s, len(timed))
    memory = replay.summary.get("peak_rss_mb")
    figures = Figures(
        latency=stats,
        power_w=power_figures["power_w"],
        power_source=power_figures["power_source"],
        memory_mb=memory,
        accuracy=accuracy,
        task=model.card.task if model.card is not None else None,
        task_metrics=task_metrics,
        fps=timing["fps"],
        parity={k: v.model_dump() for k, v in parity.outputs.items()} if parity is not None else None,
        precision=base.precision,
        per_class=measured["per_class"],
        events=measured["events"],
        events_note=measured["events_note"],
        reference=reference,
    )
    judged = judge(budgets, figures)
    failed = bool(judged.failures)
    return base.model_copy(
        update={
            "status": "fail" if failed else "pass",
            "accuracy": accuracy,
            "latency_ms": stats,
            "memory_peak_mb": memory,
            "budgets": judged.verdicts,
            "budget_profile": budgets.profile,
            "budget_notes": [*base.budget_notes, *judged.notes],
            "frames": len(replay.samples),
            "warmup_frames": len(replay.samples) - len(timed),
            "per_class": measured["per_class"],
            "task": model.card.task if model.card is not None else None,
            "task_metrics": task_metrics,
            "parity": parity,
            "events": measured["events"],
            "loss": judged.loss,
            "error": ("over budget: " + "; ".join(judged.failures)) if failed else None,
            "stage": "score" if failed else None,
            **timing,
            **power_figures,
        }
    )
