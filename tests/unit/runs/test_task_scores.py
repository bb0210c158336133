"""task_scores: the board's decoded frames against the clip's object (and state) labels, never a number
where there are no labels, and a clear error when the board sent nothing to score."""

from __future__ import annotations

from pathlib import Path

import pytest

from hil.artifacts.card import EyeClosedSpec, InputSpec, LandmarksSpec, ModelCardSpec
from hil.errors import ModelError
from hil.measure.detection import Box
from hil.measure.truth import FrameTruth
from hil.records import FrameSample
from hil.runs.score import Replay, task_scores
from hil.runs.suite import Clip, ModelUnderTest

IMAGE = InputSpec(name="x", shape=[1, 1, 10, 10])
EYES = ["p1", "p2", "p3", "p4", "p5", "p6"]


def _model(card: ModelCardSpec | None) -> ModelUnderTest:
    return ModelUnderTest("m", Path("m.onnx"), card, {"fp32": Path("m.onnx")}, {"fp32": "0" * 64})


def _samples(n: int) -> list[FrameSample]:
    return [
        FrameSample(index=i, warmup=i == 0, decode_ms=1, preprocess_ms=1, infer_ms=1, postprocess_ms=1,
                    total_ms=4)
        for i in range(n)
    ]  # fmt: skip


DET = ModelCardSpec(
    name="det", task="detection", input=IMAGE, classes=["face"],
    detection={"boxes": "b", "scores": "s", "score_threshold": 0.5},  # type: ignore[arg-type]
)  # fmt: skip


def test_detection_scored_on_every_processed_frame_null_without_labels() -> None:
    decoded = {
        0: {"boxes": [[0, 0, 10, 10, "face", 0.9]]},
        1: {"boxes": [[0, 0, 10, 10, "face", 0.9], [20, 20, 30, 30, "face", 0.6]]},
        2: {"boxes": []},
    }
    replay = Replay(_samples(3), {}, decoded)
    face = [Box(0, 0, 10, 10, "face")]
    truth = [FrameTruth(boxes=face), FrameTruth(boxes=face), FrameTruth()]
    clip = Clip("c", Path("c.mp4"), None, objects=truth)
    metrics = task_scores(replay, _model(DET), clip)
    assert metrics is not None and "detections" not in metrics and "task" not in metrics
    assert metrics["frames"] == 3
    expected = {"precision": 2 / 3, "recall": 1.0, "f1": 0.8, "ap50": 1.0}
    expected |= {"tp": 2, "fp": 1, "fn": 0, "truth": 2}
    assert metrics["per_class"]["face"] == expected
    assert task_scores(replay, _model(DET), Clip("c", Path("c.mp4"), None)) is None  # no labels: no figure
    assert task_scores(replay, _model(None), clip) is None  # no card
    with pytest.raises(ModelError, match="no decoded detection outputs for frame 2"):
        task_scores(Replay(_samples(3), {}, {0: decoded[0], 1: decoded[1]}), _model(DET), clip)


def test_landmarks_take_eye_state_from_the_clips_state_labels() -> None:
    card = ModelCardSpec(
        name="eyes", task="landmarks", input=IMAGE,
        landmarks=LandmarksSpec(output="p", points=EYES, left_eye=EYES[:1], right_eye=EYES[3:4],
                                eye_closed=EyeClosedSpec(left=EYES, right=EYES, ear_below=0.2)),
    )  # fmt: skip
    open_eye = [[0, 5], [3, 3], [6, 3], [9, 5], [6, 7], [3, 7]]  # EAR 4/9
    shut_eye = [[0, 5], [3, 5], [6, 5], [9, 5], [6, 5], [3, 5]]  # EAR 0
    decoded = {0: {"points": open_eye}, 1: {"points": shut_eye}, 2: {"points": shut_eye}}
    states = ["open", "eyes_closed", "open"]
    clip = Clip("c", Path("c.mp4"), states)  # state labels only: no object labels
    metrics = task_scores(Replay(_samples(3), {}, decoded), _model(card), clip)
    assert metrics is not None
    assert metrics["nme"] is None and metrics["frames"] == 0  # no points labelled: no NME invented
    assert metrics["eye_closed"] == {"precision": 0.5, "recall": 1.0, "f1": 2 / 3, "frames": 3}
