"""inventory/fleet-sim.yaml and the per-board toolchain override of simulated boards."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from hil.fleet.ansible import Connection, run_playbook
from hil.inventory import load_inventory, select_boards
from hil.platforms import names
from hil.sim.boards import qcs8255, toolchain_version, write_toolchain
from hil.sim.dlc import SNPE_VERSION
from hil.thirdparty import SUBPROCESS_ENV
from tests.conftest import Hil, free_endpoint

REPO = Path(__file__).resolve().parents[3]
FLEET = REPO / "inventory" / "fleet-sim.yaml"


def test_the_simulated_fleet_has_twelve_vehicles_three_platforms_two_snpe_releases() -> None:
    inv = load_inventory(FLEET, names())
    vehicles = select_boards(inv, ["group=fleet"])
    assert len(vehicles) >= 12 and all(v.sim for v in vehicles)
    assert {v.platform for v in vehicles} == {"orin", "qcs8255", "tda4vm"}
    snpe = {v.sim_toolchain.get("snpe", SNPE_VERSION) for v in vehicles if v.platform == "qcs8255"}
    assert len(snpe) == 2
    endpoints = [(v.ansible_host, v.ansible_port) for v in vehicles]
    assert len(set(endpoints)) == len(endpoints)


def _no_warning(stderr: str) -> None:
    assert "warning" not in stderr.lower(), stderr


def test_ansible_reads_the_fleet_inventory_without_warnings() -> None:
    """ansible-inventory, started the way hil starts Ansible, reads the fleet with a clean stderr (with
    cryptography 51, the bare command prints "CryptographyDeprecationWarning: DSA is deprecated")."""
    bin_dir = Path(sys.executable).parent
    res = subprocess.run(
        [str(bin_dir / "ansible-inventory"), "-i", str(FLEET), "--list"],
        capture_output=True,
        text=True,
        env={**os.environ, **SUBPROCESS_ENV},
    )
    assert res.returncode == 0, res.stderr
    _no_warning(res.stderr)
    hosts = json.loads(res.stdout)["_meta"]["hostvars"]
    assert hosts["veh-qcs-03"]["sim_toolchain"] == {"snpe": "2.20.0.240223"}


def test_a_playbook_run_by_hil_prints_no_library_warning(tmp_path: Path) -> None:
    """A real ansible-runner call of hil's facts playbook on a vehicle that is not there: the vehicle is
    unreachable, and nothing Ansible's process printed (all of it is in the runner's stdout) warns."""
    host, port = free_endpoint()  # nothing listens there
    conn = Connection(known_hosts=tmp_path / "known_hosts", sim_key=None, timeout_s=120)
    (tmp_path / "known_hosts").write_text("")
    gone = {"ansible_host": host, "ansible_port": port, "ansible_ssh_timeout": 5, "hil_facts_script": "true"}
    hosts = {"veh-gone": gone}
    outcomes = run_playbook(tmp_path / "call", "facts.yml", hosts, ["veh-gone"], conn)
    assert outcomes["veh-gone"].state == "unreachable"
    said = "".join(p.read_text() for p in (tmp_path / "call").glob("artifacts/*/stdout"))
    assert "veh-gone" in said  # the runner's stdout is where a warning would be
    _no_warning(said + outcomes["veh-gone"].message)


def test_hil_commands_print_no_library_warning_on_the_fleet(hil: Hil) -> None:
    """`hil boards check` on fleet vehicles that are not up: one row per vehicle whose long error folds
    inside 80, 100 and 120 columns, and no Python warning."""
    for columns in (80, 100, 120):
        hil.env["COLUMNS"] = str(columns)
        res = hil("boards", "check", "veh-orin-01", "veh-tda-03", "-i", str(FLEET))
        assert res.returncode == 3, res.stderr  # every vehicle unreachable: an infrastructure error
        lines = res.stdout.splitlines()
        assert sum(line.startswith("veh-") for line in lines) == 2, res.stdout
        assert max(len(line) for line in lines) <= columns, res.stdout
        _no_warning(res.stderr)


def test_toolchain_override_names_the_sdk_and_the_banner(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert toolchain_version("snpe", SNPE_VERSION, tmp_path) == SNPE_VERSION
    write_toolchain(tmp_path, {"snpe": "2.20.0.240223"})
    assert toolchain_version("snpe", SNPE_VERSION, tmp_path) == "2.20.0.240223"
    assert qcs8255.environment(tmp_path)["SNPE_ROOT"].endswith("qairt/2.20.0.240223")
    monkeypatch.setenv("HIL_BOARD_ROOT", str(tmp_path))
    from hil.sim.tools.snpe_args import version_line

    assert version_line() == "SNPE v2.20.0.240223"
    write_toolchain(tmp_path, {})
    assert toolchain_version("snpe", SNPE_VERSION, tmp_path) == SNPE_VERSION
