"""`hil diagnose --board` on the simulated rack: real sshd, push, the platform's SNPE conversion,
`snpe-net-run --use_dsp --debug`, the dump fetched back and compared layer by layer."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.conftest import REPO, Hil, needs_sshd, write_sim_inventory

pytestmark = [needs_sshd]

FP32 = REPO / "artifacts/models/dms-face.onnx"
CLIPS = REPO / "artifacts/clips"


def rack(tmp_path: Path) -> str:
    """One simulated QCS8255 on a free loopback endpoint, converting on its simulated build host."""
    return str(write_sim_inventory(tmp_path / "rack.yaml", {"qcs-diag": "qcs8255"}).inventory)


def diagnose_on_board(hil: Hil, inv: str) -> subprocess.CompletedProcess[str]:
    """`hil diagnose` of the fp32 demo model on 2 frames, the board's layers dumped on qcs-diag."""
    args = ["diagnose", str(FP32), "-c", str(CLIPS), "-f", "2", "--no-rank", "--board", "qcs-diag"]
    return hil(*args, "-i", inv, "--json")


def test_board_option_dumps_every_layer_on_the_simulated_qcs8255(hil: Hil, tmp_path: Path) -> None:
    """The real path: sshd, push, the platform's SNPE conversion, snpe-net-run --debug, tar back."""
    inv = rack(tmp_path)
    shown = diagnose_on_board(hil, inv)
    assert shown.returncode == 0, shown.stderr
    result = json.loads(shown.stdout)
    assert result["board_source"].startswith("qcs-diag: snpe-net-run --use_dsp --debug")
    assert "snpe-dlc-quantize" in result["board_command"] and "--debug" in result["board_command"]
    board = {e["name"]: e for e in result["board"]}
    host = {e["name"]: e for e in result["host"]}
    # the prepared HTP graph fuses each Conv into its Relu: the Relu is the layer that is dumped
    assert len(board) >= 40 and "/features/features.2/features.2.2/Relu" in board
    assert "/features/features.2/features.2.0/Conv" not in board
    # the board's DSP engine runs the same QDQ arithmetic: each layer within 6 dB of the host QDQ model
    assert result["verdict"]["source"] != "converter"
    assert all(abs(board[n]["snr_db"] - host[n]["snr_db"]) < 6 for n in board if n.startswith("/features/"))


def test_fix_refuses_a_board_without_a_mixed_precision_driver(hil: Hil, tmp_path: Path) -> None:
    shown = hil("diagnose", str(FP32), "-f", "1", "--no-rank", "--board", "orin-sim-01", "--fix")
    assert shown.returncode == 2 and "orin-sim-01 is a orin board" in shown.stderr


def test_a_converter_that_breaks_one_layer_is_blamed_not_the_quantization(hil: Hil, tmp_path: Path) -> None:
    inv = rack(tmp_path)
    # The quantizer runs on the build host (Qualcomm ships it for x86_64 hosts only): the board has none.
    on_board = hil("sim", "fault", "qcs-diag", "-i", inv, "snpe-dlc-quantize=bad_layer")
    assert on_board.returncode == 2 and "hil sim fault qcs8255-build" in on_board.stderr, on_board.stderr
    set_fault = hil("sim", "fault", "qcs8255-build", "-i", inv, "snpe-dlc-quantize=bad_layer")
    assert set_fault.returncode == 0, set_fault.stderr
    shown = diagnose_on_board(hil, inv)
    assert shown.returncode == 0, shown.stderr
    result = json.loads(shown.stdout)
    verdict = result["verdict"]
    # the middle of the detector's six weighted layers (features.3's Conv, fused into its Relu on HTP)
    assert verdict["source"] == "converter", verdict
    assert verdict["layer"].startswith("/features/features.3/"), verdict
    host = {e["name"]: e for e in result["host"]}
    assert host[verdict["layer"]]["snr_db"] > 25  # the host QDQ model is fine there


def test_a_model_quantized_on_too_few_frames_is_blamed_on_quantization(hil: Hil, tmp_path: Path) -> None:
    """The quantization fault: the host QDQ model calibrated on 2 frames loses, and the board follows it."""
    import shutil

    from hil.artifacts.calibration import expand_clips, sample_calibration
    from hil.artifacts.quantize import to_int8

    model = tmp_path / "dms-face.onnx"
    shutil.copyfile(FP32, model)
    shutil.copyfile(FP32.with_name("dms-face.card.yaml"), model.with_name("dms-face.card.yaml"))
    to_int8(model, sample_calibration(expand_clips([CLIPS]), 2))  # dms-face.int8.onnx beside it
    inv = rack(tmp_path)
    shown = hil("diagnose", str(model), "-c", str(CLIPS), "-f", "2", "--no-rank", "--board", "qcs-diag",
                "-i", inv, "--json")  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    result = json.loads(shown.stdout)
    board = {e["name"]: e for e in result["board"] if e["snr_db"] is not None}
    host = {e["name"]: e for e in result["host"]}
    assert len(board) >= 40  # every layer the prepared DLC keeps
    assert (
        host["/Concat_5"]["snr_db"] < 10
        and abs(board["/Concat_5"]["snr_db"] - host["/Concat_5"]["snr_db"]) < 3
    )
    assert result["verdict"]["source"] == "quantization", result["verdict"]
