"""The emulated snpe-net-run and snpe-diagview: real results per runtime, measured times in SNPE's formats."""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path

import numpy as np
import pytest

from hil.parsers.snpe import parse_snpe_diagview

from .conftest import qdq, reference, run_tool, set_fault, write_inputs

LEVELS = [0.2, 0.45, 0.8]


def make_dlc(model: Path, out: Path, *extra: str) -> Path:
    assert run_tool("snpe_onnx_to_dlc", "-i", model, "-o", out, *extra).rc == 0
    return out


def net_run(dlc_path: Path, listing: Path, out: Path, *extra: str) -> str:
    result = run_tool(
        "snpe_net_run", "--container", dlc_path, "--input_list", listing, "--output_dir", out, *extra
    )
    assert result.rc == 0, result.both
    return result.out


def results(out: Path, count: int) -> list[np.ndarray]:
    return [np.fromfile(out / f"Result_{i}" / "scores.raw", np.float32) for i in range(count)]


def test_cpu_results_are_the_models_outputs(board: Path, model: Path, tmp_path: Path) -> None:
    listing = write_inputs(tmp_path / "in", LEVELS)
    out = net_run(make_dlc(model, tmp_path / "m.dlc"), listing, tmp_path / "out")
    assert out.startswith("-" * 79 + "\nModel String: N/A\nSNPE v2.22.0.240425\n" + "-" * 79 + "\n")
    assert out.count("Processing DNN input(s):") == 3
    for level, got in zip(LEVELS, results(tmp_path / "out", 3), strict=True):
        np.testing.assert_array_equal(got, reference(model, level).reshape(-1))


def test_gpu_fp16_and_dsp_int8_really_differ_from_cpu(board: Path, model: Path, tmp_path: Path) -> None:
    listing = write_inputs(tmp_path / "in", LEVELS)
    cpu_dlc = make_dlc(model, tmp_path / "m.dlc")
    net_run(cpu_dlc, listing, tmp_path / "cpu")
    net_run(cpu_dlc, listing, tmp_path / "gpu", "--use_gpu", "--gpu_mode", "float16")
    source = qdq(model, tmp_path / "m.int8.onnx")
    make_dlc(source, tmp_path / "f.dlc")
    calib = write_inputs(tmp_path / "calib", [0.0, 1.0])
    quantize: list[str | Path] = [
        "--input_dlc",
        tmp_path / "f.dlc",
        "--input_list",
        calib,
        "--override_params",
    ]
    assert run_tool("snpe_dlc_quantize", *quantize, "--output_dlc", tmp_path / "q.dlc").rc == 0
    assert (
        run_tool("snpe_dlc_graph_prepare", "--input_dlc", tmp_path / "q.dlc", "--htp_socs", "sa8255").rc == 0
    )
    net_run(tmp_path / "q_cached.dlc", listing, tmp_path / "dsp", "--use_dsp", "--perf_profile", "burst")
    cpu, gpu, dsp = (results(tmp_path / name, 3) for name in ("cpu", "gpu", "dsp"))
    for c, g, d in zip(cpu, gpu, dsp, strict=True):
        assert not np.array_equal(c, g) and np.allclose(c, g, atol=2e-3)  # float16 rounding
        assert not np.array_equal(c, d) and np.allclose(c, d, atol=0.05)  # 8-bit steps
        assert np.argmax(c) == np.argmax(g) == np.argmax(d)


def test_diag_log_reads_back_through_diagview_and_hils_parser(
    board: Path, model: Path, tmp_path: Path
) -> None:
    listing = write_inputs(tmp_path / "in", LEVELS)
    net_run(make_dlc(model, tmp_path / "m.dlc"), listing, tmp_path / "out", "--profiling_level", "detailed")
    csv_path = tmp_path / "diag.csv"
    view = run_tool("snpe_diagview", "--input_log", tmp_path / "out" / "SNPEDiag_0.log", "--output", csv_path)
    assert view.rc == 0, view.both
    report = parse_snpe_diagview(view.out)
    assert report.software_library_version == "2.22.0.240425" and report.time_scale == 1e-06
    create = {k: v or 0 for k, v in report.create.items()}
    assert create["init_us"] >= create["create_us"] > 0
    # No RPC nor accelerator on a simulated board: not printed, so absent (None), never a made-up 0.
    assert "rpc_init_time_us" not in report.create
    assert "accelerator_time_us" not in report.execute_average
    average = {k: v or 0 for k, v in report.execute_average.items()}
    assert average["total_inference_time_us"] >= average["forward_propagate_time_us"] > 0
    # `Layer Times:` rows as SNPE prints them there: index, time, unit, runtime (names are in the CSV).
    assert [t.index for t in report.layer_times] == [0, 1, 2]
    assert all(t.name is None and t.unit == "us" and t.runtime == "CPU" for t in report.layer_times)
    rows = list(csv.reader(csv_path.open()))
    assert rows[0] == [
        "Log Id",
        "Message Name",
        "Message Type",
        "Message Value",
        "Unit of Measurement",
        "Execution",
    ]
    per_inference = [r for r in rows if r[1] == "TOTAL_INFERENCE_TIME"]
    assert [r[5] for r in per_inference] == ["0", "1", "2"] and all(int(r[3]) > 0 for r in per_inference)
    mean = round(sum(int(r[3]) for r in per_inference) / 3)
    assert [r[3] for r in rows if r[1] == "AVG_TOTAL_INFERENCE_TIME"] == [str(mean)]
    assert mean == average["total_inference_time_us"]


def test_output_tensor_selection_and_multi_input_lines(board: Path, model: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write_inputs(folder, [0.3])
    (folder / "list.txt").write_text(f"#nothing_like_this\ninput:={folder / 'in_0.raw'}\n")
    net_run(make_dlc(model, tmp_path / "m.dlc"), folder / "list.txt", tmp_path / "out")
    assert not (tmp_path / "out" / "Result_0" / "scores.raw").exists()  # only the tensors asked for
    assert (tmp_path / "out" / "SNPEDiag_0.log").exists()


def test_bad_inputs_and_options_fail_like_snpe(board: Path, model: Path, tmp_path: Path) -> None:
    dlc_path = make_dlc(model, tmp_path / "m.dlc")
    raw = tmp_path / "x.raw"
    np.zeros(7, np.float32).tofile(raw)
    (tmp_path / "l.txt").write_text(f"{raw}\n")
    result = run_tool("snpe_net_run", "--container", dlc_path, "--input_list", tmp_path / "l.txt")
    assert result.rc == 1 and "has 7 elements; tensor input of dims 1,32,32,1 needs 1024" in result.err
    result = run_tool(
        "snpe_net_run", "--container", dlc_path, "--input_list", tmp_path / "l.txt", "--use_aip"
    )
    assert result.rc == 1 and "AIP runtime is not available" in result.err
    assert run_tool("snpe_net_run", "--bogus").rc == 1
    assert run_tool("snpe_net_run", "--version").out == "SNPE v2.22.0.240425\n"


@pytest.mark.parametrize(("fault", "rc"), [("crash", 139), ("disk_full", 1), ("corrupt", 0)])
def test_net_run_faults(board: Path, model: Path, tmp_path: Path, fault: str, rc: int) -> None:
    dlc_path = make_dlc(model, tmp_path / "m.dlc")
    listing = write_inputs(tmp_path / "in", LEVELS)
    set_fault(board, "snpe-net-run", fault)
    result = run_tool(
        "snpe_net_run", "--container", dlc_path, "--input_list", listing, "--output_dir", tmp_path / "o"
    )
    assert result.rc == rc, result.both
    if fault == "corrupt":
        got = results(tmp_path / "o", 3)
        assert not any(
            np.allclose(g, reference(model, v).reshape(-1)) for g, v in zip(got, LEVELS, strict=True)
        )


def test_net_run_hang_fault_never_finishes(board: Path, model: Path, tmp_path: Path) -> None:
    dlc_path = make_dlc(model, tmp_path / "m.dlc")
    set_fault(board, "snpe-net-run", "hang")
    with pytest.raises(subprocess.TimeoutExpired):
        run_tool("snpe_net_run", "--container", dlc_path, "--input_list", "x.txt", timeout=3)


def test_diagview_refuses_a_file_that_is_no_diag_log(board: Path, tmp_path: Path) -> None:
    (tmp_path / "x.log").write_text("hello\n")
    result = run_tool("snpe_diagview", "--input_log", tmp_path / "x.log")
    assert result.rc == 1 and "is not a diagnostic log" in result.err
    assert run_tool("snpe_diagview").rc == 1
