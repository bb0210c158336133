"""`hil diagnose --board` and `--fix` on a simulated TDA4VM: the demo face detector calibrated by TIDL on too
few frames (the card's calibration_frames: 2), its layers traced through TIDL's debug_level 4 over real SSH,
then kept at 16 bit step by step with TIDL's output_feature_16bit_names_list, each step a real run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import REPO, Hil, needs_sshd, write_sim_inventory

pytestmark = [needs_sshd]

FACE = REPO / "artifacts/models/dms-face.onnx"
QDQ = REPO / "artifacts/models/dms-face.int8.onnx"  # the host QDQ model (hil quantize, 60 frames)
CLIP = REPO / "artifacts/clips/cabin-01.mp4"


def few_frames_model(folder: Path) -> Path:
    """dms-face whose card tells TIDL to calibrate on 2 frames: the phone score is never seen."""
    folder.mkdir(parents=True)
    model = folder / "dms-face.onnx"
    shutil.copyfile(FACE, model)
    card = FACE.with_name("dms-face.card.yaml").read_text()
    assert "calibration_frames: 60" in card
    model.with_name("dms-face.card.yaml").write_text(
        card.replace("calibration_frames: 60", "calibration_frames: 2")
    )
    return model


def test_tidl_traces_name_the_diverging_layers_and_fix_keeps_them_at_16_bit(hil: Hil, tmp_path: Path) -> None:
    model = few_frames_model(tmp_path / "few")
    inventory = str(write_sim_inventory(tmp_path / "rack.yaml", {"tda-diag": "tda4vm"}).inventory)
    args = ["diagnose", str(model), "--qdq", str(QDQ), "-c", str(CLIP), "-f", "2", "--board", "tda-diag"]
    args += ["-i", inventory, "--fix", "--fix-layers", "2", "--db", str(tmp_path / "fix.sqlite"), "--json"]
    shown = hil(*args)
    assert shown.returncode == 0, shown.stderr
    result = json.loads(shown.stdout)
    assert result["board_source"].startswith("tda-diag: TIDL layer traces (debug_level 4)")
    assert "tidl_compile.py" in result["board_command"] and "--tensor-bits=8" in result["board_command"]
    assert "--prequantized" not in result["board_command"]  # TIDL's own calibration, on the card's 2 frames
    board = {e["name"]: e for e in result["board"] if e["snr_db"] is not None}
    host = {e["name"]: e for e in result["host"]}
    assert len(board) >= 40  # every TIDL layer traced and mapped back by layer_info.txt
    # the phone score, clipped to the range 2 frames without a phone gave it: the board loses, the host
    # QDQ model (calibrated on 60 frames) does not
    for name in ("/Concat_4", "/Concat_5"):
        assert board[name]["snr_db"] < 10 and host[name]["snr_db"] > 20, (board[name], host[name])
    assert result["verdict"]["source"] == "converter" and result["verdict"]["layer"] == "/Concat_4"

    fixed = result["fix"]
    steps = fixed["steps"]
    assert [s["kept"] for s in steps] == [[], ["/Concat_4"], ["/Concat_4", "/Concat_5"]]
    for s in steps:
        assert s["run_id"] and s["p50_ms"] > 0 and s["figures"]["fp32"] > 0.99
    # really recomputed: the scores output kept at 16 bit wins AP50 back in part (measured 0.50 -> 0.81) ...
    assert (
        steps[0]["figures"]["AP50"] < 0.6 and steps[2]["figures"]["AP50"] > steps[0]["figures"]["AP50"] + 0.1
    )
    # ... but 16 bits do not widen a range the calibration never saw: no kept set passes, nothing is written
    assert fixed["chosen"] is None and "no kept set" in fixed["reason"]
    assert "keep" not in model.with_name("dms-face.card.yaml").read_text()
