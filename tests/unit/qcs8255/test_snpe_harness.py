"""The on-board SNPE replay and calibration modules, run as on a board, read back by hil's own scoring."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper

from hil.artifacts.card import load_card
from hil.artifacts.labels import read_labels
from hil.runs.score import parse_frames
from hil.runs.suite import Clip, ModelUnderTest

from .conftest import HARNESS, SPEC, run_harness, run_tool

sys.path.insert(0, str(HARNESS))
import snpe_calib  # the module as the board imports it


def replay(dlc: Path, clip: Path, rundir: Path, *net_flags: str, fps: str = "0", spec: bool = True) -> Path:
    prepare: list[str | Path] = ["prepare", "--clip", clip, "--rundir", rundir, "--dlc", dlc]
    result = run_harness("snpe_replay.py", *prepare, *(["--input-json", json.dumps(SPEC)] if spec else []))
    assert result.rc == 0, result.both
    net_run: list[str | Path] = [
        "-m",
        "hil.sim.tools.snpe_net_run",
        "--container",
        dlc,
        "--input_list",
        rundir / "input_list.txt",
    ]
    net_run += ["--output_dir", rundir / "output", *net_flags]
    result = run_harness(
        "snpe_replay.py", "exec", "--rusage", rundir / "net-run.json", "--", sys.executable, *net_run
    )
    assert result.rc == 0, result.both
    view: list[str | Path] = [
        "--input_log",
        rundir / "output" / "SNPEDiag_0.log",
        "--output",
        rundir / "output" / "diag.csv",
    ]
    assert run_tool("snpe_diagview", *view).rc == 0
    out = rundir / "frames.jsonl"
    collect: list[str | Path] = [
        "collect",
        "--rundir",
        rundir,
        "--out",
        out,
        "--warmup",
        "3",
        "--fps",
        fps,
        "--runtime",
        "DSP",
    ]
    result = run_harness("snpe_replay.py", *collect)
    assert result.rc == 0, result.both
    return out


def test_replay_writes_harness_lines_that_hil_scores(
    board: Path, model: Path, clip: Path, tmp_path: Path
) -> None:
    dlc = tmp_path / "m.cpu.dlc"
    assert run_tool("snpe_onnx_to_dlc", "-i", model, "-o", dlc).rc == 0
    out = replay(dlc, clip, tmp_path / "run")
    card = load_card(model)
    mut = ModelUnderTest("bright", model, card, {"fp32": model}, {"fp32": "x"})
    replayed = parse_frames(out.read_text(), Clip("cabin", clip, read_labels(clip)), mut)
    assert len(replayed.samples) == 16 and sum(s.warmup for s in replayed.samples) == 3
    correct = [s.predicted == s.label for s in replayed.samples]
    assert sum(correct) >= 15
    for s in replayed.samples:
        assert s.infer_ms > 0 and s.decode_ms > 0 and s.preprocess_ms > 0 and s.postprocess_ms > 0
        parts = s.decode_ms + s.preprocess_ms + s.infer_ms + s.postprocess_ms
        assert abs(s.total_ms - parts) < 0.01
    summary = replayed.summary
    assert summary["runtime"] == "snpe-net-run (DSP)" and summary["frames"] == 16
    assert summary["peak_rss_mb"] > 20 and summary["deadline_misses"] is None
    # infer_ms is snpe-diagview's per-inference TOTAL_INFERENCE_TIME of the same input.
    rows = [r.split(",") for r in (tmp_path / "run" / "output" / "diag.csv").read_text().splitlines()]
    first = next(float(r[3]) / 1000 for r in rows if r[1] == "TOTAL_INFERENCE_TIME" and r[5] == "0")
    assert replayed.samples[0].infer_ms == round(first, 4)
    assert (
        not (tmp_path / "run" / "inputs").exists() and not (tmp_path / "run" / "output" / "Result_0").exists()
    )


def test_camera_paced_replay_counts_misses_and_a_cardless_model_reads_the_dlc(
    board: Path, model: Path, clip: Path, tmp_path: Path
) -> None:
    dlc = tmp_path / "m.dlc"
    assert run_tool("snpe_onnx_to_dlc", "-i", model, "-o", dlc).rc == 0
    out = replay(dlc, clip, tmp_path / "run", fps="100000", spec=False)  # a 10 us frame period
    lines = out.read_text().splitlines()
    summary = json.loads(lines[-1])["summary"]
    # The first frame misses its deadline; every later one arrives while the pipeline is still busy with an
    # earlier frame and its successor has arrived too, so a camera pipeline drops it.
    assert summary["deadline_misses"] == 1 and len(summary["dropped"]) == 15
    assert summary["timing"] == "reconstructed" and summary["target_fps"] == 100000.0
    assert len(lines) - 1 == summary["frames"] == 1


def test_prepare_without_a_card_needs_one_for_a_real_dlc(board: Path, clip: Path, tmp_path: Path) -> None:
    (tmp_path / "real.dlc").write_bytes(b"\x00\x01 not ours")
    result = run_harness("snpe_replay.py", "prepare", "--clip", clip, "--rundir", tmp_path / "r",
                         "--dlc", tmp_path / "real.dlc")  # fmt: skip
    assert result.rc != 0 and "model card" in result.err


def test_onnx_input_reader_matches_onnx(tmp_path: Path) -> None:
    weight = helper.make_tensor("w", TensorProto.FLOAT, [3], [1.0, 2.0, 3.0])
    graph = helper.make_graph(
        [helper.make_node("Add", ["image", "w"], ["y"]), helper.make_node("Identity", ["aux"], ["z"])],
        "g",
        [
            helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, 224, 160]),
            helper.make_tensor_value_info("aux", TensorProto.FLOAT, [1, 7]),
            helper.make_tensor_value_info("w", TensorProto.FLOAT, [3]),
        ],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        initializer=[weight],
    )
    onnx.save(helper.make_model(graph), tmp_path / "g.onnx")
    assert snpe_calib.onnx_inputs(str(tmp_path / "g.onnx")) == {"image": [1, 3, 224, 160], "aux": [1, 7]}
    batches = snpe_calib.placeholders(str(tmp_path / "g.onnx"), 3)
    assert [b["image"].shape for b in batches] == [(1, 224, 160, 3)] * 3
    assert [float(b["aux"][0, 0]) for b in batches] == [0.0, 0.5, 1.0]
    listing = Path(snpe_calib.write_list(batches, str(tmp_path / "c")))
    line = listing.read_text().splitlines()[0].split()
    assert line[0].startswith("image:=/") and line[1].startswith("aux:=/")
    assert np.fromfile(line[1].split(":=")[1], np.float32).size == 7
