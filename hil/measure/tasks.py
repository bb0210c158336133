"""Score a model's raw outputs by its card's task: one entry point for host evaluation and board runs.

    score_task(card, outputs, truth, frame_size=(W, H)) -> dict

`outputs` holds one mapping per frame, output tensor name -> array (what the harness or ONNX Runtime
returned for that frame); `truth` the FrameTruth per frame (None where a frame is unlabelled), aligned
with `outputs`. The card's input shape gives the model input's width and height, for outputs in input
pixels. Results (JSON-ready):

- detection: {"task", "frames", "map50", "f1", "per_class": {cls: {precision, recall, f1, ap50, tp, fp, fn,
  truth}}, "detections": [per frame list of [x1, y1, x2, y2, class, score]]}
- landmarks: {"task", "frames", "nme", "failure_rate", "skipped_frames"}, and with the card's
  `landmarks.eye_closed` and the clip's state labels (`states`, aligned with `outputs`): "eye_closed" =
  {precision, recall, f1, frames} of the eyes-closed state derived from the predicted points (EAR) against
  the frames labelled with that state
- regression: {"task", "frames", "mae", "angular_error_deg", "per_target": {name: {mae, frames}}}

Classification keeps its own scoring (hil.measure.accuracy); asking this function for it is a ValueError.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from hil.measure.detection import Box, box_parity, decode, detection_metrics
from hil.measure.landmarks import decode_points, eyes_closed, landmark_metrics
from hil.measure.regression_error import regression_metrics
from hil.measure.truth import FrameTruth

if TYPE_CHECKING:  # the card is plain data here; measure does not depend on how cards are loaded
    from hil.artifacts.card import EyeClosedSpec, ModelCardSpec

Outputs = Mapping[str, np.ndarray]


def input_size(card: ModelCardSpec) -> tuple[int, int]:
    """(width, height) of the model input, from the card's shape and layout."""
    _, a, b, c = card.input.shape
    return (c, b) if card.input.layout == "NCHW" else (b, a)


def decode_detections(card: ModelCardSpec, outputs: Outputs, frame_size: tuple[int, int]) -> list[Box]:
    """One frame's boxes per the card (every score: thresholds are applied when scoring)."""
    spec = card.detection
    if spec is None:
        raise ValueError(f"card {card.name} has no detection section")
    return decode(
        outputs,
        boxes=spec.boxes,
        scores=spec.scores,
        classes=card.classes,
        labels=spec.labels,
        box_format=spec.box_format,
        normalized=spec.normalized,
        input_size=input_size(card),
        frame_size=frame_size,
        min_score=0.0,
        nms_iou=spec.nms_iou,
        max_detections=spec.max_detections,
    )


def decode_landmarks(
    card: ModelCardSpec, outputs: Outputs, frame_size: tuple[int, int]
) -> dict[str, tuple[float, float]]:
    spec = card.landmarks
    if spec is None:
        raise ValueError(f"card {card.name} has no landmarks section")
    points = decode_points(
        outputs[spec.output],
        len(spec.points),
        normalized=spec.normalized,
        input_size=input_size(card),
        frame_size=frame_size,
    )
    return {name: (float(x), float(y)) for name, (x, y) in zip(spec.points, points, strict=True)}


def decode_values(card: ModelCardSpec, outputs: Outputs) -> dict[str, float]:
    spec = card.regression
    if spec is None:
        raise ValueError(f"card {card.name} has no regression section")
    flat = np.asarray(outputs[spec.output], dtype=np.float64).reshape(-1)
    if flat.size != len(spec.targets):
        raise ValueError(
            f"the output {spec.output} has {flat.size} values; the card names {len(spec.targets)}"
        )
    return {name: float(v) for name, v in zip(spec.targets, flat, strict=True)}


def score_task(
    card: ModelCardSpec,
    outputs: Sequence[Outputs],
    truth: Sequence[FrameTruth | None],
    frame_size: tuple[int, int],
    states: Sequence[str | None] | None = None,
) -> dict[str, Any]:
    if len(outputs) != len(truth):
        raise ValueError(f"{len(outputs)} frames of outputs but {len(truth)} frames of truth")
    pairs = [(out, t) for out, t in zip(outputs, truth, strict=True) if t is not None]  # labelled frames
    if card.task == "detection" and card.detection is not None:
        found = [decode_detections(card, out, frame_size) for out, _ in pairs]
        metrics = detection_metrics(
            found,
            [t.boxes for _, t in pairs],
            card.classes,
            card.detection.score_threshold,
            card.detection.match_iou,
        )
        shown = [[[b.x1, b.y1, b.x2, b.y2, b.label, b.score] for b in frame] for frame in found]
        return {"task": "detection", "frames": len(pairs), **metrics, "detections": shown}
    if card.task == "landmarks" and card.landmarks is not None:
        spec = card.landmarks
        points = [decode_landmarks(card, out, frame_size) for out, _ in pairs]
        gts: list[Mapping[str, tuple[float, float]] | None] = [t.points for _, t in pairs]
        metrics_l = landmark_metrics(points, gts, spec.left_eye, spec.right_eye, spec.failure_threshold)
        result: dict[str, Any] = {"task": "landmarks", **metrics_l}
        if spec.eye_closed is not None and states is not None:
            every = [decode_landmarks(card, out, frame_size) for out in outputs]
            result["eye_closed"] = eye_state_scores(every, states, spec.eye_closed)
        return result
    if card.task == "regression" and card.regression is not None:
        spec_r = card.regression
        values = [decode_values(card, out) for out, _ in pairs]
        gts_r: list[Mapping[str, float] | None] = [t.values for _, t in pairs]
        metrics_r = regression_metrics(values, gts_r, spec_r.targets, spec_r.gaze, spec_r.units)
        return {"task": "regression", "frames": len(pairs), **metrics_r}
    raise ValueError(f"score_task scores detection, landmarks and regression cards, not {card.task}")


def eye_state_scores(
    points: Sequence[Mapping[str, tuple[float, float]]], states: Sequence[str | None], spec: EyeClosedSpec
) -> dict[str, float | int | None]:
    """Precision, recall and F1 of the EAR-derived closed state against the labelled state, over the frames
    with a label and a measurable eye."""
    if len(points) != len(states):
        raise ValueError(f"{len(points)} frames of points but {len(states)} state labels")
    tp = fp = fn = frames = 0
    for pts, state in zip(points, states, strict=True):
        closed = eyes_closed(pts, spec.left, spec.right, spec.ear_below)
        if state is None or closed is None:
            continue
        frames += 1
        truth = state == spec.state
        tp += closed and truth
        fp += closed and not truth
        fn += truth and not closed
    return {
        "precision": tp / (tp + fp) if tp + fp else None,
        "recall": tp / (tp + fn) if tp + fn else None,
        "f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None,
        "frames": frames,
    }


def detection_parity(
    card: ModelCardSpec,
    reference: Sequence[Outputs],
    other: Sequence[Outputs],
    frame_size: tuple[int, int],
) -> dict[str, float | int | None]:
    """Box parity of two runs of a detector on the same frames (e.g. INT8 vs the FP32 reference), counting
    the boxes at or above the card's score threshold."""
    if card.detection is None:
        raise ValueError(f"card {card.name} has no detection section")
    threshold = card.detection.score_threshold

    def kept(frames: Sequence[Outputs]) -> list[list[Box]]:
        return [[b for b in decode_detections(card, o, frame_size) if b.score >= threshold] for o in frames]

    return box_parity(kept(reference), kept(other), card.detection.match_iou)
