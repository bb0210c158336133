"""The emulated trtexec's optimization profiles: --shapes, --minShapes/--optShapes/--maxShapes, as TensorRT
takes them for a model with dynamic input dimensions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest

from hil.sim import engine
from hil.sim.tools import trtexec
from tests.fixtures.faces import INPUT, make_face_model

from .conftest import ToolRun

QUICK = ["--duration=0", "--iterations=5", "--warmUp=0"]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> ToolRun:
    rc = trtexec.main(list(args))
    captured = capsys.readouterr()
    return ToolRun(rc, captured.out, captured.err)


def input_dims(path: Path) -> list[int]:
    network = onnx.load_from_string(engine.read_engine(path)[1])
    return [d.dim_value for d in network.graph.input[0].type.tensor_type.shape.dim]


def test_without_shapes_every_dynamic_dim_becomes_1_with_a_warning(
    board: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = make_face_model(tmp_path / "face.onnx")
    out = tmp_path / "e.engine"
    result = run(capsys, f"--onnx={model}", f"--saveEngine={out}", "--skipInference")
    assert result.rc == 0, result.both
    warning = f"Dynamic dimensions required for input: {INPUT}, but no shapes were provided. "
    assert warning + "Automatically overriding shape to: 1x1x1x3" in result.err
    assert input_dims(out) == [1, 1, 1, 3]  # the engine only runs that shape, as TensorRT's does
    session = engine.make_session(engine.read_engine(out)[1])
    with pytest.raises(Exception, match=r"(?i)dimension|shape"):
        session.run(None, {INPUT: np.zeros((1, 48, 64, 3), np.float32)})


def test_min_opt_max_of_one_shape_build_a_static_engine(
    board: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = make_face_model(tmp_path / "face.onnx")
    out = tmp_path / "e.engine"
    spec = f"{INPUT}:1x48x64x3"
    result = run(
        capsys, f"--onnx={model}", f"--saveEngine={out}", f"--minShapes={spec}", f"--optShapes={spec}",
        f"--maxShapes={spec}", *QUICK,
    )  # fmt: skip
    assert result.rc == 0, result.both
    assert "Dynamic dimensions required" not in result.err
    assert f"Input build shape: {INPUT}=1x48x64x3+1x48x64x3+1x48x64x3" in result.out
    assert f"Set shape of input tensor {INPUT} for optimization profile 0 to: MIN=1x48x64x3" in result.out
    assert f"Input binding for {INPUT} with dimensions 1x48x64x3 is created." in result.out
    assert "Output binding for heat with dimensions 1x4x24x32 is created." in result.out
    header = engine.read_engine(out)[0]
    assert header["inputs"] == {INPUT: [1, 48, 64, 3]}
    assert input_dims(out) == [1, 48, 64, 3]


def test_a_shape_range_keeps_the_engine_dynamic_within_the_profile(
    board: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = make_face_model(tmp_path / "face.onnx")
    out = tmp_path / "e.engine"
    result = run(
        capsys, f"--onnx={model}", f"--saveEngine={out}", f"--minShapes={INPUT}:1x32x32x3",
        f"--optShapes={INPUT}:1x48x64x3", f"--maxShapes={INPUT}:4x96x128x3", "--skipInference",
    )  # fmt: skip
    assert result.rc == 0, result.both
    assert engine.read_engine(out)[0]["inputs"] == {INPUT: [1, 48, 64, 3]}  # built for opt
    session = engine.make_session(engine.read_engine(out)[1])
    assert session.run(None, {INPUT: np.zeros((2, 96, 128, 3), np.float32)})[2].shape == (2, 4, 48, 64)


@pytest.mark.parametrize(
    ("flags", "error"),
    [
        ([f"--minShapes={INPUT}:1x48x64x3"], "all three must be specified"),
        (["--shapes=img:1x48x64x3"], 'Cannot find input tensor with name "img"'),
        ([f"--shapes={INPUT}:1x48x64"], "rank 3"),
        ([f"--shapes={INPUT}:1x48x64x1"], "dimension 3 is 1, but the network fixes it at 3"),
        (
            [
                f"--minShapes={INPUT}:1x64x64x3",
                f"--optShapes={INPUT}:1x48x64x3",
                f"--maxShapes={INPUT}:1x96x96x3",
            ],
            "MIN <= OPT <= MAX",
        ),
    ],
)
def test_bad_profiles_fail_the_build_with_tensorrts_errors(
    board: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: list[str], error: str
) -> None:
    model = make_face_model(tmp_path / "face.onnx")
    out = tmp_path / "e.engine"
    result = run(capsys, f"--onnx={model}", f"--saveEngine={out}", "--skipInference", *flags)
    assert result.rc == 1
    assert error in result.err
    assert result.out.splitlines()[-1].startswith("&&&& FAILED")
    assert not out.exists()


def test_inference_shapes_outside_the_engines_profile_fail_as_tensorrt_does(
    board: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = make_face_model(tmp_path / "face.onnx")
    fixed, ranged = tmp_path / "fixed.engine", tmp_path / "ranged.engine"
    built = run(
        capsys, f"--onnx={model}", f"--saveEngine={fixed}", f"--shapes={INPUT}:1x48x64x3", "--skipInference"
    )
    assert built.rc == 0, built.both
    other = run(capsys, f"--loadEngine={fixed}", f"--shapes={INPUT}:1x96x128x3", *QUICK)
    assert other.rc == 1
    assert (
        f"Static dimension mismatch while setting input shape for {INPUT}. Set dimensions are [1,96,128,3]"
        in other.err
    )
    same = run(capsys, f"--loadEngine={fixed}", *QUICK)
    assert same.rc == 0, same.both
    built = run(
        capsys, f"--onnx={model}", f"--saveEngine={ranged}", f"--minShapes={INPUT}:1x32x32x3",
        f"--optShapes={INPUT}:1x48x64x3", f"--maxShapes={INPUT}:1x64x96x3", "--skipInference",
    )  # fmt: skip
    assert built.rc == 0, built.both
    inside = run(capsys, f"--loadEngine={ranged}", f"--shapes={INPUT}:1x64x96x3", *QUICK)
    assert inside.rc == 0, inside.both
    assert "Output binding for heat with dimensions 1x4x32x48 is created." in inside.out
    outside = run(capsys, f"--loadEngine={ranged}", f"--shapes={INPUT}:1x96x96x3", *QUICK)
    assert outside.rc == 1 and "does not satisfy any optimization profiles" in outside.err
