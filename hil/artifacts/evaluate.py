"""Host-side evaluation of model variants on labelled clips with ONNX Runtime (CPU).

Detection and landmark cards are scored by hil.artifacts.evaluate_tasks (score_task against object labels);
what follows is classification.

Every variant sees the same tensors: each clip is decoded and preprocessed once, with the FP32 model's card.
Scores per variant: frame accuracy, per-class precision/recall, event-level recall/precision/delay
(hil.measure.events, the implementation board runs use too), and top-1 agreement with the first variant
(the FP32 reference).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from hil.artifacts.card import InputSpec, ModelCardSpec
from hil.artifacts.evaluate_tasks import compare_tasks
from hil.artifacts.frames import preprocess, read_frames
from hil.artifacts.labels import check_classes, read_labels
from hil.artifacts.quantize import input_spec, load_onnx
from hil.errors import ArtifactError, ConfigError
from hil.measure.accuracy import frame_accuracy
from hil.measure.accuracy import per_class as measure_per_class
from hil.measure.events import DEFAULT_RULES, EventRule, event_scores, merge_scores, rules_for


@dataclass
class ClipData:
    path: Path
    tensors: np.ndarray  # (frames, *input shape without batch)
    states: list[str]
    fps: float = 30.0


def open_session(model: Path, threads: int = 0) -> ort.InferenceSession:
    """A CPU session for `model`; an ArtifactError (not an ONNX Runtime traceback) when it will not load."""
    load_onnx(model)
    options = ort.SessionOptions()
    options.log_severity_level = 3
    if threads:
        options.intra_op_num_threads = threads
    try:
        return ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # ORT raises its own unexported exception types
        raise ArtifactError(f"ONNX Runtime cannot load {model}: {str(exc).splitlines()[0]}") from exc


def load_clip(clip: Path, spec: InputSpec, classes: list[str]) -> ClipData:
    """Decode and preprocess a labelled clip; unlabelled clips cannot be scored."""
    frames = read_frames(clip)
    states = read_labels(clip, frames=len(frames))
    if states is None:
        raise ConfigError(
            f"clip {clip} has no labels ({clip.stem}.labels.csv or {clip.stem}.openlabel.json)",
            hint="only labelled clips can be evaluated",
        )
    check_classes(states, classes, str(clip))
    tensors = np.concatenate([preprocess(f, spec) for f in frames], axis=0)
    return ClipData(clip, tensors, states)


def predict(session: ort.InferenceSession, tensors: np.ndarray, output: str | None = None) -> np.ndarray:
    """Raw outputs, one row per frame. Frames go one at a time: the demo models have a static batch of 1."""
    name = session.get_inputs()[0].name
    outputs = [output] if output else [session.get_outputs()[0].name]
    rows = [session.run(outputs, {name: tensors[i : i + 1]})[0].reshape(-1) for i in range(len(tensors))]
    return np.stack(rows)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def score(
    truth: list[str],
    predicted: list[str],
    classes: list[str],
    fps: float = 30.0,
    rules: tuple[EventRule, ...] | None = None,
) -> dict[str, Any]:
    """Frame accuracy, per-class precision/recall/support and event scores for one sequence of frames."""
    # Frame scores are hil's one definition (hil.measure.accuracy), on class indices.
    index = {c: k for k, c in enumerate(classes)}
    t, p = [index.get(x) for x in truth], [index.get(x, -1) for x in predicted]
    accuracy = frame_accuracy(p, t)
    per_class = {
        c: {
            "precision": _rounded(s["precision"]),
            "recall": _rounded(s["recall"]),
            "support": int(s["support"] or 0),
        }
        for c, s in measure_per_class(p, t, classes).items()
    }
    kinds = event_scores(
        truth, predicted, fps, rules if rules is not None else rules_for(classes) or DEFAULT_RULES
    )
    return {
        "accuracy": _rounded(accuracy),
        "frames": len(t),
        "per_class": per_class,
        "events": kinds,
    }


def compare(
    variants: dict[str, Path],
    clips: list[Path],
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Evaluate several variants of one model (e.g. fp32, fp16, int8) on the same clips, side by side.

    The first variant's card defines preprocessing and classes; it is the reference for agreement.
    """
    if not variants:
        raise ConfigError("nothing to evaluate")
    first = next(iter(variants.values()))
    spec, card = input_spec(first)
    if card is None:
        raise ConfigError(f"{first} has no model card, so its outputs have no class names to score against")
    if card.task in ("detection", "landmarks"):
        return compare_tasks(variants, card, clips, open_session, progress)
    if card.task != "classification":
        raise ConfigError(
            f"{first} is a {card.task} model: host evaluation scores classification, detection and "
            "landmark cards",
            hint="hil run still replays it on boards (latency, raw outputs, no accuracy)",
        )
    data = []
    for clip in clips:
        if progress:
            progress(f"decoding {clip.name}")
        data.append(load_clip(clip, spec, card.classes))
    results: dict[str, Any] = {}
    reference: list[np.ndarray] = []
    for key, path in variants.items():
        if progress:
            progress(f"running {key}: {path.name}")
        results[key] = _evaluate_variant(path, card, data, reference)
    return {
        "model": card.name,
        "clips": [str(c) for c in clips],
        "frames": sum(len(d.states) for d in data),
        "results": results,
        "sizes": {k: v["bytes"] for k, v in results.items()},
    }


def _evaluate_variant(
    path: Path, card: ModelCardSpec, data: list[ClipData], reference: list[np.ndarray]
) -> dict[str, Any]:
    session = open_session(path)
    preds, truth, per_clip_events = [], [], []
    for d in data:
        logits = predict(session, d.tensors, card.output)
        if logits.shape[1] != len(card.classes):
            raise ArtifactError(
                f"{path} outputs {logits.shape[1]} values; the card names {len(card.classes)} classes"
            )
        idx = logits.argmax(axis=1)
        states = [card.classes[i] for i in idx]
        per_clip_events.append(score(d.states, states, card.classes, d.fps, card.event_rules())["events"])
        preds.append(idx)
        truth.extend(d.states)
    flat = np.concatenate(preds)
    result = score(truth, [card.classes[i] for i in flat], card.classes)
    result["events"] = merge_scores(per_clip_events)
    if not reference:
        reference.append(flat)
    result["agreement"] = round(float((flat == reference[0]).mean()), 6)
    result["path"] = str(path)
    result["bytes"] = path.stat().st_size
    return result
