"""`hil diagnose` as a user runs it: on the host, the SNPE workflow (--write-inputs, --snpe-dump), errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.conftest import REPO, Hil
from tests.unit.qcs8255.conftest import run_tool

FP32 = REPO / "artifacts/models/dms-face.onnx"
INT8 = REPO / "artifacts/models/dms-face.int8.onnx"
CLIPS = REPO / "artifacts/clips"


def test_table_plot_and_summary_fit_100_columns(hil: Hil) -> None:
    hil.env["COLUMNS"] = "100"
    shown = hil("diagnose", str(FP32), "--clips", str(CLIPS), "--frames", "2")
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert max(len(line) for line in lines) <= 100, max(lines, key=len)
    assert lines[0].split()[:4] == ["#", "layer", "op", "host"]
    assert any("features.4.0/Conv " in line for line in lines)  # long names keep their end
    assert "SNR against FP32 by layer depth" in shown.stdout
    assert "verdict: quantization" in shown.stdout and "most of the output error:" in shown.stdout


def test_snpe_board_workflow_names_the_converter(hil: Hil, tmp_path: Path) -> None:
    inputs, dump = tmp_path / "inputs", tmp_path / "out"
    first = hil(
        "diagnose", str(FP32), "-c", str(CLIPS), "-f", "2", "--no-rank", "--write-inputs", str(inputs)
    )
    assert first.returncode == 0, first.stderr
    listing = inputs / "input_list.txt"
    assert len(listing.read_text().split()) == 2
    env = {"HIL_BOARD_ROOT": str(tmp_path / "board"), "HIL_SIM_BOARD": f"qcs-cli-{os.getpid()}"}
    (tmp_path / "board" / "run").mkdir(parents=True)
    os.environ.update(env)
    try:
        dims = ["--input_dim", "image", "1,64,64,1"]
        assert run_tool("snpe_onnx_to_dlc", "-i", INT8, "-o", tmp_path / "f.dlc", *dims).rc == 0
        quantize = ["--input_dlc", tmp_path / "f.dlc", "--input_list", listing, "--override_params"]
        assert run_tool("snpe_dlc_quantize", *quantize, "--output_dlc", tmp_path / "q.dlc").rc == 0
        run = ["--container", tmp_path / "q.dlc", "--input_list", listing, "--output_dir", dump]
        done = run_tool("snpe_net_run", *run, "--use_dsp", "--debug")
        assert done.rc == 0, done.both
    finally:
        for key in env:
            os.environ.pop(key, None)
    saved = tmp_path / "diagnosis.json"
    shown = hil("diagnose", str(FP32), "-c", str(CLIPS), "-f", "2", "--no-rank", "--snpe-dump", str(dump),
                "--json", "--save", str(saved))  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    result = json.loads(shown.stdout)
    assert result == json.loads(saved.read_text())
    assert result["board_source"].startswith("snpe-net-run --debug")
    board = {e["name"]: e for e in result["board"]}
    assert len(board) >= 60  # every layer the DLC computes, not only the outputs
    assert result["verdict"]["source"] != "converter"  # the emulated converter keeps the QDQ scales


def test_bad_input_names_what_to_fix(hil: Hil, tmp_path: Path) -> None:
    lone = tmp_path / "lone.onnx"
    lone.write_bytes(FP32.read_bytes())
    shown = hil("diagnose", str(lone))
    assert shown.returncode == 2 and "no INT8 QDQ model" in shown.stderr and "hil quantize" in shown.stderr
    shown = hil("diagnose", str(FP32), "--snpe-dump", str(tmp_path / "nowhere"))
    assert shown.returncode == 2 and "is not a folder" in shown.stderr
    empty = tmp_path / "empty"
    (empty / "Result_0").mkdir(parents=True)
    (empty / "Result_1").mkdir()
    shown = hil("diagnose", str(FP32), "-f", "2", "--no-rank", "--snpe-dump", str(empty))
    assert shown.returncode != 0 and "--debug" in shown.stderr
