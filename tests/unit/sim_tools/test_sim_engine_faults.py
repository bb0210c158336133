"""The simulated engine file format, the emulated parser's operator rules, and the fault file."""

from __future__ import annotations

import json
from pathlib import Path

import onnx
import pytest

from hil.sim import engine, faults

from .conftest import tiny_model


def header() -> dict[str, object]:
    return engine.make_header("fp16", "ab" * 32, ["--fp16"], {"x": [1, 1, 32, 32]}, {"y": [1, 4]})


def test_engine_round_trip_and_exact_layout(tmp_path: Path) -> None:
    payload = tiny_model().SerializeToString()
    path = tmp_path / "m.engine"
    size = engine.write_engine(path, payload, header())
    data = path.read_bytes()
    assert size == len(data)
    magic, line, rest = data[:18], *data[18:].split(b"\n", 1)
    assert magic == b"HILSIM-TRT-ENGINE\n"
    assert json.loads(line) == header() and rest == payload
    assert engine.read_engine(path) == (header(), payload)


def test_bad_engines_are_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "bad.engine"
    path.write_bytes(b"ONNX-ish bytes")
    with pytest.raises(engine.EngineFormatError, match="bad magic"):
        engine.read_engine(path)
    path.write_bytes(engine.ENGINE_MAGIC + b"{not json\n")
    with pytest.raises(engine.EngineFormatError, match="not JSON"):
        engine.read_engine(path)
    path.write_bytes(engine.ENGINE_MAGIC + b'{"precision": "fp32"}\n')
    with pytest.raises(engine.EngineFormatError, match="lacks"):
        engine.read_engine(path)
    with pytest.raises(ValueError, match="precision"):
        engine.make_header("bf16", "", [], {}, {})


def test_operator_rules() -> None:
    assert engine.first_rejected_node(tiny_model()) is None
    rejected = engine.first_rejected_node(tiny_model(extra_op=("Relu", "com.example")))
    assert rejected is not None and rejected.index == 5  # a known op type in another domain is not ONNX's
    assert engine.first_rejected_node(tiny_model(extra_op=("MatMulInteger", ""))) is not None


def test_fp16_conversion_keeps_float32_io() -> None:
    specs, _ = engine.input_specs(tiny_model(), {})
    converted = engine.convert(tiny_model(), "fp16", specs)
    assert {i.data_type for i in converted.graph.initializer} == {onnx.TensorProto.FLOAT16}
    assert converted.graph.output[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT


def test_faults_file(board: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert faults.fault_for("trtexec") is None
    (board / "sim-faults.json").write_text('{"trtexec": "hang"}')
    assert faults.fault_for("trtexec") == "hang" and faults.fault_for("tegrastats") is None
    (board / "sim-faults.json").write_text('{"trtexec": "explode"}')
    with pytest.raises(faults.FaultFileError, match="unknown fault 'explode'"):
        faults.fault_for("trtexec")
    (board / "sim-faults.json").write_text("{")
    with pytest.raises(faults.FaultFileError, match="not JSON"):
        faults.fault_for("trtexec")
    monkeypatch.delenv("HIL_BOARD_ROOT")
    assert faults.fault_for("trtexec") is None
