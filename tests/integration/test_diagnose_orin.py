"""`hil diagnose --board` on a simulated Orin: every layer output marked as a TensorRT debug tensor
(trtexec --markDebug), each frame's values saved (--saveDebugTensors) over real SSH, compared layer by
layer; the verdict for a quantization fault (a QDQ model calibrated on 2 frames) and a board-only one (the
emulated builder's bad_layer fault)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import REPO, Hil, needs_sshd, write_sim_inventory

pytestmark = [needs_sshd]

FACE = REPO / "artifacts/models/dms-face.onnx"
CLIPS = REPO / "artifacts/clips"


def diagnose(hil: Hil, inventory: str, model: Path, qdq: Path) -> dict:  # type: ignore[type-arg]
    args = ["diagnose", str(model), "--qdq", str(qdq), "-c", str(CLIPS), "-f", "2", "--no-rank"]
    shown = hil(*args, "--board", "orin-diag", "-i", inventory, "--json")
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)  # type: ignore[no-any-return]


def test_every_layer_and_the_verdict_for_a_quantization_and_a_board_fault(hil: Hil, tmp_path: Path) -> None:
    from hil.artifacts.calibration import expand_clips, sample_calibration
    from hil.artifacts.quantize import to_int8

    model = tmp_path / "dms-face.onnx"
    shutil.copyfile(FACE, model)
    shutil.copyfile(FACE.with_name("dms-face.card.yaml"), model.with_name("dms-face.card.yaml"))
    few = to_int8(model, sample_calibration(expand_clips([CLIPS]), 2), tmp_path / "few.int8.onnx").path
    inventory = str(write_sim_inventory(tmp_path / "rack.yaml", {"orin-diag": "orin"}).inventory)

    # quantization itself: the 2-frame QDQ model loses on the host and the board follows it
    result = diagnose(hil, inventory, model, few)
    assert result["board_source"].startswith("orin-diag: trtexec --markDebug / --saveDebugTensors")
    board = {e["name"]: e for e in result["board"] if e["snr_db"] is not None}
    host = {e["name"]: e for e in result["host"] if e["snr_db"] is not None}
    assert set(board) == set(host) and len(board) >= 60  # every float layer, by ONNX node name
    assert (
        host["/Concat_5"]["snr_db"] < 10
        and abs(board["/Concat_5"]["snr_db"] - host["/Concat_5"]["snr_db"]) < 3
    )
    assert result["verdict"]["source"] == "quantization", result["verdict"]

    # the board's builder breaks one layer; the host QDQ model (the shipped one) is fine there
    fault = hil("sim", "fault", "orin-diag", "-i", inventory, "trtexec=bad_layer")
    assert fault.returncode == 0, fault.stderr
    result = diagnose(hil, inventory, model, REPO / "artifacts/models/dms-face.int8.onnx")
    verdict = result["verdict"]
    assert verdict["source"] == "converter" and verdict["layer"].startswith("/features/features.3/"), verdict
    host = {e["name"]: e for e in result["host"]}
    assert host[verdict["layer"]]["snr_db"] > 25


def test_a_stored_int8_result_is_diagnosed_by_its_id_and_the_diagnosis_is_stored_beside_it(
    hil: Hil, tmp_path: Path
) -> None:
    inventory = str(write_sim_inventory(tmp_path / "rack.yaml", {"orin-diag": "orin"}).inventory)
    db = str(tmp_path / "hil.sqlite")
    clip = CLIPS / "cabin-01.mp4"
    ran = hil("run", "-i", inventory, "--db", db, "--model", str(FACE), "--clip", str(clip), "--precision",
              "int8", "--max-frames", "20", "--warmup", "2")  # fmt: skip
    assert ran.returncode in (0, 1), ran.stderr  # the verdict does not matter here; the result is stored
    shown = hil("diagnose", "last#1", "--db", db, "-f", "2", "--no-rank", "--json")
    assert shown.returncode == 0, shown.stderr
    result = json.loads(shown.stdout)
    assert result["board_source"].startswith("orin-diag: trtexec")  # the result's own board, model and clip
    assert result["model"] == str(FACE) and result["stored"]["result"] == 1
    logs = hil("show", "last", "--db", db, "--result", "1", "--log", "diagnose")
    assert logs.returncode == 0, logs.stderr
    assert "hil diagnose " in logs.stdout and '"verdict"' in logs.stdout
    refused = hil("diagnose", "last#7", "--db", db, "--no-rank")
    assert refused.returncode == 2 and "has no result 7" in refused.stderr
