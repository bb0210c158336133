"""A broken board is told from a broken model, and never hangs the run or the other boards."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Hil, needs_sshd, write_sim_inventory
from tests.fixtures.tiny import make_model

pytestmark = [needs_sshd]


def test_hung_tool_is_an_infra_error_and_other_boards_finish(
    hil: Hil, tmp_path: Path, material: tuple[Path, Path]
) -> None:
    model, clip = material
    rack = write_sim_inventory(
        tmp_path / "rack.yaml", {"orin-h1": "orin", "orin-ok": "orin"}, extra="command_timeout_s: 4"
    )
    # The board's own trtexec hangs (a wedged GPU driver, say).
    root = tmp_path / ".hil" / "sim" / "boards" / "orin-h1" / "root"
    root.mkdir(parents=True)
    (root / "sim-faults.json").write_text(json.dumps({"trtexec": "hang"}))
    proc = hil(
        "run", "-i", str(rack.inventory), "--model", str(model), "--clip", str(clip), "-p", "fp32",
        "--max-frames", "12", "--warmup", "2", "--json", timeout=120,
    )  # fmt: skip
    by_board = {r["board"]: r for r in json.loads(proc.stdout)["results"]}
    hung = by_board["orin-h1"]
    assert hung["status"] == "infra_error" and hung["stage"] == "convert"
    assert "ran past" in hung["error"]
    assert by_board["orin-ok"]["status"] == "pass"
    assert proc.returncode == 3  # infrastructure errors only: no model failed


def test_unreachable_board_is_infra_error_with_exit_3(
    hil: Hil, tmp_path: Path, material: tuple[Path, Path]
) -> None:
    model, clip = material
    inv = tmp_path / "lab.yaml"
    # A real (not simulated) board on a loopback port where nothing listens.
    inv.write_text(
        "all:\n  children:\n    rack:\n      hosts:\n        orin-gone:\n          platform: orin\n"
        "          ansible_host: 127.0.0.1\n          ansible_port: 1\n          connect_timeout_s: 2\n"
    )
    proc = hil("run", "-i", str(inv), "--model", str(model), "--clip", str(clip), "-p", "fp32", "--json")
    assert proc.returncode == 3, proc.stderr
    result = json.loads(proc.stdout)["results"][0]
    assert result["status"] == "infra_error" and result["stage"] == "connect"
    assert "orin-gone" in result["error"]


def test_model_without_card_still_runs_with_null_accuracy(hil: Hil, tmp_path: Path) -> None:
    from tests.fixtures.tiny import make_clip

    bare = make_model(tmp_path / "bare.onnx", with_card=False)
    clip = make_clip(tmp_path / "c.mp4", frames=16)
    rack = write_sim_inventory(tmp_path / "rack.yaml", {"orin-b1": "orin"})
    proc = hil(
        "run", "-i", str(rack.inventory), "--model", str(bare), "--clip", str(clip), "-p", "fp32",
        "--warmup", "2", "--json",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)["results"][0]
    assert result["accuracy"] is None and result["budgets"]["accuracy"] is None
    assert result["latency_ms"]["n"] == 14 and result["memory_peak_mb"] > 0
