"""Pacing arithmetic, the camera schedule, and output parity on a real INT8 model (ONNX Runtime)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from hil.harness.board_harness import camera_schedule
from hil.measure.pacing import Timed, pacing, stage_medians, throughput
from hil.measure.parity import compare, parity_ok
from hil.runs.reference import board_parity, reference_outputs
from hil.runs.suite import load_clip, load_model
from tests.fixtures.thirdparty import make_detector
from tests.fixtures.tiny import make_clip, make_model


def test_camera_schedule_drops_a_frame_whose_successor_has_arrived() -> None:
    # Period 1 s; frame durations 2.5, 0.5, 0.5, 0.5, 0.5 s.
    slots = camera_schedule([2.5, 0.5, 0.5, 0.5, 0.5], 1.0)
    # Frame 0 runs 0..2.5; frame 1 (due 1) could start at 2.5 >= its successor's arrival 2: dropped;
    # frame 2 (due 2) starts 2.5; frame 3 (due 3) starts 3; frame 4 (due 4) starts 4.
    assert slots == [(0.0, 2.5, 0.0), None, (2.5, 3.0, 2.0), (3.0, 3.5, 3.0), (4.0, 4.5, 4.0)]
    assert camera_schedule([0.5, 0.25], 0.0) == [(0.0, 0.5, None), (0.5, 0.75, None)]


def test_pacing_counts_misses_drops_and_lateness() -> None:
    frames = [
        Timed(0.0, 2.5, 0.0, warmup=True),
        Timed(2.5, 3.0, 2.0, warmup=False),  # deadline 3.0: on time
        Timed(3.0, 4.25, 3.0, warmup=False),  # deadline 4.0: 250 ms late
        Timed(4.25, 4.5, 4.0, warmup=False),
    ]
    got = pacing(1.0, frames, dropped=1)
    assert got == {"target_fps": 1.0, "deadline_misses": 1, "dropped_frames": 1, "lateness_p99_ms": 250.0}
    assert throughput(frames) == (3 / 2.0, 2.0)  # 3 timed frames from 2.5 s to 4.5 s
    assert pacing(None, frames, 0)["deadline_misses"] is None
    assert throughput([Timed(0, 1, None, warmup=True)]) == (None, None)
    assert stage_medians({"infer": [3.0, 1.0, 2.0]}) == {
        "decode": None, "preprocess": None, "infer": 2.0, "postprocess": None,
    }  # fmt: skip


def test_int8_parity_against_the_host_fp32_reference(tmp_path: Path) -> None:
    from tests.integration.test_run_qcs8255 import host_qdq

    model_path = make_model(tmp_path / "bright.onnx")
    clip_path = make_clip(tmp_path / "c.mp4", frames=24)
    qdq = host_qdq(model_path, clip_path)
    model, _ = load_model(model_path, ["fp32", "int8"])
    clip = load_clip(clip_path)
    indices = list(range(24))
    names, reference = reference_outputs(model, clip, indices)
    assert names == ["scores"] and reference[0].shape == (24, 1, 4)
    int8 = ort.InferenceSession(str(qdq), providers=["CPUExecutionProvider"])
    from hil.harness import board_harness

    assert model.card is not None
    spec = model.card.input.model_dump()
    frames = [f for f, _ in board_harness.frames_from_clip(str(clip_path))]
    board = np.stack([int8.run(None, {"input": board_harness.preprocess(f, spec)})[0] for f in frames])
    figures = compare(reference[0], board)
    assert 0 < figures["max_abs"] < 0.1 and figures["cosine"] > 0.98
    assert figures["top1_agreement"] is not None and figures["top1_agreement"] >= 0.9
    assert parity_ok({"scores": figures}, "int8") == (True, [])
    worse = {**figures, "cosine": 0.97}
    assert parity_ok({"scores": worse}, "int8") == (False, ["parity cosine of scores 0.970000 < 0.98"])
    same = compare(reference[0], reference[0])
    assert same == {"max_abs": 0.0, "mean_abs": 0.0, "cosine": 1.0, "top1_agreement": 1.0}


def test_every_output_of_a_cardless_nhwc_model_by_name_and_snpe_layout(tmp_path: Path) -> None:
    model_path = make_detector(tmp_path / "det.onnx")
    clip_path = make_clip(tmp_path / "c.mp4", frames=6)
    model, _ = load_model(model_path, ["fp32"])
    clip = load_clip(clip_path)
    names, reference = reference_outputs(model, clip, [0, 2, 4])
    assert names == ["scores", "heatmap"] and reference[1].shape == (3, 1, 2, 8, 8)
    # An SNPE board: outputs in name order, flat, 4-D ones channel-last.
    heatmap_nhwc = reference[1].transpose(0, 1, 3, 4, 2).reshape(3, -1)
    buffer = io.BytesIO()
    np.savez(buffer, index=np.array([0, 2, 4]), out0=heatmap_nhwc, out1=reference[0].reshape(3, -1))
    summary = {"output_names": ["heatmap", "scores"], "output_layout": "NHWC"}
    parity = board_parity(model, clip, buffer.getvalue(), summary)
    assert parity is not None and parity.frames == 3 and list(parity.outputs) == ["scores", "heatmap"]
    assert all(p.max_abs == 0.0 and p.cosine == pytest.approx(1.0) for p in parity.outputs.values())
    # The same values read as NCHW would not match: the layout matters.
    wrong = compare(reference[1], heatmap_nhwc)
    assert wrong["max_abs"] > 0
    one_value = compare(np.ones((3, 1, 1)), np.ones((3, 1)))
    assert one_value["top1_agreement"] is None
