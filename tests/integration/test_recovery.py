"""The recovery ladder's rungs on real simulated boards: `reboot` really drops connections, kills the
board's processes and restarts its sshd; a board whose sshd died comes back by its power cycle."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from hil.errors import InfraError
from hil.inventory import load_inventory
from hil.platforms import names
from hil.runs.control import RunControl
from hil.runs.events import Event, RecoveryRung
from hil.runs.recovery import RecoveryLadder, reachable
from hil.runs.simulated import SimUse
from hil.runs.target import BoardTarget, target_for
from hil.sim.rack import SimRack
from hil.transport.ssh import BoardConnection, CommandResult, kill_tagged
from tests.conftest import needs_sshd, write_sim_inventory

pytestmark = [needs_sshd]


def _board(tmp_path: Path, extra: str = "") -> tuple[SimRack, SimUse, BoardTarget]:
    rack_inv = write_sim_inventory(tmp_path / "rack.yaml", {"orin-r1": "orin"}, extra=extra)
    spec = load_inventory(rack_inv.inventory, names()).boards["orin-r1"]
    rack = SimRack(tmp_path / "sim", tmp_path / "known_hosts")
    use = SimUse(rack)
    use.acquire(spec)
    return rack, use, target_for(spec, rack.known_hosts, rack.client_key)


def test_reboot_drops_connections_and_kills_processes(tmp_path: Path) -> None:
    rack, use, target = _board(tmp_path)
    try:
        with BoardConnection(target.endpoint) as conn:
            pid = int(conn.run_script("nohup sleep 300 >/dev/null 2>&1 & echo $!", 10).stdout)
            assert Path(f"/proc/{pid}").exists()
            assert "going down" in conn.run(["reboot"], 10).stdout
        time.sleep(3)
        deadline = time.monotonic() + 30
        while reachable(target) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert reachable(target) == ""
        assert not Path(f"/proc/{pid}").exists()  # everything that ran on the board is gone
    finally:
        use.release_all()
    assert rack.pid("orin-r1") is None


def test_dead_sshd_comes_back_by_power_cycle(tmp_path: Path) -> None:
    rack, use, target = _board(tmp_path, extra="reboot_command: reboot\nrecovery_wait_s: 20")
    events: list[Event] = []
    try:
        rack.stop("orin-r1")  # the board died
        ladder = RecoveryLadder(events.append, RunControl(), use.power_cycle)
        assert ladder(target, InfraError("orin-r1: connection lost"))
        rungs = [(e.rung, e.ok) for e in events if isinstance(e, RecoveryRung)]
        assert rungs == [("reconnect", False), ("reboot", False), ("power_cycle", True)]
        assert reachable(target) == ""
    finally:
        use.release_all()


def test_kill_tagged_stops_the_running_command_on_the_board(tmp_path: Path) -> None:
    _, use, target = _board(tmp_path)
    try:
        conn = BoardConnection(target.endpoint, tag="run-1-orin-r1")
        done: list[CommandResult] = []
        worker = threading.Thread(target=lambda: done.append(conn.run_script("sleep 60; echo done", 120)))
        start = time.monotonic()
        worker.start()
        time.sleep(2)
        assert kill_tagged(target.endpoint, "run-1-orin-r1")
        worker.join(30)
        assert done and done[0].stdout == "" and not done[0].ok  # killed, not finished
        assert time.monotonic() - start < 20
        assert not kill_tagged(target.endpoint, "run-1-orin-r1")  # nothing left to stop
        conn.close()
    finally:
        use.release_all()
