"""Fixtures for the artifact tests: short generated clips and a tiny real ONNX CNN (no torch needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from hil.artifacts import clipgen
from hil.artifacts.card import InputSpec, ModelCardSpec, write_card

REPO = Path(__file__).resolve().parents[3]
CLASSES = list(clipgen.CLASSES)


def tiny_cnn(path: Path, seed: int = 0, with_card: bool = True) -> Path:
    """Conv(s2)-Relu-Conv(s2)-Relu-GlobalAveragePool-Flatten-Gemm on a 1x1x64x64 input, random weights."""
    rng = np.random.default_rng(seed)

    def init(name: str, *shape: int) -> onnx.TensorProto:
        return numpy_helper.from_array((rng.normal(0, 0.3, shape)).astype(np.float32), name)

    nodes = [
        helper.make_node("Conv", ["input", "w1", "b1"], ["c1"], strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c2"], ["r2"]),
        helper.make_node("GlobalAveragePool", ["r2"], ["p"]),
        helper.make_node("Flatten", ["p"], ["f"]),
        helper.make_node("Gemm", ["f", "w3", "b3"], ["logits"], transB=1),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 1, 64, 64])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 4])],
        initializer=[
            init("w1", 8, 1, 3, 3),
            init("b1", 8),
            init("w2", 8, 8, 3, 3),
            init("b2", 8),
            init("w3", 4, 8),
            init("b3", 4),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="hil-tests")
    model.ir_version = 8
    onnx.save(model, str(path))
    if with_card:
        spec = InputSpec(name="input", shape=[1, 1, 64, 64], mean=[0.5], std=[0.25])
        write_card(path, ModelCardSpec(name=path.stem, input=spec, output="logits", classes=CLASSES))
    return path


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two labelled 2-second clips (60 frames each), seeds no asset uses."""
    folder = tmp_path_factory.mktemp("clips")
    out = []
    for seed in (77001, 77002):
        path = folder / f"clip-{seed}.mp4"
        clipgen.generate_clip(path, seed, seconds=2.0)
        out.append(path)
    return out


@pytest.fixture
def model(tmp_path: Path) -> Path:
    return tiny_cnn(tmp_path / "tiny.onnx")
