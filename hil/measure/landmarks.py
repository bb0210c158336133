"""Landmarks: normalised mean error (inter-ocular) and failure rate, as face-alignment benchmarks report them.

Pure numpy. Points are (x, y) in pixels of the clip's frame. Per frame:

    NME = mean over the points labelled in that frame of ||predicted - truth|| / inter-ocular distance

the inter-ocular distance being the distance between the truth eye centres (each the mean of the card's
eye points that are labelled in that frame). A point missing from the truth (occluded, not annotated) is
left out of the mean, never counted as zero error; a frame without both eye centres, or whose eye centres
coincide, cannot be normalised and is skipped (counted in `skipped_frames`). The run's NME is the mean of
the frame NMEs; the failure rate is the fraction of scored frames whose NME is above the threshold.

Eye state from landmarks (for pipelines that derive it so): the eye aspect ratio of Soukupová and Čech
(2016) over six points p1..p6 of one eye (p1, p4 the corners; p2, p3 on the upper lid; p6, p5 below them):
EAR = (|p2 - p6| + |p3 - p5|) / (2 |p1 - p4|), small when the eye is closed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # this file runs on boards with Python 3.8: no tuple[...] evaluated at import
    Point = tuple[float, float]


def decode_points(
    output: np.ndarray,
    n_points: int,
    *,
    normalized: bool = True,
    input_size: tuple[int, int] = (1, 1),
    frame_size: tuple[int, int] = (1, 1),
) -> np.ndarray:
    """[P, 2] frame-pixel points from a [1, P, 2], [P, 2] or [1, 2P] (x0, y0, x1, y1, ...) output."""
    flat = np.asarray(output, dtype=np.float64).reshape(-1)
    if flat.size != 2 * n_points:
        raise ValueError(f"the landmark output has {flat.size} values; the card names {n_points} points")
    points = flat.reshape(n_points, 2)
    fw, fh = frame_size
    iw, ih = input_size
    sx, sy = (fw, fh) if normalized else (fw / iw, fh / ih)
    return points * np.array([sx, sy])


def _centre(points: Mapping[str, Point], names: Sequence[str]) -> np.ndarray | None:
    present = [points[n] for n in names if n in points]
    return np.mean(np.asarray(present, dtype=np.float64), axis=0) if present else None


def frame_nme(
    predicted: Mapping[str, Point],
    truth: Mapping[str, Point],
    left_eye: Sequence[str],
    right_eye: Sequence[str],
) -> float | None:
    """One frame's NME (see the module doc), or None when it cannot be normalised or has no labelled point
    the model predicted."""
    left, right = _centre(truth, left_eye), _centre(truth, right_eye)
    if left is None or right is None:
        return None
    iod = float(np.linalg.norm(left - right))
    if iod <= 0:
        return None
    names = [n for n in truth if n in predicted]
    if not names:
        return None
    errors = [float(np.linalg.norm(np.subtract(predicted[n], truth[n]))) for n in names]
    return sum(errors) / len(errors) / iod


def landmark_metrics(
    predicted: Sequence[Mapping[str, Point]],
    truth: Sequence[Mapping[str, Point] | None],
    left_eye: Sequence[str],
    right_eye: Sequence[str],
    failure_threshold: float,
) -> dict[str, float | int | None]:
    """NME, failure rate and counts over aligned frames; a frame whose truth is None is unlabelled."""
    if len(predicted) != len(truth):
        raise ValueError(f"{len(predicted)} frames of points but {len(truth)} frames of truth")
    scores: list[float] = []
    skipped = 0
    for pred, gt in zip(predicted, truth):
        if gt is None or not gt:
            continue
        value = frame_nme(pred, gt, left_eye, right_eye)
        if value is None:
            skipped += 1
        else:
            scores.append(value)
    failures = sum(1 for v in scores if v > failure_threshold)
    return {
        "nme": sum(scores) / len(scores) if scores else None,
        "failure_rate": failures / len(scores) if scores else None,
        "frames": len(scores),
        "skipped_frames": skipped,
    }


def eye_aspect_ratio(points: Mapping[str, Point], names: Sequence[str]) -> float | None:
    """EAR of one eye from its six points named p1..p6 in `names` (see the module doc); None when a point is
    missing or the corners coincide."""
    if len(names) != 6 or any(n not in points for n in names):
        return None
    p1, p2, p3, p4, p5, p6 = (np.asarray(points[n], dtype=np.float64) for n in names)
    width = float(np.linalg.norm(p1 - p4))
    if width <= 0:
        return None
    return float(np.linalg.norm(p2 - p6) + np.linalg.norm(p3 - p5)) / (2.0 * width)


def eyes_closed(
    points: Mapping[str, Point], left: Sequence[str], right: Sequence[str], ear_below: float
) -> bool | None:
    """Closed when the mean EAR of the eyes that can be measured is below `ear_below`; None when neither."""
    ears = [e for e in (eye_aspect_ratio(points, left), eye_aspect_ratio(points, right)) if e is not None]
    return sum(ears) / len(ears) < ear_below if ears else None
