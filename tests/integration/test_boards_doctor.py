"""`hil boards check` as a first-board doctor on the simulated rack: what it finds per area, each problem with
its fix, --json, exit 3 when a board has a problem a run would fail on (a bare Python 3.8 without numpy)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Hil, needs_sshd, write_sim_inventory
from tests.integration.test_board_python_preflight import BARE

pytestmark = [needs_sshd]


def test_doctor_reports_every_area_and_the_build_host_note(hil: Hil, tmp_path: Path) -> None:
    # No build host: TI compiles on an x86 PC only, so a run would refuse the TDA4VM; the doctor says so.
    rack = write_sim_inventory(
        tmp_path / "rack.yaml", {"orin-d": "orin", "tda-d": "tda4vm"}, build_hosts=False
    )
    assert hil("sim", "up", "-i", str(rack.inventory)).returncode == 0
    try:
        proc = hil("boards", "check", "-i", str(rack.inventory), "--json")
        hil.env["COLUMNS"] = "100"  # the doctor's table fits 100 columns
        table = hil("boards", "check", "-i", str(rack.inventory))
    finally:
        hil("sim", "down", "-i", str(rack.inventory))
    assert proc.returncode == 3, proc.stderr  # a problem a run would fail on
    rows = {r["board"]: r for r in json.loads(proc.stdout)}
    orin = {f["area"]: f for f in rows["orin-d"]["findings"]}
    assert {"toolchain", "python", "power", "clocks", "thermal", "disk"} <= set(orin)
    assert orin["toolchain"]["detail"] == "orin converter 10.3.0"
    assert orin["power"]["detail"] == "rails VDD_IN, VDD_CPU_GPU_CV, VDD_SOC; total = VDD_IN"
    tda = {f["area"]: f for f in rows["tda-d"]["findings"]}
    assert tda["build host"]["status"] == "problem" and "x86_64 PC only" in tda["build host"]["detail"]
    assert "build_host" in tda["build host"]["fix"]
    assert all(len(line) <= 100 for line in table.stdout.splitlines()), table.stdout


@pytest.mark.skipif(not BARE, reason="needs a Python 3.8 without numpy on this machine (pyenv, apt)")
def test_doctor_names_the_install_line_and_exits_3(hil: Hil, tmp_path: Path) -> None:
    rack = write_sim_inventory(
        tmp_path / "rack.yaml", {"orin-38": "orin"}, extra='sim_toolchain: {python: "3.8"}'
    )
    assert hil("sim", "up", "-i", str(rack.inventory)).returncode == 0
    try:
        proc = hil("boards", "check", "-i", str(rack.inventory), "--json")
    finally:
        hil("sim", "down", "-i", str(rack.inventory))
    assert proc.returncode == 3
    [row] = json.loads(proc.stdout)
    assert row["ok"] is False
    fixes = {
        f["detail"]: f["fix"] for f in row["findings"] if f["area"] == "python" and f["status"] == "problem"
    }
    assert fixes["numpy is missing (pre/postprocessing)"] == "python3 -m pip install 'numpy>=1.17'"
