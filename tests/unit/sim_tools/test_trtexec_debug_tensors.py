"""The emulated trtexec's debug tensors (TensorRT 10.3): --markDebug at build, --loadInputs and
--saveDebugTensors at inference, and the bad_layer builder fault."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest

from hil.sim.tools import trtexec

from .conftest import ToolRun, qdq_model, tiny_model

QUICK = ["--duration=0", "--iterations=1", "--warmUp=0"]


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> ToolRun:
    rc = trtexec.main(list(args))
    captured = capsys.readouterr()
    return ToolRun(rc, captured.out, captured.err)


def test_marked_tensors_are_saved_from_the_loaded_input(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    model = tmp_path / "m.onnx"
    onnx.save(tiny_model(), model)
    eng = tmp_path / "m.engine"
    built = run_main(
        capsys, f"--onnx={model}", f"--saveEngine={eng}", "--markDebug='relu','pool'", "--skipInference"
    )
    assert built.rc == 0, built.out
    x = np.random.default_rng(5).uniform(0, 1, (1, 1, 32, 32)).astype(np.float32)
    x.tofile(tmp_path / "x.raw")
    ran = run_main(
        capsys,
        f"--loadEngine={eng}",
        f"--loadInputs='x':{tmp_path / 'x.raw'}",
        f"--saveDebugTensors='pool':{tmp_path / 'pool.raw'}",
        *QUICK,
    )
    assert ran.rc == 0, ran.out
    assert f"Using values loaded from {tmp_path / 'x.raw'} for input x" in ran.out
    import onnxruntime as ort

    m = tiny_model()
    m.graph.output.append(onnx.helper.make_tensor_value_info("pool", onnx.TensorProto.FLOAT, None))
    session = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
    reference = session.run(["pool"], {"x": x})[0]
    saved = np.fromfile(tmp_path / "pool.raw", dtype=np.float32)
    np.testing.assert_allclose(saved, reference.ravel(), rtol=1e-5)  # an fp32 engine: the same values

    refused = run_main(capsys, f"--loadEngine={eng}", f"--saveDebugTensors=conv:{tmp_path / 'c.raw'}", *QUICK)
    assert refused.rc == 1 and "debug tensors during build time" in refused.out + refused.err


def test_bad_layer_builds_an_engine_whose_one_layer_is_wrong(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    qdq = qdq_model(tmp_path / "q.onnx")
    (fc,) = [n.output[0] for n in onnx.load(str(qdq)).graph.node if n.op_type == "Gemm"]
    x = np.random.default_rng(5).uniform(0, 1, (1, 1, 32, 32)).astype(np.float32)
    x.tofile(tmp_path / "x.raw")
    saved = {}
    for name in ("good", "bad"):
        if name == "bad":
            monkeypatch.setattr(trtexec.faults, "fault_for", lambda tool: "bad_layer")
        eng = tmp_path / f"{name}.engine"
        built = run_main(
            capsys,
            f"--onnx={qdq}",
            "--int8",
            "--fp16",
            f"--saveEngine={eng}",
            f"--markDebug=relu,{fc}",
            "--skipInference",
        )
        assert built.rc == 0, built.out
        ran = run_main(
            capsys,
            f"--loadEngine={eng}",
            f"--loadInputs=x:{tmp_path / 'x.raw'}",
            f"--saveDebugTensors=relu:{tmp_path / name}.raw,{fc}:{tmp_path / name}.fc.raw",
            *QUICK,
        )
        assert ran.rc == 0, ran.out
        saved[name] = np.fromfile(tmp_path / f"{name}.raw", dtype=np.float32)
        saved[f"{name}.fc"] = np.fromfile(tmp_path / f"{name}.fc.raw", dtype=np.float32)
    # the middle weighted layer of two is the Gemm: its output is wrong, the layers before it are not
    np.testing.assert_array_equal(saved["good"], saved["bad"])
    assert not np.allclose(saved["good.fc"], saved["bad.fc"], atol=1e-3)
