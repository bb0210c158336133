"""Eight simulated boards in parallel, one of them dead: its recovery ladder fails and it is quarantined,
the seven others never notice; the next run skips it until an operator puts it back."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.conftest import Hil, needs_sshd, write_sim_inventory

pytestmark = [needs_sshd]


def test_eight_boards_with_one_dead_board(hil: Hil, tmp_path: Path, material: tuple[Path, Path]) -> None:
    model, clip = material
    names = [f"orin-p{i}" for i in range(1, 8)] + ["orin-dead"]
    rack = write_sim_inventory(
        tmp_path / "rack.yaml", dict.fromkeys(names, "orin"), extra="reboot_command: reboot"
    )
    suite = tmp_path / "suite.yaml"
    suite.write_text(
        f"models: [{model}]\nprecisions: [fp32]\nclips: [{clip.name}]\n"
        "replay: {warmup: 2, max_frames: 6}\nlimits: {retries: 1, quarantine_after: 3}\n"
    )
    root = tmp_path / ".hil" / "sim" / "boards" / "orin-dead" / "root"
    root.mkdir(parents=True)
    (root / "sim-faults.json").write_text(json.dumps({"sshd": "down"}))
    db = str(tmp_path / "runs.sqlite")
    base = ["-i", str(rack.inventory), "--db", db]

    proc = hil("run", *base, "--suite", str(suite), "--json", timeout=600)
    assert proc.returncode == 3, proc.stderr  # infrastructure errors only
    by_board = {r["board"]: r for r in json.loads(proc.stdout)["results"]}
    assert len(by_board) == 8
    dead = by_board.pop("orin-dead")
    assert dead["status"] == "infra_error" and "recovery ladder failed" in dead["error"]
    assert {r["status"] for r in by_board.values()} == {"pass"}  # the others are unaffected
    with sqlite3.connect(db) as conn:
        rungs = conn.execute(
            "SELECT kind, ok FROM run_events WHERE board = 'orin-dead' ORDER BY id"
        ).fetchall()
    # Climbed once (then no retry: no rung worked): reconnect, reboot, power cycle, all failed; then bad.
    assert rungs == [("recovery:reconnect", 0), ("recovery:reboot", 0), ("recovery:power_cycle", 0),
                     ("recovery:bad", 0)]  # fmt: skip

    health = json.loads(hil("boards", "health", *base, "--json").stdout)
    states = {h["name"]: h["state"] for h in health}
    assert states["orin-dead"] == "bad" and states["orin-p1"] == "good"

    (root / "sim-faults.json").unlink()  # repaired, but nobody said so yet: still quarantined
    again = hil("run", *base, "--suite", str(suite), "--where", "name=orin-dead", "--json", timeout=300)
    skipped = json.loads(again.stdout)["results"][0]
    assert skipped["status"] == "skipped" and "board is bad" in skipped["error"], again.stderr

    assert hil("boards", "set-state", "orin-dead", "good", *base).returncode == 0
    back = hil("run", *base, "--suite", str(suite), "--where", "name=orin-dead", "--json", timeout=300)
    assert back.returncode == 0, back.stderr
    assert json.loads(back.stdout)["results"][0]["status"] == "pass"
