"""Camera-paced replay on a runtime slower than the camera: the real harness on real ONNX Runtime.

The model is a stack of convolutions heavy enough that one inference takes longer than three frame periods,
so the harness must drop frames as a camera pipeline does, count deadline misses, and report a measured rate.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper

from hil.harness import HARNESS_DIR
from hil.runs.score import Replay, _timing
from hil.runs.suite import Clip, ModelUnderTest
from tests.fixtures.tiny import make_clip


def slow_model(path: Path, side: int = 128, width: int = 48, layers: int = 4) -> Path:
    rng = np.random.default_rng(0)
    nodes, inits, prev, channels = [], [], "input", 3
    for i in range(layers):
        w = rng.normal(0, 0.1, (width, channels, 3, 3)).astype(np.float32)
        inits.append(helper.make_tensor(f"w{i}", TensorProto.FLOAT, list(w.shape), w.reshape(-1).tolist()))
        nodes.append(helper.make_node("Conv", [prev, f"w{i}"], [f"c{i}"], kernel_shape=[3, 3], pads=[1] * 4))
        prev, channels = f"c{i}", width
    nodes += [
        helper.make_node("GlobalAveragePool", [prev], ["g"]),
        helper.make_node("Flatten", ["g"], ["out"]),
    ]
    graph = helper.make_graph(
        nodes, "slow", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, side, side])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, width])], initializer=inits,
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, path)
    return path


def one_inference_s(model: Path) -> float:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
    x = np.zeros((1, 3, 128, 128), np.float32)
    best = float("inf")
    for _ in range(4):
        t0 = time.perf_counter()
        session.run(None, {"input": x})
        best = min(best, time.perf_counter() - t0)
    return best


def harness(model: Path, clip: Path, out: Path, fps: float, warmup: int = 2) -> Replay:
    argv = [sys.executable, str(HARNESS_DIR / "board_harness.py"), "--engine", str(model),
            "--clip", str(clip), "--out", str(out), "--warmup", str(warmup), "--fps", str(fps),
            "--parity-out", str(out.with_suffix(".npz"))]  # fmt: skip
    subprocess.run(argv, check=True, capture_output=True, timeout=300)
    records = [json.loads(line) for line in out.read_text().splitlines()]
    from hil.runs.score import parse_frames

    model_ut = ModelUnderTest("slow", model, None, {"fp32": model}, {"fp32": "x"})
    return parse_frames("\n".join(json.dumps(r) for r in records), Clip("c", clip, None), model_ut)


def test_a_runtime_slower_than_the_camera_drops_frames_and_misses_deadlines(tmp_path: Path) -> None:
    model = slow_model(tmp_path / "slow.onnx")
    clip = make_clip(tmp_path / "c.mp4", frames=30)
    fps = 1.5 / one_inference_s(model)  # one inference takes 1.5 frame periods (or more, on a busy host)
    replay = harness(model, clip, tmp_path / "paced.jsonl", fps)
    summary, samples = replay.summary, replay.samples
    period = 1.0 / fps
    assert len(samples) + len(summary["dropped"]) == 30 and len(summary["dropped"]) > 0
    for s in samples:
        assert s.due_s is not None and s.start_s is not None and s.end_s is not None
        assert s.start_s >= s.due_s - 1e-6  # never before the frame arrived

    # The board judges unrounded times; the samples carry times rounded to 1 µs, so a frame that ended within
    # a microsecond of its deadline may count either way.
    def late(rows: list[Any], slack: float) -> int:
        return sum(
            1
            for s in rows
            if s.end_s is not None and s.due_s is not None and s.end_s > s.due_s + period + slack
        )

    assert late(samples, 2e-6) <= summary["deadline_misses"] <= late(samples, -2e-6)
    assert summary["deadline_misses"] > 0
    timing = _timing(replay)
    timed = [s for s in samples if not s.warmup]
    pacing = timing["pacing"]
    assert pacing.target_fps == fps
    assert late(timed, 2e-6) <= pacing.deadline_misses <= late(timed, -2e-6)
    assert pacing.dropped_frames == len([i for i in summary["dropped"] if i >= 2])
    assert pacing.deadline_misses > 0 and pacing.lateness_p99_ms is not None and pacing.lateness_p99_ms > 0
    assert timing["fps"] == len(timed) / timing["replay_s"]
    assert timing["fps"] < fps  # it cannot keep up with the camera
    # The replay window excludes model load: it starts with the first timed frame. The board adds the
    # unrounded offset and rounds once; the sample's offset is already rounded, so allow two roundings.
    assert abs(summary["windows"][0][0] - (summary["origin_epoch"] + timed[0].start_s)) <= 2e-6
    assert summary["launched_epoch"] < summary["origin_epoch"]


def test_free_run_fps_is_frames_over_the_measured_replay_window(tmp_path: Path) -> None:
    model = slow_model(tmp_path / "slow.onnx", side=64, layers=1)
    clip = make_clip(tmp_path / "c.mp4", frames=12)
    replay = harness(model, clip, tmp_path / "free.jsonl", 0.0)
    timing = _timing(replay)
    timed = [s for s in replay.samples if not s.warmup]
    assert timing["replay_s"] == max(s.end_s or 0 for s in timed) - min(s.start_s or 0 for s in timed)
    assert timing["fps"] == len(timed) / timing["replay_s"]
    assert timing["pacing"].model_dump() == dict.fromkeys(
        ("target_fps", "deadline_misses", "dropped_frames", "lateness_p99_ms")
    )
    # Frame-to-frame overhead (the record written, the next frame read) is inside the window, so the
    # measured rate is at most 1 / mean latency, never above it.
    mean_s = sum(s.total_ms for s in timed) / len(timed) / 1000.0
    assert timing["fps"] <= 1.0 / mean_s * 1.001
    assert set(timing["stages_ms"]) == {"decode", "preprocess", "infer", "postprocess"}
    with np.load(tmp_path / "free.npz") as saved:
        assert list(saved["index"]) == list(range(12)) and saved["out0"].shape == (12, 1, 48)
