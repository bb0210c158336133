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

Decoding is hil.measure.decoders (the code the board harness runs on each frame); `score_decoded` scores
frames decoded there or here. Classification keeps its own scoring (hil.measure.accuracy); asking these
functions for it is a ValueError.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from hil.measure.decoders import TASKS, decode_frame
from hil.measure.detection import Box, box_parity, detection_metrics
from hil.measure.landmarks import eyes_closed, landmark_metrics
from hil.measure.regression_error import regression_metrics
from hil.measure.truth import FrameTruth

if TYPE_CHECKING:  # the card is plain data here; measure does not depend on how cards are loaded
    from hil.artifacts.card import EyeClosedSpec, ModelCardSpec

Outputs = Mapping[str, np.ndarray]


def input_size(card: ModelCardSpec) -> tuple[int, int]:
    """(width, height) of the model input, from the card's shape and layout."""
    _, a, b, c = card.input.shape
    return (c, b) if card.input.layout == "NCHW" else (b, a)


def task_spec(card: ModelCardSpec) -> dict[str, Any]:
    """The card's task as plain JSON data for hil.measure.decoders (what the board harness receives)."""
    if card.task not in TASKS:
        raise ValueError(f"a {card.task} card has no decoded task (decoded tasks: {', '.join(TASKS)})")
    section = {"detection": card.detection, "landmarks": card.landmarks, "regression": card.regression}
    body = section[card.task]
    if body is None:
        raise ValueError(f"card {card.name} has no {card.task} section")
    return {
        "task": card.task,
        "classes": list(card.classes),
        "input_size": list(input_size(card)),
        card.task: body.model_dump(),
    }


def decode_task(card: ModelCardSpec, outputs: Outputs, frame_size: tuple[int, int]) -> dict[str, Any]:
    """One frame decoded by the card's task: the code the board harness runs (hil.measure.decoders)."""
    return decode_frame(task_spec(card), outputs, frame_size)


def boxes_of(decoded: Mapping[str, Any]) -> list[Box]:
    return [
        Box(float(b[0]), float(b[1]), float(b[2]), float(b[3]), str(b[4]), float(b[5]))
        for b in decoded["boxes"]
    ]


def points_of(card: ModelCardSpec, decoded: Mapping[str, Any]) -> dict[str, tuple[float, float]]:
    if card.landmarks is None:
        raise ValueError(f"card {card.name} has no landmarks section")
    pts = decoded["points"]
    if len(pts) != len(card.landmarks.points):
        raise ValueError(f"{len(pts)} decoded points; the card names {len(card.landmarks.points)}")
    return {n: (float(x), float(y)) for n, (x, y) in zip(card.landmarks.points, pts, strict=True)}


def values_of(card: ModelCardSpec, decoded: Mapping[str, Any]) -> dict[str, float]:
    if card.regression is None:
        raise ValueError(f"card {card.name} has no regression section")
    values = decoded["values"]
    if len(values) != len(card.regression.targets):
        raise ValueError(f"{len(values)} decoded values; the card names {len(card.regression.targets)}")
    return {n: float(v) for n, v in zip(card.regression.targets, values, strict=True)}


def decode_detections(card: ModelCardSpec, outputs: Outputs, frame_size: tuple[int, int]) -> list[Box]:
    """One frame's boxes per the card (every score: thresholds are applied when scoring)."""
    if card.detection is None:
        raise ValueError(f"card {card.name} has no detection section")
    return boxes_of(decode_task(card, outputs, frame_size))


def decode_landmarks(
    card: ModelCardSpec, outputs: Outputs, frame_size: tuple[int, int]
) -> dict[str, tuple[float, float]]:
    if card.landmarks is None:
        raise ValueError(f"card {card.name} has no landmarks section")
    return points_of(card, decode_task(card, outputs, frame_size))


def decode_values(card: ModelCardSpec, outputs: Outputs) -> dict[str, float]:
    if card.regression is None:
        raise ValueError(f"card {card.name} has no regression section")
    return values_of(card, decode_task(card, outputs, (1, 1)))


def score_task(
    card: ModelCardSpec,
    outputs: Sequence[Outputs],
    truth: Sequence[FrameTruth | None],
    frame_size: tuple[int, int],
    states: Sequence[str | None] | None = None,
) -> dict[str, Any]:
    """Raw outputs per frame -> the task's metrics (decoded here, then scored by score_decoded)."""
    if card.task not in TASKS:
        raise ValueError(f"score_task scores detection, landmarks and regression cards, not {card.task}")
    if len(outputs) != len(truth):
        raise ValueError(f"{len(outputs)} frames of outputs but {len(truth)} frames of truth")
    return score_decoded(card, [decode_task(card, out, frame_size) for out in outputs], truth, states)


def score_decoded(
    card: ModelCardSpec,
    decoded: Sequence[Mapping[str, Any]],
    truth: Sequence[FrameTruth | None],
    states: Sequence[str | None] | None = None,
) -> dict[str, Any]:
    """Decoded frames (hil.measure.decoders, on the host or on the board) -> the task's metrics."""
    if len(decoded) != len(truth):
        raise ValueError(f"{len(decoded)} frames of outputs but {len(truth)} frames of truth")
    pairs = [(d, t) for d, t in zip(decoded, truth, strict=True) if t is not None]  # labelled frames
    if card.task == "detection" and card.detection is not None:
        found = [boxes_of(d) for d, _ in pairs]
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
        points = [points_of(card, d) for d, _ in pairs]
        gts: list[Mapping[str, tuple[float, float]] | None] = [t.points for _, t in pairs]
        metrics_l = landmark_metrics(points, gts, spec.left_eye, spec.right_eye, spec.failure_threshold)
        result: dict[str, Any] = {"task": "landmarks", **metrics_l}
        if spec.eye_closed is not None and states is not None:
            every = [points_of(card, d) for d in decoded]
            result["eye_closed"] = eye_state_scores(every, states, spec.eye_closed)
        return result
    if card.task == "regression" and card.regression is not None:
        spec_r = card.regression
        values = [values_of(card, d) for d, _ in pairs]
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
    return decoded_box_parity(
        card,
        [decode_task(card, o, frame_size) for o in reference],
        [decode_task(card, o, frame_size) for o in other],
    )


def decoded_box_parity(
    card: ModelCardSpec, reference: Sequence[Mapping[str, Any]], other: Sequence[Mapping[str, Any]]
) -> dict[str, float | int | None]:
    """detection_parity on decoded frames (the board's decoded boxes against the host reference's)."""
    if card.detection is None:
        raise ValueError(f"card {card.name} has no detection section")
    threshold = card.detection.score_threshold

    def kept(frames: Sequence[Mapping[str, Any]]) -> list[list[Box]]:
        return [[b for b in boxes_of(d) if b.score >= threshold] for d in frames]

    return box_parity(kept(reference), kept(other), card.detection.match_iou)
