"""The emulated trtexec: real builds at three precisions, real timing, and TensorRT's own failure output."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import onnx
import pytest

from hil.sim import engine
from hil.sim.tools import trtexec

from .conftest import ToolRun, qdq_model, run_tool, tiny_model

QUICK = ["--duration=0", "--iterations=20", "--warmUp=0"]
LINE = re.compile(r"^\[\d\d/\d\d/\d{4}-\d\d:\d\d:\d\d\] \[[IWEV]\] ")


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> ToolRun:
    rc = trtexec.main(list(args))
    captured = capsys.readouterr()
    return ToolRun(rc, captured.out, captured.err)


def build(capsys: pytest.CaptureFixture[str], model: Path, out: Path, *flags: str) -> ToolRun:
    return run_main(capsys, f"--onnx={model}", f"--saveEngine={out}", *flags, *QUICK)


def payload(path: Path) -> onnx.ModelProto:
    return onnx.load_from_string(engine.read_engine(path)[1])


def outputs(model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    return np.asarray(engine.make_session(model.SerializeToString()).run(None, {"x": x})[0])


def test_precisions_build_really_different_engines(
    board: Path, model_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engines = {}
    for precision, flags in {"fp32": [], "fp16": ["--fp16"], "int8": ["--int8"]}.items():
        path = tmp_path / f"{precision}.engine"
        result = build(capsys, model_file, path, *flags)
        assert result.rc == 0, result.both
        assert result.out.splitlines()[-1].startswith("&&&& PASSED TensorRT.trtexec [TensorRT v100300]")
        header, onnx_bytes = engine.read_engine(path)
        assert header["precision"] == precision
        assert header["tensorrt_version"] == "10.3.0"
        assert header["onnx_sha256"] == engine.sha256_hex(model_file.read_bytes())
        assert header["flags"] == flags
        assert header["inputs"] == {"x": [1, 1, 32, 32]} and header["outputs"] == {"y": [1, 4]}
        engines[precision] = onnx_bytes
    assert len(set(engines.values())) == 3

    fp16 = payload(tmp_path / "fp16.engine")
    assert {init.data_type for init in fp16.graph.initializer} == {onnx.TensorProto.FLOAT16}
    assert fp16.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT  # I/O stays fp32
    int8_ops = {node.op_type for node in payload(tmp_path / "int8.engine").graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= int8_ops

    x = np.random.default_rng(7).uniform(0, 1, (1, 1, 32, 32)).astype(np.float32)
    ref = outputs(payload(tmp_path / "fp32.engine"), x)
    half = outputs(fp16, x)
    assert np.allclose(ref, half, atol=5e-2) and not np.array_equal(ref, half)
    assert not np.array_equal(ref, outputs(payload(tmp_path / "int8.engine"), x))


def test_int8_without_qdq_warns_like_tensorrt(
    board: Path, model_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = build(capsys, model_file, tmp_path / "e.engine", "--int8")
    assert "[W] [TRT] Calibrator is not being used. Users must provide dynamic range" in result.err
    assert "Precision: FP32+INT8" in result.out


def test_qdq_network_is_kept_as_it_is(
    board: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = qdq_model(tmp_path / "qdq.onnx")
    result = build(capsys, source, tmp_path / "q.engine", "--int8")
    assert result.rc == 0, result.both
    assert "Calibrator is not being used" not in result.err
    built = payload(tmp_path / "q.engine")
    assert [n.op_type for n in built.graph.node] == [n.op_type for n in onnx.load(source).graph.node]
    assert engine.read_engine(tmp_path / "q.engine")[0]["precision"] == "int8"


def test_log_is_trtexec_10_and_parses_with_hil(
    board: Path, model_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = build(
        capsys, model_file, tmp_path / "e.engine", "--fp16", f"--exportTimes={tmp_path / 't.json'}"
    )
    lines = result.out.splitlines()
    assert lines[
        0
    ] == f"&&&& RUNNING TensorRT.trtexec [TensorRT v100300] [b17] # trtexec --onnx={model_file} " + (
        f"--saveEngine={tmp_path / 'e.engine'} --fp16 --exportTimes={tmp_path / 't.json'} " + " ".join(QUICK)
    )
    assert all(
        LINE.match(line) for line in lines[1:-1] + result.err.splitlines() if not line.startswith("&&&&")
    )
    for heading in ("Model", "Build", "System", "Inference", "Reporting"):
        assert any(line.endswith(f"[I] === {heading} Options ===") for line in lines)
    assert any(line.endswith("[I] Selected Device: Orin (simulated: host CPU)") for line in lines)
    assert any(line.endswith("[I] Precision: FP32+FP16") for line in lines)
    assert any(
        line.endswith("[I] Timing trace has 20 queries over " + line.split(" over ")[-1]) for line in lines
    )
    assert re.search(r"\[I\] Engine built in [\d.e-]+ sec\.", result.out)
    assert re.search(r"\[I\] Created engine with size: [\d.e-]+ MiB", result.out)
    for label in ("Latency", "Enqueue Time", "H2D Latency", "GPU Compute Time", "D2H Latency"):
        pattern = rf"\[I\] {label}: min = \S+ ms, max = \S+ ms, mean = \S+ ms, median = \S+ ms, " + ", ".join(
            rf"percentile\({p}%\) = \S+ ms" for p in (90, 95, 99)
        )
        assert re.search(pattern, result.out), label

    parsers = pytest.importorskip("hil.parsers.trtexec")
    run = parsers.parse_trtexec(result.out + result.err).invocations[0]
    assert run.status == "passed" and run.tensorrt_version == "10.3.0"
    assert run.precision == ["fp32", "fp16"]
    assert run.latency_ms.min <= run.latency_ms.median <= run.latency_ms.max
    assert run.gpu_compute_ms.mean < run.latency_ms.mean
    parts = run.h2d_ms.mean + run.gpu_compute_ms.mean + run.d2h_ms.mean
    assert parts == pytest.approx(run.latency_ms.mean, rel=1e-3)  # Latency = H2D + compute + D2H, per query

    times = json.loads((tmp_path / "t.json").read_text())
    assert len(times) == 20
    assert set(times[0]) == {
        "startEnqMs", "endEnqMs", "startH2dMs", "endH2dMs", "startComputeMs", "endComputeMs",
        "startD2hMs", "endD2hMs", "h2dMs", "computeMs", "d2hMs", "latencyMs",
    }  # fmt: skip


def test_load_engine_runs_it_and_rejects_a_bad_magic(
    board: Path, model_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build(capsys, model_file, tmp_path / "e.engine", "--fp16", "--skipInference")
    loaded = run_main(capsys, f"--loadEngine={tmp_path / 'e.engine'}", *QUICK)
    assert loaded.rc == 0, loaded.both
    assert "Timing trace has 20 queries" in loaded.out

    bogus = tmp_path / "bogus.engine"
    bogus.write_bytes(b"\x00" * 64)
    failed = run_main(capsys, f"--loadEngine={bogus}")
    assert failed.rc == 1
    assert "Serialization assertion plan->header.magicTag == rt::kPLAN_MAGIC_TAG failed." in failed.err
    assert "[E] Engine deserialization failed" in failed.err
    assert failed.out.splitlines()[-1].startswith("&&&& FAILED TensorRT.trtexec [TensorRT v100300]")


def test_skip_inference_builds_only(
    board: Path, model_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = build(capsys, model_file, tmp_path / "e.engine", "--skipInference")
    assert result.rc == 0
    assert "Skipped inference phase since --skipInference is added." in result.out
    assert "Performance summary" not in result.out


def test_unknown_option_fails_like_trtexec(
    board: Path, model_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # TensorRT 10 dropped --workspace (use --memPoolSize=workspace:N); a JetPack 6 board rejects it.
    result = run_main(capsys, f"--onnx={model_file}", "--workspace=2048", "--buildOnly")
    assert result.rc == 1
    assert "[E] Unknown option: --workspace 2048" in result.err
    assert "[E] Unknown option: --buildOnly " in result.err
    assert "--onnx=<file>" in result.out  # the usage
    assert result.out.splitlines()[-1] == (
        f"&&&& FAILED TensorRT.trtexec [TensorRT v100300] [b17] # trtexec --onnx={model_file} "
        "--workspace=2048 --buildOnly"
    )


def test_help_prints_banner_and_usage(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_main(capsys, "--help")
    assert result.rc == 0
    assert result.out.startswith("&&&& RUNNING TensorRT.trtexec [TensorRT v100300]")
    assert "PASSED" not in result.out


@pytest.mark.parametrize("extra", [("FancyAttention", "com.example"), ("QLinearConv", "")])
def test_unsupported_operator_fails_with_the_parser_errors(
    board: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: tuple[str, str]
) -> None:
    model = tmp_path / "custom.onnx"
    onnx.save(tiny_model(extra_op=extra), model)
    result = build(capsys, model, tmp_path / "e.engine")
    op = extra[0]
    assert result.rc == 1
    assert re.search(
        rf"\[E\] \[TRT\] ModelImporter\.cpp:\d+: While parsing node number 5 \[{op} -> \"z\"\]:", result.err
    )
    assert f"No importer registered for op: {op}" in result.out
    assert f'op_type: "{op}"' in result.err  # the node, printed on lines without a timestamp
    for line in ("[E] Failed to parse onnx file", "[E] Engine set up failed"):
        assert line in result.err
    assert result.out.splitlines()[-1].startswith("&&&& FAILED TensorRT.trtexec [TensorRT v100300] [b17] #")
    assert not (tmp_path / "e.engine").exists()


def test_missing_model_file_fails(board: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_main(capsys, f"--onnx={tmp_path / 'nope.onnx'}")
    assert result.rc == 1
    assert "Failed to parse ONNX model from file" in result.err and "[E] Engine set up failed" in result.err


def test_dynamic_batch_is_overridden_or_taken_from_shapes(
    board: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = tmp_path / "dyn.onnx"
    onnx.save(tiny_model(batch="N"), model)
    result = build(capsys, model, tmp_path / "a.engine", "--skipInference")
    assert "[W] Dynamic dimensions required for input: x, but no shapes were provided. " in result.err
    assert engine.read_engine(tmp_path / "a.engine")[0]["inputs"] == {"x": [1, 1, 32, 32]}
    shaped = run_main(capsys, f"--onnx={model}", "--shapes=x:2x1x32x32", *QUICK)
    assert shaped.rc == 0, shaped.both
    assert "Input binding for x with dimensions 2x1x32x32 is created." in shaped.out
    assert "Output binding for y with dimensions 2x4 is created." in shaped.out


def test_runs_as_a_board_command(board: Path, model_file: Path, tmp_path: Path) -> None:
    result = run_tool(
        "trtexec", f"--onnx={model_file}", f"--saveEngine={tmp_path / 'e.engine'}", "--fp16", *QUICK
    )
    assert result.rc == 0, result.both
    assert "&&&& PASSED" in result.out and (tmp_path / "e.engine").exists()


# -- faults -------------------------------------------------------------------------------------------


def set_fault(board: Path, mode: str) -> None:
    (board / "sim-faults.json").write_text(json.dumps({"trtexec": mode}))


def test_fault_crash_dies_with_139_mid_output(board: Path, model_file: Path, tmp_path: Path) -> None:
    set_fault(board, "crash")
    result = run_tool("trtexec", f"--onnx={model_file}", f"--saveEngine={tmp_path / 'e.engine'}")
    assert result.rc == 139
    assert "&&&& RUNNING" in result.out and "=== Build Options ===" in result.out
    assert "PASSED" not in result.out and "FAILED" not in result.out


def test_fault_hang_never_finishes(board: Path, model_file: Path) -> None:
    set_fault(board, "hang")
    with pytest.raises(__import__("subprocess").TimeoutExpired):
        run_tool("trtexec", f"--onnx={model_file}", timeout=4)


def test_fault_disk_full_fails_the_save(
    board: Path, model_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    set_fault(board, "disk_full")
    result = build(capsys, model_file, tmp_path / "e.engine")
    assert result.rc == 1
    assert "[E] Saving engine to file failed." in result.err and "[E] Engine set up failed" in result.err
    (board / "sim-faults.json").unlink()
    loaded = run_main(capsys, f"--loadEngine={tmp_path / 'e.engine'}")  # what was written is cut short
    assert loaded.rc == 1 and "Engine deserialization failed" in loaded.err


def test_fault_corrupt_writes_an_engine_that_cannot_load(
    board: Path, model_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    set_fault(board, "corrupt")
    assert build(capsys, model_file, tmp_path / "e.engine", "--skipInference").rc == 0
    with pytest.raises(engine.EngineFormatError, match="bad magic"):
        engine.read_engine(tmp_path / "e.engine")
    (board / "sim-faults.json").unlink()
    loaded = run_main(capsys, f"--loadEngine={tmp_path / 'e.engine'}")
    assert loaded.rc == 1 and "Engine deserialization failed" in loaded.err


def test_fault_unsupported_op_rejects_a_good_network(
    board: Path, model_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    set_fault(board, "unsupported_op")
    result = run_main(capsys, f"--onnx={model_file}")
    assert result.rc == 1
    assert 'While parsing node number 0 [Conv -> "conv"]:' in result.err
    assert "No importer registered for op: Conv" in result.out


@pytest.mark.parametrize(
    ("version", "token", "accepted", "refused"),
    [
        ("8.5.2", "[TensorRT v8502]", "--buildOnly", "--skipInference"),
        ("10.3.0", "[TensorRT v100300] [b17]", "--skipInference", "--buildOnly"),
    ],
)
def test_each_version_takes_its_own_build_only_flag_and_refuses_the_other(
    board: Path,
    model_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    version: str,
    token: str,
    accepted: str,
    refused: str,
) -> None:
    from hil.parsers.trtexec import parse_trtexec
    from hil.sim.boards import write_toolchain

    write_toolchain(board, {"tensorrt": version})
    bad = build(capsys, model_file, tmp_path / "bad.engine", refused)
    assert bad.rc != 0 and f"Unknown option: {refused}" in bad.err
    assert f"&&&& FAILED TensorRT.trtexec {token}" in bad.out
    good = build(capsys, model_file, tmp_path / "good.engine", accepted)
    assert good.rc == 0, good.err
    assert f"Skipped inference phase since {accepted} is added." in good.out
    [run] = parse_trtexec(good.out).invocations
    assert (run.status, run.tensorrt_version) == ("passed", version)
    assert engine.read_engine(tmp_path / "good.engine")[0]["tensorrt_version"] == version


def test_orin_chooses_the_build_only_flag_by_version() -> None:
    from hil.platforms.orin import build_only_flag

    assert [build_only_flag(v) for v in ("8.5.2", "8.6.1", "10.3.0")] == [
        "--buildOnly", "--skipInference", "--skipInference"
    ]  # fmt: skip


# -- the vendor conformance files (hil/sim/conformance/orin-trt*.yaml) decide what each release accepts ----


@pytest.mark.parametrize(
    ("version", "flag", "refused_with"),
    [
        # 10.0 removed --workspace (memPoolSize replaces it): 8.5 takes it, 10.3 says it is unknown
        ("8.5.2", "--workspace=64", "does not act out --workspace"),
        ("10.3.0", "--workspace=64", "Unknown option: --workspace 64"),
        # --stronglyTyped arrived in 10.x: unknown to 8.5, a real flag (not emulated) at 10.3
        ("8.5.2", "--stronglyTyped", "Unknown option: --stronglyTyped "),
        ("10.3.0", "--stronglyTyped", "does not act out --stronglyTyped"),
    ],
)
def test_a_flag_is_refused_as_its_release_refuses_it(
    board: Path, model_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    version: str, flag: str, refused_with: str,
) -> None:  # fmt: skip
    from hil.sim.boards import write_toolchain

    write_toolchain(board, {"tensorrt": version})
    result = build(capsys, model_file, tmp_path / "e.engine", flag, "--fp16")
    assert result.rc == 1 and refused_with in result.err, result.err
    assert "&&&& FAILED" in result.out and not (tmp_path / "e.engine").exists()
    if "Unknown option" in refused_with:  # as trtexec.cpp: the error, then the help text on stdout
        assert "=== Options ===" in result.out


def test_tensorrt_8_6_takes_both_names_and_warns_for_the_old_one(
    board: Path, model_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from hil.sim.boards import write_toolchain

    write_toolchain(board, {"tensorrt": "8.6.2"})
    old = build(capsys, model_file, tmp_path / "a.engine", "--buildOnly")
    assert old.rc == 0, old.err
    assert "[W] --buildOnly flag has been deprecated by --skipInference flag." in old.err
    assert "[TensorRT v8602]" in old.out
    new = build(capsys, model_file, tmp_path / "b.engine", "--skipInference")
    assert new.rc == 0 and "deprecated" not in new.err


def test_a_release_no_conformance_file_describes_is_refused(
    board: Path, model_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from hil.sim.boards import write_toolchain

    write_toolchain(board, {"tensorrt": "8.4.1"})
    result = build(capsys, model_file, tmp_path / "e.engine", "--skipInference")
    assert result.rc == 1 and "no vendor conformance file lists TensorRT 8.4.1" in result.err


def test_every_flag_the_emulation_acts_out_is_a_real_trtexec_flag() -> None:
    from hil.sim import conformance
    from hil.sim.tools import trtexec_log

    documented = conformance.documented_flags("orin", "trtexec")
    assert documented >= trtexec_log.FLAGS | trtexec_log.VALUED, (
        trtexec_log.FLAGS | trtexec_log.VALUED
    ) - documented
