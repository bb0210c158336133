"""Model card tasks beyond classification: each task's section, strict and with clear errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from hil.artifacts.card import load_card
from hil.errors import ArtifactError

INPUT = {"name": "image", "shape": [1, 240, 320, 3], "layout": "NHWC", "colour": "rgb"}
DETECTION = {
    "name": "face-det",
    "task": "detection",
    "input": INPUT,
    "classes": ["face", "phone"],
    "detection": {"boxes": "boxes", "scores": "scores", "box_format": "cxcywh", "score_threshold": 0.4},
}
LANDMARKS = {
    "name": "eyes",
    "task": "landmarks",
    "input": INPUT,
    "landmarks": {
        "output": "points",
        "points": ["l_out", "l_in", "r_in", "r_out"],
        "left_eye": ["l_out", "l_in"],
        "right_eye": ["r_in", "r_out"],
        "failure_threshold": 0.08,
    },
}
REGRESSION = {
    "name": "gaze",
    "task": "regression",
    "input": INPUT,
    "regression": {"output": "gaze", "targets": ["yaw", "pitch"], "gaze": ["yaw", "pitch"]},
}


def card(tmp_path: Path, data: dict[str, Any]) -> Path:
    model = tmp_path / "m.onnx"
    (tmp_path / "m.card.yaml").write_text(yaml.safe_dump(data))
    return model


def error(tmp_path: Path, data: dict[str, Any]) -> str:
    with pytest.raises(ArtifactError) as caught:
        load_card(card(tmp_path, data))
    return caught.value.message


def test_each_task_loads_with_its_section_and_defaults(tmp_path: Path) -> None:
    det = load_card(card(tmp_path, DETECTION))
    assert det is not None and det.detection is not None
    assert (det.detection.nms_iou, det.detection.match_iou, det.detection.normalized) == (0.45, 0.5, True)
    assert det.detection.score_threshold == 0.4 and det.detection.box_format == "cxcywh"
    marks = load_card(card(tmp_path, LANDMARKS))
    assert marks is not None and marks.landmarks is not None and marks.classes == []
    gaze = load_card(card(tmp_path, REGRESSION))
    assert gaze is not None and gaze.regression is not None and gaze.regression.units == "degrees"


def test_task_errors_name_the_field(tmp_path: Path) -> None:
    assert "a detection card needs its 'detection' section" in error(
        tmp_path, {**DETECTION, "detection": None}
    )
    assert "a detection card needs classes" in error(tmp_path, {**DETECTION, "classes": []})
    msg = error(tmp_path, {**LANDMARKS, "detection": DETECTION["detection"]})
    assert "a 'detection' section on a landmarks card" in msg
    assert "task: segmentation" not in msg
    assert "task:" in error(tmp_path, {**DETECTION, "task": "segmentation"})
    bad_eye = {**LANDMARKS, "landmarks": {**LANDMARKS["landmarks"], "left_eye": ["nose"]}}  # type: ignore[dict-item]
    assert "eye point 'nose' is not one of landmarks.points" in error(tmp_path, bad_eye)
    ear = {"left": ["l_out", "l_in", "l_in", "l_out", "l_in", "lid"], "right": ["r_in"] * 6}
    bad_ear = {**LANDMARKS, "landmarks": {**LANDMARKS["landmarks"], "eye_closed": ear}}  # type: ignore[dict-item]
    assert "eye point 'lid' is not one of landmarks.points" in error(tmp_path, bad_ear)
    short = {**LANDMARKS, "landmarks": {**LANDMARKS["landmarks"], "eye_closed": {**ear, "right": ["r_in"]}}}  # type: ignore[dict-item]
    assert "landmarks.eye_closed.right" in error(tmp_path, short)
    typo = {**DETECTION, "detection": {**DETECTION["detection"], "score_treshold": 0.3}}  # type: ignore[dict-item]
    assert "detection.score_treshold" in error(tmp_path, typo)
    bad_gaze = {**REGRESSION, "regression": {"output": "g", "targets": ["yaw"], "gaze": ["yaw", "pitch"]}}
    assert "must name two of regression.targets" in error(tmp_path, bad_gaze)
    assert "input.shape" in error(tmp_path, {**DETECTION, "input": {**INPUT, "shape": [1, 0, 320, 3]}})


def test_classification_cards_still_need_classes(tmp_path: Path) -> None:
    plain = {"name": "dms", "input": {"name": "x", "shape": [1, 1, 64, 64]}, "classes": ["a", "b"]}
    loaded = load_card(card(tmp_path, plain))
    assert loaded is not None and loaded.task == "classification"
    assert "a classification card needs classes" in error(tmp_path, {**plain, "classes": []})
