"""snpe-onnx-to-dlc --input_dim on a model with dynamic input dimensions, as SNPE's converter takes it."""

from __future__ import annotations

from pathlib import Path

from hil.platforms.qcs8255 import steps
from hil.sim import dlc
from tests.fixtures.faces import INPUT, make_face_model

from .conftest import run_harness, run_tool


def test_dynamic_input_without_input_dim_is_the_converters_error(board: Path, tmp_path: Path) -> None:
    model = make_face_model(tmp_path / "face.onnx")
    result = run_tool("snpe_onnx_to_dlc", "--input_network", model, "--output_path", tmp_path / "m.dlc")
    assert result.rc == 1
    assert "Encountered Error: Negative/placeholder dimensions is not supported" in result.out
    assert f"--input_dim to provide static dimensions for input {INPUT}" in result.out
    assert not (tmp_path / "m.dlc").exists()


def test_input_dim_fixes_the_dlc_dims_channel_last(board: Path, tmp_path: Path) -> None:
    model = make_face_model(tmp_path / "face.onnx")
    out = tmp_path / "m.dlc"
    result = run_tool(
        "snpe_onnx_to_dlc", "--input_network", model, "--output_path", out, "--input_dim", INPUT, "1,48,64,3"
    )
    assert result.rc == 0, result.both
    made = dlc.read_dlc(out)
    assert made.header["inputs"][INPUT]["onnx_dims"] == [1, 48, 64, 3]
    wrong = run_tool("snpe_onnx_to_dlc", "--input_network", model, "--input_dim", "img", "1,48,64,3")
    assert wrong.rc == 1 and "Input name img not found" in wrong.out


def test_platform_passes_input_dim_to_every_step_that_reads_the_model(board: Path, tmp_path: Path) -> None:
    shapes = {INPUT: [1, 48, 64, 3]}
    for precision in ("fp32", "fp16"):
        (convert,) = steps("/m.onnx", "/e/K", "/h", precision, "sa8255", shapes)
        assert convert[-3:] == ["--input_dim", INPUT, "1,48,64,3"]
    to_dlc, calib, *_ = steps("/m.onnx", "/e/K", "/h", "int8", "sa8255", shapes)
    assert to_dlc[-3:] == calib[-3:] == ["--input_dim", INPUT, "1,48,64,3"]
    assert steps("/m.onnx", "/e/K", "/h", "fp32", "sa8255") == steps(
        "/m.onnx", "/e/K", "/h", "fp32", "sa8255", {}
    )
    model = make_face_model(tmp_path / "face.onnx")
    made = run_harness(
        "snpe_calib.py", "--onnx", model, "--out-dir", tmp_path / "c", "--input_dim", INPUT, "1,48,64,3"
    )
    assert made.rc == 0, made.both
    assert (tmp_path / "c" / "calib_0000_0.raw").stat().st_size == 48 * 64 * 3 * 4  # float32, fixed dims
