"""Regression targets (gaze yaw/pitch, head pose): mean absolute error per target and gaze angular error.

Pure numpy. (Not to be confused with hil.measure.regression, which judges performance regressions.)

- Mean absolute error per target, in the card's units, over the frames where that target is labelled.
- Gaze angular error: yaw and pitch become unit 3-D gaze vectors with the convention of MPIIGaze / ETH-XGaze,
  g = (-cos(pitch) sin(yaw), -sin(pitch), -cos(pitch) cos(yaw)), and the error is the angle between the
  predicted and the true vector, in degrees, over the frames where both angles are labelled.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np


def gaze_vector(yaw: float, pitch: float) -> np.ndarray:
    """Unit gaze vector of (yaw, pitch) in radians."""
    return np.array(
        [-math.cos(pitch) * math.sin(yaw), -math.sin(pitch), -math.cos(pitch) * math.cos(yaw)],
        dtype=np.float64,
    )


def angular_error_deg(
    predicted: tuple[float, float], truth: tuple[float, float], degrees: bool = True
) -> float:
    """Angle in degrees between two (yaw, pitch) gaze directions given in degrees (or radians)."""
    conv = math.radians if degrees else float
    a = gaze_vector(conv(predicted[0]), conv(predicted[1]))
    b = gaze_vector(conv(truth[0]), conv(truth[1]))
    cosine = float(np.clip(np.dot(a, b), -1.0, 1.0))
    return math.degrees(math.acos(cosine))


def regression_metrics(
    predicted: Sequence[Mapping[str, float]],
    truth: Sequence[Mapping[str, float] | None],
    targets: Sequence[str],
    gaze: Sequence[str] | None = None,
    units: str = "degrees",
) -> dict[str, object]:
    """MAE per target (and their mean), and the mean gaze angular error when `gaze` names (yaw, pitch)."""
    if len(predicted) != len(truth):
        raise ValueError(f"{len(predicted)} frames of predictions but {len(truth)} frames of truth")
    per_target: dict[str, dict[str, float | int | None]] = {}
    for name in targets:
        errors = [
            abs(float(p[name]) - float(t[name]))
            for p, t in zip(predicted, truth, strict=True)
            if t is not None and name in t and name in p
        ]
        per_target[name] = {"mae": sum(errors) / len(errors) if errors else None, "frames": len(errors)}
    maes = [float(v["mae"]) for v in per_target.values() if v["mae"] is not None]
    angular: float | None = None
    if gaze is not None:
        yaw, pitch = gaze
        angles = [
            angular_error_deg((p[yaw], p[pitch]), (t[yaw], t[pitch]), units == "degrees")
            for p, t in zip(predicted, truth, strict=True)
            if t is not None and yaw in t and pitch in t and yaw in p and pitch in p
        ]
        angular = sum(angles) / len(angles) if angles else None
    return {
        "mae": sum(maes) / len(maes) if maes else None,
        "angular_error_deg": angular,
        "per_target": per_target,
    }
