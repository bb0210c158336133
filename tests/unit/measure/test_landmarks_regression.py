"""Landmark NME and regression errors against hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hil.measure.landmarks import decode_points, eye_aspect_ratio, eyes_closed, frame_nme, landmark_metrics
from hil.measure.regression_error import angular_error_deg, gaze_vector, regression_metrics

LEFT, RIGHT = ["l_out", "l_in"], ["r_in", "r_out"]
TRUTH = {"l_out": (0.0, 0.0), "l_in": (20.0, 0.0), "r_in": (80.0, 0.0), "r_out": (100.0, 0.0)}
# eye centres (10, 0) and (90, 0): inter-ocular distance 80


def test_nme_is_mean_point_error_over_inter_ocular_distance() -> None:
    pred = {**TRUTH, "l_out": (3.0, 4.0), "r_out": (100.0, 8.0)}  # errors 5 and 8, others 0
    assert frame_nme(pred, TRUTH, LEFT, RIGHT) == pytest.approx((5 + 8 + 0 + 0) / 4 / 80)


def test_nme_with_one_missing_truth_point_leaves_it_out() -> None:
    truth = {k: v for k, v in TRUTH.items() if k != "l_out"}  # occluded: left eye centre is l_in alone
    pred = {**TRUTH, "l_out": (50.0, 50.0), "r_in": (80.0, 6.0)}  # l_out is wildly off but unlabelled
    # eye centres (20, 0) and (90, 0): IOD 70; errors over l_in, r_in, r_out = 0, 6, 0
    assert frame_nme(pred, truth, LEFT, RIGHT) == pytest.approx(6 / 3 / 70)


def test_frames_without_both_eyes_are_skipped_and_failures_counted() -> None:
    good = dict(TRUTH)
    bad = {**TRUTH, "l_out": (0.0, 16.0)}  # error 16: NME 16/4/80 = 0.05
    no_right = {"l_out": (0.0, 0.0), "l_in": (20.0, 0.0)}
    m = landmark_metrics(
        [good, bad, good, good], [TRUTH, TRUTH, no_right, None], LEFT, RIGHT, failure_threshold=0.04
    )
    assert m["nme"] == pytest.approx((0 + 0.05) / 2)
    assert m["failure_rate"] == 0.5 and m["frames"] == 2 and m["skipped_frames"] == 1
    empty = landmark_metrics([good], [None], LEFT, RIGHT, 0.1)
    assert empty["nme"] is None and empty["failure_rate"] is None


def test_decode_points_scales_to_the_frame() -> None:
    out = np.array([[0.5, 0.25, 1.0, 1.0]])  # [1, 2P]
    assert decode_points(out, 2, frame_size=(200, 100)).tolist() == [[100, 25], [200, 100]]
    pixels = decode_points(
        np.array([[[32, 16]]]), 1, normalized=False, input_size=(64, 32), frame_size=(128, 96)
    )
    assert pixels.tolist() == [[64, 48]]
    with pytest.raises(ValueError, match="3 points"):
        decode_points(out, 3)


def test_gaze_vectors_and_angular_error() -> None:
    assert gaze_vector(0.0, 0.0) == pytest.approx([0.0, 0.0, -1.0])
    assert angular_error_deg((10.0, 5.0), (10.0, 5.0)) == pytest.approx(0.0, abs=1e-6)
    assert angular_error_deg((30.0, 0.0), (0.0, 0.0)) == pytest.approx(30.0)  # yaw alone, at zero pitch
    assert angular_error_deg((0.0, -20.0), (0.0, 25.0)) == pytest.approx(45.0)
    assert angular_error_deg((math.pi / 2, 0.0), (0.0, 0.0), degrees=False) == pytest.approx(90.0)
    # at 60 degrees pitch, 90 degrees of yaw is far less than 90 degrees of gaze
    assert angular_error_deg((90.0, 60.0), (0.0, 60.0)) < 60.0


def test_regression_mae_per_target_with_missing_truth() -> None:
    pred = [{"yaw": 10.0, "pitch": 0.0}, {"yaw": -5.0, "pitch": 4.0}, {"yaw": 0.0, "pitch": 0.0}]
    truth = [{"yaw": 12.0, "pitch": 1.0}, {"yaw": -5.0}, None]
    m = regression_metrics(pred, truth, ["yaw", "pitch"], gaze=["yaw", "pitch"])
    per = m["per_target"]
    assert isinstance(per, dict)
    assert per["yaw"] == {"mae": 1.0, "frames": 2} and per["pitch"] == {"mae": 1.0, "frames": 1}
    assert m["mae"] == 1.0
    assert m["angular_error_deg"] == pytest.approx(angular_error_deg((10.0, 0.0), (12.0, 1.0)))


EYE = ["p1", "p2", "p3", "p4", "p5", "p6"]


def eye(opening: float, dx: float = 0.0) -> dict[str, tuple[float, float]]:
    """Corners 40 px apart; lids `opening` px apart at x = 13 and 27 (lid points above/below the line y=0)."""
    half = opening / 2
    return {
        "p1": (dx + 0.0, 0.0), "p2": (dx + 13.0, -half), "p3": (dx + 27.0, -half),
        "p4": (dx + 40.0, 0.0), "p5": (dx + 27.0, half), "p6": (dx + 13.0, half),
    }  # fmt: skip


def test_eye_aspect_ratio_by_hand() -> None:
    assert eye_aspect_ratio(eye(12.0), EYE) == pytest.approx((12 + 12) / (2 * 40))  # 0.3: open
    assert eye_aspect_ratio(eye(4.0), EYE) == pytest.approx(0.1)  # nearly shut
    assert eye_aspect_ratio({k: v for k, v in eye(4.0).items() if k != "p5"}, EYE) is None  # a point missing
    assert eye_aspect_ratio({n: (0.0, 0.0) for n in EYE}, EYE) is None  # corners coincide
    right = ["q" + n for n in EYE]
    both = {**eye(4.0), **{"q" + k: v for k, v in eye(12.0, dx=100).items()}}
    assert eyes_closed(both, EYE, right, ear_below=0.2) is False  # mean EAR (0.1 + 0.3) / 2 = 0.2
    assert eyes_closed(both, EYE, right, ear_below=0.21) is True
    assert eyes_closed(eye(4.0), EYE, right, ear_below=0.2) is True  # only the left eye measurable
    assert eyes_closed({}, EYE, right, ear_below=0.2) is None
