"""inventory/fleet-sim.yaml and the per-board toolchain override of simulated boards."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from hil.inventory import load_inventory, select_boards
from hil.platforms import names
from hil.sim.boards import qcs8255, toolchain_version, write_toolchain
from hil.sim.dlc import SNPE_VERSION

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


def test_ansible_reads_the_fleet_inventory_without_warnings() -> None:
    bin_dir = Path(sys.executable).parent
    res = subprocess.run(
        [str(bin_dir / "ansible-inventory"), "-i", str(FLEET), "--list"], capture_output=True, text=True
    )
    assert res.returncode == 0, res.stderr
    assert "WARNING" not in res.stderr.upper(), res.stderr
    hosts = json.loads(res.stdout)["_meta"]["hostvars"]
    assert hosts["veh-qcs-03"]["sim_toolchain"] == {"snpe": "2.20.0.240223"}


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
