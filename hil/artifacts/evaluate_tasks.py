"""Host-side evaluation of detection and landmark models (and their FP16/INT8 variants) on labelled clips.

The counterpart of hil.artifacts.evaluate for cards whose task is not classification. Every variant sees
the same tensors (each clip decoded and preprocessed once, with the FP32 card) and is scored by
hil.measure.tasks.score_task, the implementation board runs use too, against the clips' object labels
(hil.artifacts.labels.read_objects), over all frames of all clips pooled:

- detection: mAP at IoU 0.5 (`map50`), mean F1 at the card's score threshold, per class precision, recall,
  F1 and AP; versus the first variant (FP32) the box parity (hil.measure.tasks.detection_parity);
- landmarks: NME (inter-ocular), failure rate, and with the card's `eye_closed` the eyes-closed state
  derived from the points against the clips' state labels; versus FP32 the mean distance between the two
  variants' points, in frame pixels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from hil.artifacts.card import ModelCardSpec
from hil.artifacts.frames import preprocess, read_frames
from hil.artifacts.labels import read_labels, read_objects
from hil.errors import ArtifactError, ConfigError
from hil.measure.tasks import decode_landmarks, detection_parity, score_task
from hil.measure.truth import FrameTruth

Outputs = dict[str, np.ndarray]


@dataclass
class TaskClip:
    path: Path
    tensors: np.ndarray
    truth: list[FrameTruth]
    states: list[str] | None
    frame_size: tuple[int, int]  # (width, height)


def load_task_clip(clip: Path, card: ModelCardSpec) -> TaskClip:
    """Decode and preprocess a clip that has object labels; ConfigError for one without."""
    frames = read_frames(clip)
    truth = read_objects(clip, frames=len(frames))
    if truth is None:
        raise ConfigError(
            f"clip {clip} has no object labels "
            f"({clip.stem}.objects.csv or objects in {clip.stem}.openlabel.json)",
            hint=f"a {card.task} model is scored against boxes or points; see docs/models.md, Object labels",
        )
    states = read_labels(clip, frames=len(frames))
    tensors = np.concatenate([preprocess(f, card.input) for f in frames], axis=0)
    height, width = frames[0].shape[:2]
    return TaskClip(clip, tensors, truth, states, (width, height))


def run_outputs(session: ort.InferenceSession, tensors: np.ndarray) -> list[Outputs]:
    """Every output of the model per frame, one frame at a time (batch 1, as the cards fix it)."""
    name = session.get_inputs()[0].name
    names = [o.name for o in session.get_outputs()]
    return [
        dict(zip(names, session.run(names, {name: tensors[i : i + 1]}), strict=True))
        for i in range(len(tensors))
    ]


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def compare_tasks(
    variants: dict[str, Path],
    card: ModelCardSpec,
    clips: list[Path],
    session: Callable[[Path], ort.InferenceSession],
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Score several variants of one detection or landmark model on the same clips, side by side; the first
    variant is the reference for parity."""
    if card.task not in ("detection", "landmarks"):
        raise ConfigError(f"compare_tasks scores detection and landmark cards, not {card.task}")
    data = []
    for clip in clips:
        if progress:
            progress(f"decoding {clip.name}")
        data.append(load_task_clip(clip, card))
    sizes = {d.frame_size for d in data}
    if len(sizes) > 1:
        raise ConfigError(
            f"the clips have different frame sizes {sorted(sizes)}", hint="evaluate each size separately"
        )
    frame_size = sizes.pop()
    truth = [t for d in data for t in d.truth]
    states: list[str | None] | None = None
    if all(d.states is not None for d in data):
        states = [s for d in data for s in d.states or []]
    results: dict[str, Any] = {}
    reference: list[Outputs] = []
    for key, path in variants.items():
        if progress:
            progress(f"running {key}: {path.name}")
        sess = session(path)
        outputs = [o for d in data for o in run_outputs(sess, d.tensors)]
        try:
            scored = score_task(card, outputs, truth, frame_size, states=states)
        except (KeyError, ValueError) as exc:
            raise ArtifactError(f"{path}: its outputs do not decode per its card: {exc}") from exc
        scored.pop("detections", None)
        if not reference:
            reference = outputs
        scored["parity"] = _parity(card, reference, outputs, frame_size)
        scored["path"] = str(path)
        scored["bytes"] = path.stat().st_size
        results[key] = _rounded(scored)
    return {
        "model": card.name,
        "task": card.task,
        "clips": [str(c) for c in clips],
        "frames": len(truth),
        "results": results,
        "sizes": {k: v["bytes"] for k, v in results.items()},
    }


def _parity(
    card: ModelCardSpec, reference: list[Outputs], other: list[Outputs], frame_size: tuple[int, int]
) -> dict[str, Any]:
    if card.task == "detection":
        return detection_parity(card, reference, other, frame_size)
    distances: list[float] = []
    for ref, oth in zip(reference, other, strict=True):
        a, b = decode_landmarks(card, ref, frame_size), decode_landmarks(card, oth, frame_size)
        distances.extend(float(np.hypot(a[n][0] - b[n][0], a[n][1] - b[n][1])) for n in a)
    return {"mean_point_distance_px": float(np.mean(distances)) if distances else None}
