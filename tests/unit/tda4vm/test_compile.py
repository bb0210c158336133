"""tidl_compile.py on a simulated TDA4VM: the real flow through the emulated TIDLCompilationProvider."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper

from hil.parsers.tidl import parse_tidl_log
from hil.sim.tidl import artifacts
from hil.sim.tidl.compiler import CompileSession
from tests.fixtures.tiny import make_model

from .conftest import compile_model
from .material import qdq_sibling


def net_model(folder: Path) -> onnx.ModelProto:
    return onnx.load_from_string(artifacts.read_net(folder, "subgraph_0", artifacts_version())[1])


def artifacts_version() -> str:
    from hil.sim.tidl import TOOLS_VERSION

    return TOOLS_VERSION


def test_16_bit_compile_calibrates_on_clip_frames_and_logs_like_tidl(
    board: Path, material: tuple[Path, Path], tmp_path: Path
) -> None:
    model, clip = material
    out = tmp_path / "art"
    spec = {
        "shape": [1, 1, 32, 32],
        "layout": "NCHW",
        "colour": "gray",
        "scale": 1 / 255,
        "mean": [0.0],
        "std": [1.0],
    }
    run = compile_model(board, model, out, 16, f"--calib-clip={clip}", f"--input-json={json.dumps(spec)}")
    assert run.rc == 0, run.both
    assert "synthetic" not in run.out
    (parsed,) = parse_tidl_log(run.out).models
    assert parsed.name == "bright" and parsed.completed
    assert (parsed.subgraphs, parsed.nodes_delegated, parsed.nodes_total) == (1, 3, 3)
    assert parsed.ddr_rw_mbs is None  # the unavailable-counter sentinel, as PC emulation prints it
    assert "Calibration iteration number 1 completed" in run.out
    assert (out / "allowedNode.txt").read_text().split() == ["3", "pooled", "flat", "scores"]
    assert "model_path: bright.onnx" in (out / "param.yaml").read_text() and (out / "bright.onnx").is_file()

    net = net_model(out)
    inits = {i.name: numpy_helper.to_array(i) for i in net.graph.initializer}
    activations = [inits[n.input[2]] for n in net.graph.node if n.op_type == "QuantizeLinear"]
    assert activations and {z.dtype for z in activations} == {np.dtype(np.int16)}  # 16-bit fixed point
    scales = json.loads(artifacts.io_path(out, "subgraph_0").read_text())["scales"]
    assert scales and all(math.log2(s).is_integer() for s in scales.values())  # TDA4VM: power-of-2 scales
    # The clip's brightest frames are ~0.8 + noise: the input range is 1.0, not the synthetic sweep's 2.0.
    assert scales["input"] * 32767 < 1.01


def test_8_bit_keeps_a_prequantized_qdq_model(
    board: Path, material: tuple[Path, Path], tmp_path: Path
) -> None:
    model, clip = material
    qdq = qdq_sibling(model, clip)
    out = tmp_path / "art8"
    run = compile_model(board, qdq, out, 8, "--prequantized")
    assert run.rc == 0, run.both
    assert "prequantized_model                              = 1" in run.out
    assert "Calibration iteration" not in run.out  # TIDL keeps a QDQ model's scales: no calibration
    source = onnx.load(str(qdq))
    assert [n.op_type for n in net_model(out).graph.node] == [n.op_type for n in source.graph.node]


def test_a_standard_operator_tidl_lacks_runs_on_arm(board: Path, tmp_path: Path) -> None:
    model = onnx.load(str(make_model(tmp_path / "soft.onnx", with_card=False)))
    model.graph.node.append(helper.make_node("Softplus", ["scores"], ["soft"], name="soft"))
    model.graph.output[0].name = "soft"
    onnx.save(model, tmp_path / "soft.onnx")
    run = compile_model(board, tmp_path / "soft.onnx", tmp_path / "art", 16)
    assert run.rc == 0, run.both
    assert "Unsupported (imports) TIDL layer type for ONNX op type --- Softplus" in run.out
    (parsed,) = parse_tidl_log(run.out).models
    assert (parsed.subgraphs, parsed.nodes_delegated, parsed.nodes_total) == (1, 3, 4)
    meta = artifacts.read_meta(tmp_path / "art")
    assert [(s.name, s.tidl) for s in meta.segments] == [("subgraph_0", True), ("arm_0", False)]


def test_a_custom_operator_fails_with_onnx_runtimes_own_error(board: Path, tmp_path: Path) -> None:
    model = make_model(tmp_path / "custom.onnx", extra_op="FancyOp")
    run = compile_model(board, model, tmp_path / "art", 16)
    assert run.rc != 0
    assert (
        run.err.strip().splitlines()[-1].endswith("com.example:FancyOp(-1) is not a registered function/op")
    )
    assert not (tmp_path / "art" / "allowedNode.txt").exists()


@pytest.mark.parametrize(
    ("fault", "expect"),
    [
        ("unsupported_op", "tidl_compile: ERROR: TIDL offloaded no node of bright"),
        ("disk_full", "No space left on device"),
    ],
)
def test_faults_fail_the_compile_with_the_tools_words(
    board: Path, material: tuple[Path, Path], tmp_path: Path, fault: str, expect: str
) -> None:
    (board / "sim-faults.json").write_text(json.dumps({"tidl_compile": fault}))
    run = compile_model(board, material[0], tmp_path / "art", 16)
    assert run.rc != 0
    assert expect in run.err


def test_artifacts_are_written_only_once_calibration_frames_were_seen(tmp_path: Path) -> None:
    model = make_model(tmp_path / "m.onnx", with_card=False)
    out = tmp_path / "art"
    options = {"tidl_tools_path": str(tmp_path), "artifacts_folder": str(out), "tensor_bits": 16}
    options["advanced_options:calibration_frames"] = 3
    session = CompileSession(model.read_bytes(), options, None)
    frame = {"input": np.full((1, 1, 32, 32), 0.5, dtype=np.float32)}
    for _ in range(2):
        session.run(None, frame)
    assert not (out / "allowedNode.txt").exists()  # as TIDL: too few frames, no artifacts
    (scores,) = session.run(None, frame)
    assert (out / "allowedNode.txt").exists()
    assert scores.shape == (1, 4) and session.get_providers()[0] == "TIDLCompilationProvider"
