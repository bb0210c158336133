"""A lease broken under a running run stops that board's jobs; a run's deadline skips what it did not start;
a simulated board another live process uses is not stopped by a run that leaves it."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from hil.inventory import load_inventory
from hil.platforms import names
from hil.runs.lease import process_start
from hil.runs.simulated import SimUse
from hil.sim.rack import SimRack
from tests.conftest import Hil, needs_sshd, write_sim_inventory
from tests.fixtures.tiny import make_clip
from tests.integration.test_signals import _start, _wait_for_results

pytestmark = [needs_sshd]


def _paced_args(tmp_path: Path, model: Path, rack_inv: Path, db: Path, clips: int = 3) -> list[str]:
    args = ["run", "-i", str(rack_inv), "--model", str(model), "-p", "fp32", "--warmup", "2", "--fps", "10",
            "--db", str(db), "--json"]  # fmt: skip
    for i in range(clips):
        args += ["--clip", str(make_clip(tmp_path / f"p{i}.mp4", frames=40))]
    return args


def test_release_refuses_a_live_holder_and_force_stops_its_jobs(
    hil: Hil, tmp_path: Path, material: tuple[Path, Path]
) -> None:
    model, _ = material
    rack = write_sim_inventory(tmp_path / "rack.yaml", {"orin-l1": "orin"})
    db = tmp_path / "runs.sqlite"
    proc = _start(hil, *_paced_args(tmp_path, model, rack.inventory, db, clips=8))
    _wait_for_results(db, 1, proc)

    polite = hil("boards", "release", "orin-l1", "-i", str(rack.inventory))
    assert polite.returncode == 1 and f"pid {proc.pid}" in polite.stderr  # says who holds it
    forced = hil("boards", "release", "orin-l1", "-i", str(rack.inventory), "--force")
    assert forced.returncode == 0 and "released the lease of pid" in forced.stderr, forced.stderr

    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 3, stderr
    statuses = [(r["status"], r["error"] or "") for r in json.loads(stdout)["results"]]
    assert statuses[0][0] == "pass"
    lost = [e for s, e in statuses if s == "infra_error"]
    assert lost and all("lost the board's lease" in e for e in lost)


def test_run_deadline_skips_unstarted_jobs(hil: Hil, tmp_path: Path, material: tuple[Path, Path]) -> None:
    model, _ = material
    rack = write_sim_inventory(tmp_path / "rack.yaml", {"orin-d1": "orin"})
    db = tmp_path / "runs.sqlite"
    start = time.monotonic()
    proc = hil(*_paced_args(tmp_path, model, rack.inventory, db), "--deadline", "1s", timeout=120)
    assert time.monotonic() - start < 60
    payload = json.loads(proc.stdout)
    assert payload["stopped"] == "deadline"
    assert {r["status"] for r in payload["results"]} == {"skipped"}
    assert {r["error"] for r in payload["results"]} == {"deadline"}
    assert proc.returncode == 0, proc.stderr  # nothing failed; the run says it stopped at its deadline
    resumed = hil(*_paced_args(tmp_path, model, rack.inventory, db), "--resume", "last", timeout=300)
    assert [r["status"] for r in json.loads(resumed.stdout)["results"]] == ["pass"] * 3


def test_a_board_another_live_process_uses_is_left_running(tmp_path: Path) -> None:
    inv = write_sim_inventory(tmp_path / "rack.yaml", {"orin-u1": "orin"})
    spec = load_inventory(inv.inventory, names()).boards["orin-u1"]
    rack = SimRack(tmp_path / "sim", tmp_path / "known_hosts")
    first = SimUse(rack)
    first.acquire(spec)
    assert first.started == ["orin-u1"]
    other = subprocess.Popen(["sleep", "60"])  # another run, registered as a user of the board
    try:
        users = rack.board_dir("orin-u1") / "users"
        (users / f"{other.pid}-{process_start(other.pid)}").touch()
        assert first.release_all() == []
        assert rack.pid("orin-u1") is not None  # still in use: not stopped
    finally:
        other.kill()
        other.wait()
    last = SimUse(rack)
    last.acquire(spec)  # the dead user no longer counts
    assert last.release_all() == ["orin-u1"]
    assert rack.pid("orin-u1") is None
