"""The emulated trtexec refuses a plan built by another TensorRT version, or for another GPU, as TensorRT
does (8.x and 10.x wording), and hil's reader of that refusal (hil.platforms.orin.plan_refusal) names both."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hil.platforms.orin import plan_refusal
from hil.sim import engine
from hil.sim.boards import TOOLCHAIN_FILE
from hil.sim.tools import trtexec

from .conftest import ToolRun


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> ToolRun:
    rc = trtexec.main(list(args))
    captured = capsys.readouterr()
    return ToolRun(rc, captured.out, captured.err)


def at_version(board: Path, version: str) -> None:
    (board / TOOLCHAIN_FILE).write_text(json.dumps({"tensorrt": version}))


def built(capsys: pytest.CaptureFixture[str], model: Path, out: Path, skip: str = "--skipInference") -> Path:
    result = run_main(capsys, f"--onnx={model}", f"--saveEngine={out}", skip)
    assert result.rc == 0, result.both
    return out


def test_plan_of_a_newer_tensorrt_refused_by_8_5_in_its_words(
    board: Path, model_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = built(capsys, model_file, tmp_path / "e.engine")  # the default, 10.3.0
    assert engine.read_engine(plan)[0]["compute_capability"] == "8.7"
    at_version(board, "8.5.2")
    refused = run_main(capsys, f"--loadEngine={plan}", "--buildOnly")
    assert refused.rc == 1
    assert (
        "[TRT] 6: The engine plan file is not compatible with this version of TensorRT, expecting library "
        "version 8.5.2 got 10.3.0, please rebuild." in refused.err
    )
    assert "Error Code 4: Internal Error (Engine deserialization failed.)" in refused.err
    assert refused.out.splitlines()[-1].startswith("&&&& FAILED TensorRT.trtexec [TensorRT v8502]")
    assert plan_refusal(refused.err) == (
        "The engine plan file is not compatible with this version of TensorRT, expecting library version "
        "8.5.2 got 10.3.0"
    )


def test_plan_of_an_older_tensorrt_refused_by_10_3_and_a_matching_one_loads(
    board: Path, model_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    at_version(board, "8.5.2")
    plan = built(capsys, model_file, tmp_path / "e.engine", "--buildOnly")  # 8.5 has no --skipInference
    assert run_main(capsys, f"--loadEngine={plan}", "--buildOnly").rc == 0
    at_version(board, "10.3.0")
    refused = run_main(capsys, f"--loadEngine={plan}", "--skipInference")
    assert refused.rc == 1
    assert "IRuntime::deserializeCudaEngine: Error Code 6: API Usage Error (The engine plan file is not " in (
        refused.err
    )
    assert "expecting library version 10.3.0 got 8.5.2" in (plan_refusal(refused.err) or "")


def test_plan_for_another_gpu_refused(
    board: Path, model_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = built(capsys, model_file, tmp_path / "e.engine")
    header, network = engine.read_engine(plan)
    engine.write_engine(plan, network, {**header, "compute_capability": "8.6"})
    refused = run_main(capsys, f"--loadEngine={plan}", "--skipInference")
    assert refused.rc == 1
    assert plan_refusal(refused.err) == (
        "The engine plan file is generated on an incompatible device, expecting compute 8.7 got compute 8.6"
    )
