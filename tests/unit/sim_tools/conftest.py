"""Tiny real ONNX models and helpers to run the emulated Orin tools as a board's shell would."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

REPO = Path(__file__).resolve().parents[3]


def tiny_model(batch: int | str = 1, extra_op: tuple[str, str] | None = None) -> onnx.ModelProto:
    """Conv -> Relu -> GlobalAveragePool -> Flatten -> Gemm on a 1x1x32x32 input, 4 scores out.

    `extra_op` = (op_type, domain) appends one more node, e.g. an operator TensorRT has no importer for.
    """
    rng = np.random.default_rng(0)
    weights = [
        numpy_helper.from_array(rng.standard_normal((8, 1, 3, 3)).astype(np.float32), "conv_w"),
        numpy_helper.from_array(rng.standard_normal(8).astype(np.float32), "conv_b"),
        numpy_helper.from_array(rng.standard_normal((8, 4)).astype(np.float32), "fc_w"),
        numpy_helper.from_array(rng.standard_normal(4).astype(np.float32), "fc_b"),
    ]
    nodes = [
        helper.make_node("Conv", ["x", "conv_w", "conv_b"], ["conv"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["conv"], ["relu"], name="relu"),
        helper.make_node("GlobalAveragePool", ["relu"], ["pool"], name="pool"),
        helper.make_node("Flatten", ["pool"], ["flat"], name="flat"),
        helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["y"], name="fc"),
    ]
    opsets = [helper.make_opsetid("", 17)]
    output = "y"
    if extra_op is not None:
        op_type, domain = extra_op
        nodes.append(helper.make_node(op_type, ["y"], ["z"], name="extra", domain=domain))
        if domain:
            opsets.append(helper.make_opsetid(domain, 1))
        output = "z"
    graph = helper.make_graph(
        nodes,
        "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, 1, 32, 32])],
        [helper.make_tensor_value_info(output, TensorProto.FLOAT, [batch, 4])],
        weights,
    )
    model = helper.make_model(graph, opset_imports=opsets, producer_name="hil-tests")
    model.ir_version = 8
    return model


def qdq_model(path: Path) -> Path:
    """The tiny model quantized to QDQ INT8 by ONNX Runtime with a fixed calibration set."""
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, quantize_static

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            rng = np.random.default_rng(3)
            self.batches = iter(
                [{"x": rng.uniform(0, 1, (1, 1, 32, 32)).astype(np.float32)} for _ in range(4)]
            )

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self.batches, None)

    source = path.with_suffix(".fp32.onnx")
    onnx.save(tiny_model(), source)
    quantize_static(source, path, Reader(), quant_format=QuantFormat.QDQ)
    return path


@pytest.fixture
def board(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A simulated board's root folder, named in the environment as the rack's SetEnv would."""
    root = tmp_path / "board"
    (root / "run").mkdir(parents=True)
    (root / "etc").mkdir()
    monkeypatch.setenv("HIL_BOARD_ROOT", str(root))
    monkeypatch.setenv("HIL_SIM_BOARD", f"test-{os.getpid()}-{tmp_path.name}")
    return root


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.onnx"
    onnx.save(tiny_model(), path)
    return path


@dataclass
class ToolRun:
    rc: int
    out: str
    err: str

    @property
    def both(self) -> str:
        return self.out + self.err


def run_tool(tool: str, *args: str, timeout: float = 120) -> ToolRun:
    """`python -m hil.sim.tools.<tool> args` in a subprocess, with the test's environment."""
    proc = subprocess.run(
        [sys.executable, "-m", f"hil.sim.tools.{tool}", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        stdin=subprocess.DEVNULL,
    )
    return ToolRun(proc.returncode, proc.stdout, proc.stderr)
