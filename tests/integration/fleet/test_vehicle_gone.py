"""A vehicle that goes away is gone: `hil sim down` ends established SSH sessions too, so neither a plain
ssh ControlMaster nor Ansible's ControlPersist keeps reaching a powered-off vehicle."""

from __future__ import annotations

import getpass
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import yaml

from tests.conftest import needs_sshd
from tests.integration.fleet.conftest import Fleet, World, current_engine

pytestmark = [needs_sshd]


def by_name(payload: dict) -> dict[str, dict]:
    return {v["name"]: v for v in payload["vehicles"]}


def endpoint(inventory: Path, name: str) -> tuple[str, int]:
    hosts = yaml.safe_load(inventory.read_text())["all"]["children"]["fleet"]["hosts"]
    return hosts[name]["ansible_host"], int(hosts[name]["ansible_port"])


def test_sim_down_ends_a_multiplexed_ssh_master(world: World, fleet: Fleet) -> None:
    sockets = Path(tempfile.mkdtemp(prefix="cm", dir="/tmp"))  # a socket path must be short
    try:
        master_survives_power_off(world, fleet, sockets)
    finally:
        shutil.rmtree(sockets, ignore_errors=True)


def master_survives_power_off(world: World, fleet: Fleet, sockets: Path) -> None:
    name = fleet.orin[0]
    host, port = endpoint(fleet.inventory, name)
    home = Path(world.env["HIL_HOME"])
    argv = [
        "ssh", "-i", str(home / "sim" / "client_ed25519"), "-p", str(port),
        "-o", f"UserKnownHostsFile={home / 'known_hosts'}", "-o", "StrictHostKeyChecking=yes",
        "-o", "BatchMode=yes", "-o", "ConnectTimeout=5", "-o", "ControlMaster=auto",
        "-o", "ControlPersist=120", "-o", f"ControlPath={sockets / '%p'}",
        f"{getpass.getuser()}@{host}", "echo alive",
    ]  # fmt: skip
    first = subprocess.run(argv, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert first.returncode == 0 and "alive" in first.stdout, first.stderr
    assert list(sockets.iterdir()), "the ssh master did not persist"  # the control socket is up
    down = world.hil("sim", "down", "-i", str(fleet.inventory), "--where", f"name={name}")
    assert down.returncode == 0, down.stderr
    again = subprocess.run(argv, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert again.returncode != 0 and "alive" not in again.stdout, (again.stdout, again.stderr)


def test_vehicle_powered_off_between_deployments_is_deferred_then_catches_up(
    world: World, fleet: Fleet
) -> None:
    code, first = world.deploy(fleet.inventory, "--waves", "100%")
    assert code == 0 and first["status"] == "done", first
    away = fleet.orin[1]
    down = world.hil("sim", "down", "-i", str(fleet.inventory), "--where", f"name={away}")
    assert down.returncode == 0, down.stderr
    # at once, while Ansible's ControlPersist masters of the first deployment are still alive
    code, second = world.deploy(fleet.inventory, "--waves", "100%", precision="fp32")
    said = [(v["name"], v["state"], v["reason"]) for v in second["vehicles"]]
    assert code == 3 and second["status"] == "partial", said
    vehicles = by_name(second)
    assert vehicles[away]["state"] == "deferred" and "unreachable" in vehicles[away]["reason"]
    assert all(vehicles[n]["state"] == "switched" for n in fleet.names if n != away), vehicles
    before = current_engine(world, away)
    assert before == by_name(first)[away]["engine_sha256"]  # still on the first deployment's engine
    assert world.hil("sim", "up", "-i", str(fleet.inventory), "--where", f"name={away}").returncode == 0
    res = world.hil("deploy", "resume", second["deployment_id"], "--db", str(world.db), "--json")
    assert res.returncode == 0, res.stdout + res.stderr
    resumed = by_name(json.loads(res.stdout))
    assert resumed[away]["state"] == "switched"
    assert current_engine(world, away) == resumed[away]["engine_sha256"] != before
