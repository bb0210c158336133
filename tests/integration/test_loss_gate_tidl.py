"""The loss gate end to end on a simulated TDA4VM with the demo face detector: a calibration that does not
cover the clip (`calibration_frames: 1`) loses AP50 and the phone class at 16 bits and fails with the loss
message (exit 1); the shipped card (60 frames) passes, and finds the phone_use event FP32 finds."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import Hil, needs_sshd, write_sim_inventory

pytestmark = [needs_sshd]

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
CLIP = ARTIFACTS / "clips" / "cabin-01.mp4"  # a phone episode at frames 451-544


def _face(folder: Path, frames: int | None) -> Path:
    folder.mkdir()
    model = folder / "dms-face.onnx"
    shutil.copy(ARTIFACTS / "models" / "dms-face.onnx", model)
    card = (ARTIFACTS / "models" / "dms-face.card.yaml").read_text()
    if frames is not None:
        card = card.replace("calibration_frames: 60", f"calibration_frames: {frames}")
    (folder / "dms-face.card.yaml").write_text(card)
    return model


def _run(hil: Hil, inventory: Path, model: Path) -> tuple[int, dict, str]:
    proc = hil(
        "run", "-i", str(inventory), "--model", str(model), "--clip", str(CLIP), "-p", "int16",
        "--max-frames", "560", "--warmup", "4", "--json", timeout=600,
    )  # fmt: skip
    return proc.returncode, json.loads(proc.stdout or "{}"), proc.stderr


def test_a_calibration_that_misses_the_phone_fails_the_loss_gate_and_the_shipped_card_passes(
    hil: Hil, tmp_path: Path
) -> None:
    inventory = write_sim_inventory(tmp_path / "rack.yaml", {"tda-l1": "tda4vm"}).inventory
    code, payload, stderr = _run(hil, inventory, _face(tmp_path / "one", 1))
    assert code == 1, stderr
    (result,) = payload["results"]
    assert result["status"] == "fail" and result["budgets"]["loss"] is False, result["error"]
    assert "AP50 " in result["error"] and " vs fp32 " in result["error"] and "pt allowed" in result["error"]
    checks = {c["figure"]: c for c in result["loss"]["checks"]}
    assert checks["AP50"]["ok"] is False and checks["AP50"]["change"] < -1.0, checks["AP50"]
    assert checks["recall[phone]"]["ok"] is False

    code, payload, stderr = _run(hil, inventory, _face(tmp_path / "shipped", None))
    assert code == 0, stderr + json.dumps(payload.get("results"), indent=1)[:3000]
    (result,) = payload["results"]
    assert result["status"] == "pass" and result["budgets"]["loss"] is True, result
    checks = {c["figure"]: c for c in result["loss"]["checks"]}
    assert checks["AP50"]["ok"] and abs(checks["AP50"]["change"]) <= 1.0, checks["AP50"]
    assert result["events"]["phone_use"]["found"] == 1 and checks["events[phone_use]"]["ok"] is True
    (table,) = payload["compression"]
    assert table["board"] == "tda-l1" and table["baseline"] == "int16"
