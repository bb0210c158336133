"""`hil boards health --check` puts a repaired bad board back in service; `hil run --dry-run` plans and
changes nothing; `hil boards set-state` takes a board out of the runs."""

from __future__ import annotations

import json
from pathlib import Path

from hil.store.db import Store
from tests.conftest import REPO, Hil, needs_sshd, write_sim_inventory

SMALL = str(REPO / "artifacts" / "models" / "dms-small.onnx")  # one model, so a plan is 3 clips

pytestmark = [needs_sshd]


def test_health_check_brings_a_bad_board_back(hil: Hil, tmp_path: Path) -> None:
    rack = write_sim_inventory(tmp_path / "rack.yaml", {"orin-h1": "orin"})
    db = tmp_path / "runs.sqlite"
    with Store.open(db) as store:
        store.set_health("orin-h1", "bad", "recovery ladder failed", consecutive=4)
    base = ["-i", str(rack.inventory), "--db", str(db)]
    checked = hil("boards", "health", "orin-h1", *base, "--check", "--json", timeout=300)
    assert checked.returncode == 0, checked.stderr
    [row] = json.loads(checked.stdout)
    assert row["state"] == "good" and row["consecutive_infra"] == 0, checked.stderr
    assert "health check orin-h1:" in checked.stderr

    assert hil("boards", "set-state", "orin-h1", "maintenance", *base, "--reason", "fan").returncode == 0
    plan = hil("run", *base, "--dry-run", "--json", "-p", "fp32", "-m", SMALL)
    assert plan.returncode == 0, plan.stderr
    board = json.loads(plan.stdout)["boards"][0]
    assert board["health"] == "maintenance" and board["jobs"] == 3
    assert board["reachable"].startswith("simulated, not running")  # not started by a dry run
    with Store.open(db) as store:
        assert len(store.run_ids(10)) == 1  # only the health check's run: the dry run recorded nothing
    fresh = tmp_path / "never-made.sqlite"  # a dry run against a store that does not exist leaves none
    planned = hil(
        "run", "-i", str(rack.inventory), "--db", str(fresh), "--dry-run", "--json", "-p", "fp32", "-m", SMALL
    )
    assert planned.returncode == 0 and json.loads(planned.stdout)["jobs"] == 3, planned.stderr
    assert not fresh.exists()
    refused = hil("boards", "set-state", "orin-h1", "bad", *base)
    assert refused.returncode == 2 and "choose maintenance or good" in refused.stderr
