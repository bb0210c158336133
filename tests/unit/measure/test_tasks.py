"""score_task: raw outputs per frame + the card + object labels -> the task's metrics (hand-computed)."""

from __future__ import annotations

import numpy as np
import pytest

from hil.artifacts.card import (
    DetectionSpec,
    EyeClosedSpec,
    InputSpec,
    LandmarksSpec,
    ModelCardSpec,
    RegressionSpec,
)
from hil.measure.detection import Box
from hil.measure.tasks import detection_parity, input_size, score_task
from hil.measure.truth import FrameTruth

NHWC = InputSpec(name="image", shape=[1, 60, 80, 3], layout="NHWC", colour="rgb")
FRAME = (160, 120)  # the clip's frames are twice the input size


def det_card(**spec: object) -> ModelCardSpec:
    return ModelCardSpec(
        name="faces", task="detection", input=NHWC, classes=["face", "phone"],
        detection=DetectionSpec(boxes="boxes", scores="scores", labels="labels", **spec),  # type: ignore[arg-type]
    )  # fmt: skip


def test_input_size_follows_the_layout() -> None:
    assert input_size(det_card()) == (80, 60)
    nchw = ModelCardSpec(name="m", input=InputSpec(name="x", shape=[1, 1, 32, 48]), classes=["a"])
    assert input_size(nchw) == (48, 32)


def test_detection_scores_decoded_boxes_against_truth_in_frame_pixels() -> None:
    card = det_card(normalized=False, score_threshold=0.5)  # boxes in input pixels
    frames = [
        {  # one good face (input px 10..30 -> frame px 20..60), one low-score miss-placed phone
            "boxes": np.array([[[10, 10, 30, 30], [50, 40, 60, 50]]], np.float32),
            "scores": np.array([[0.9, 0.2]], np.float32),
            "labels": np.array([[0, 1]]),
        },
        {
            "boxes": np.zeros((1, 0, 4), np.float32),
            "scores": np.zeros((1, 0), np.float32),
            "labels": np.zeros((1, 0)),
        },
        {
            "boxes": np.array([[[0, 0, 5, 5]]], np.float32),
            "scores": np.array([[0.8]]),
            "labels": np.array([[0]]),
        },
    ]
    truth: list[FrameTruth | None] = [
        FrameTruth(boxes=[Box(20, 20, 60, 60, "face"), Box(0, 0, 10, 10, "phone")]),
        FrameTruth(boxes=[Box(0, 0, 40, 40, "face")]),  # missed: no predictions at all
        None,  # unlabelled: not scored
    ]
    result = score_task(card, frames, truth, FRAME)
    assert result["task"] == "detection" and result["frames"] == 2
    face = result["per_class"]["face"]
    assert (face["tp"], face["fp"], face["fn"]) == (1, 0, 1)
    assert face["precision"] == 1.0 and face["recall"] == 0.5 and face["f1"] == pytest.approx(2 / 3)
    assert face["ap50"] == pytest.approx(0.5)
    phone = result["per_class"]["phone"]
    assert (phone["tp"], phone["fn"], phone["ap50"]) == (0, 1, 0.0)  # the 0.2 phone box is elsewhere
    assert result["map50"] == pytest.approx(0.25)
    assert result["detections"][0][0] == [20.0, 20.0, 60.0, 60.0, "face", pytest.approx(0.9)]


def test_detection_parity_between_precisions() -> None:
    card = det_card(score_threshold=0.5)
    ref = [{"boxes": np.array([[0.1, 0.1, 0.5, 0.5]]), "scores": np.array([0.9]), "labels": np.array([0])}]
    int8 = [{"boxes": np.array([[0.1, 0.1, 0.5, 0.45]]), "scores": np.array([0.85]), "labels": np.array([0])}]
    parity = detection_parity(card, ref, int8, FRAME)
    assert parity["pairs"] == 1 and parity["mean_iou"] == pytest.approx(0.875)  # 35/40 of the height
    assert parity["mean_score_diff"] == pytest.approx(0.05)


def test_landmarks_nme_from_flat_normalised_points() -> None:
    card = ModelCardSpec(
        name="eyes", task="landmarks", input=NHWC,
        landmarks=LandmarksSpec(
            output="pts", points=["l", "r"], left_eye=["l"], right_eye=["r"], failure_threshold=0.1
        ),
    )  # fmt: skip
    # normalised (0.25, 0.5) and (0.75, 0.5) -> frame (40, 60) and (120, 60); truth 80 px apart
    # second frame: the left point is predicted 16 px low; IOD 80 -> NME (16 + 0) / 2 / 80 = 0.1
    out = [{"pts": np.array([[0.25, 0.5, 0.75, 0.5]])}, {"pts": np.array([[0.25, 76 / 120, 0.75, 0.5]])}]
    truth = [FrameTruth(points={"l": (40.0, 60.0), "r": (120.0, 60.0)})] * 2
    result = score_task(card, out, truth, FRAME)
    assert result["nme"] == pytest.approx(0.05) and result["frames"] == 2
    assert result["failure_rate"] == 0.0  # 0.1 is not above the 0.1 threshold
    strict = card.model_copy(
        update={"landmarks": card.landmarks.model_copy(update={"failure_threshold": 0.09})}
    )
    assert score_task(strict, out, truth, FRAME)["failure_rate"] == 0.5


def test_regression_gaze_errors() -> None:
    card = ModelCardSpec(
        name="gaze", task="regression", input=NHWC,
        regression=RegressionSpec(output="g", targets=["yaw", "pitch"], gaze=["yaw", "pitch"]),
    )  # fmt: skip
    out = [{"g": np.array([[30.0, 0.0]])}, {"g": np.array([[0.0, 0.0]])}]
    truth = [FrameTruth(values={"yaw": 0.0, "pitch": 0.0}), FrameTruth(values={"yaw": 0.0, "pitch": 10.0})]
    result = score_task(card, out, truth, FRAME)
    assert result["per_target"]["yaw"]["mae"] == 15.0 and result["per_target"]["pitch"]["mae"] == 5.0
    assert result["angular_error_deg"] == pytest.approx((30.0 + 10.0) / 2)
    with pytest.raises(ValueError, match="has 3 values"):
        score_task(card, [{"g": np.zeros(3)}], [FrameTruth()], FRAME)


def test_classification_is_not_scored_here() -> None:
    card = ModelCardSpec(name="m", input=NHWC, classes=["a"])
    with pytest.raises(ValueError, match="not classification"):
        score_task(card, [], [], FRAME)


def test_eye_state_derived_from_predicted_landmarks_against_state_labels() -> None:
    names = ["p1", "p2", "p3", "p4", "p5", "p6"]
    card = ModelCardSpec(
        name="eye", task="landmarks", input=NHWC,
        landmarks=LandmarksSpec(
            output="pts", points=names, left_eye=["p1"], right_eye=["p4"], normalized=False,
            eye_closed=EyeClosedSpec(left=names, right=names, ear_below=0.2),
        ),
    )  # fmt: skip

    def frame(opening: float) -> dict[str, np.ndarray]:  # input px; corners 20 apart -> EAR = opening / 20
        h = opening / 2
        return {"pts": np.array([[0, 0], [7, -h], [13, -h], [20, 0], [13, h], [7, h]], np.float32)}

    outputs = [frame(6.0), frame(1.0), frame(1.0), frame(6.0), frame(1.0)]  # EAR .3, .05, .05, .3, .05
    states = ["attentive", "eyes_closed", "attentive", "eyes_closed", None]
    truth: list[FrameTruth | None] = [None] * 5  # no point labels: NME has nothing to score
    result = score_task(card, outputs, truth, FRAME, states=states)
    assert result["nme"] is None and result["frames"] == 0
    # closed predicted on frames 1, 2 (frame 4 unlabelled); truth closed on 1, 3 -> TP 1, FP 1, FN 1
    assert result["eye_closed"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "frames": 4}
    assert "eye_closed" not in score_task(card, outputs, truth, FRAME)  # no state labels given
