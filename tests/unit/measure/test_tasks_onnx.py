"""score_task and box parity on real ONNX Runtime outputs of the face-detector-like model, FP32 vs FP16."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx

from hil.artifacts.card import DetectionSpec, InputSpec, ModelCardSpec
from hil.artifacts.shapes import make_static
from hil.measure.tasks import decode_detections, detection_parity, score_task
from hil.measure.truth import FrameTruth
from hil.sim.engine import make_session, to_fp16
from tests.fixtures.faces import INPUT, make_face_model

FRAME = (128, 96)


def test_fp16_boxes_follow_fp32_boxes_through_the_shared_decoder(tmp_path: Path) -> None:
    static = make_static(onnx.load(str(make_face_model(tmp_path / "face.onnx"))), {INPUT: [1, 48, 64, 3]})
    sessions = {
        "fp32": make_session(static.SerializeToString()),
        "fp16": make_session(to_fp16(static).SerializeToString()),
    }
    rng = np.random.default_rng(3)
    frames = [rng.uniform(0, 1, (1, 48, 64, 3)).astype(np.float32) for _ in range(12)]
    outputs = {
        key: [dict(zip(["scores", "peaks", "heat"], s.run(None, {INPUT: f}), strict=True)) for f in frames]
        for key, s in sessions.items()
    }
    card = ModelCardSpec(
        name="face-det", task="detection", classes=["face", "hand", "phone", "eye"],
        input=InputSpec(name=INPUT, shape=[1, 48, 64, 3], layout="NHWC", colour="rgb"),
        detection=DetectionSpec(boxes="peaks", scores="scores", box_format="cxcywh", score_threshold=0.5),
    )  # fmt: skip
    # Truth = what FP32 finds: FP32 must then score perfectly, whatever the (random) weights compute.
    truth: list[FrameTruth | None] = [
        FrameTruth(boxes=[b for b in decode_detections(card, o, FRAME) if b.score >= 0.5])
        for o in outputs["fp32"]
    ]
    boxes = sum(len(t.boxes) for t in truth if t is not None)
    assert boxes > 0
    fp32 = score_task(card, outputs["fp32"], truth, FRAME)
    assert fp32["map50"] == 1.0 and fp32["f1"] == 1.0
    fp16 = score_task(card, outputs["fp16"], truth, FRAME)
    assert fp16["map50"] > 0.9
    parity = detection_parity(card, outputs["fp32"], outputs["fp16"], FRAME)
    assert parity["pairs"] == boxes and parity["mean_iou"] is not None and parity["mean_iou"] > 0.99
    assert parity["mean_score_diff"] is not None and 0.0 < parity["mean_score_diff"] < 0.01  # really fp16
