"""The emulated bench meter and the platform's reading of meter CSV: modelled watts, honest labels."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hil.platforms.qcs8255 import meter_power_mw
from hil.sim.boards import qcs8255 as profile
from hil.sim.power_model import model_for

from .conftest import REPO, run_tool, set_fault


def test_meter_prints_modelled_csv_within_the_model(board: Path) -> None:
    result = run_tool("qcs_meter", "--interval-ms", "20", "--count", "3")
    assert result.rc == 0, result.both
    lines = result.out.splitlines()
    assert lines[0].startswith("# qcs-meter: rail VIN_12V, interval 20 ms, MODELLED")
    assert lines[1] == "timestamp_s,voltage_v,current_a,power_w"
    assert len(lines) == 5
    readings = meter_power_mw(result.out)
    assert len(readings) == 3 and all(1800 <= mw <= 5400 for mw in readings)
    for line in lines[2:]:
        _, volts, amps, watts = (float(v) for v in line.split(","))
        assert volts == 12.0 and abs(volts * amps - watts) < 0.01


def test_meter_takes_its_interval_from_hil(board: Path) -> None:
    env = {**os.environ, "HIL_POWER_INTERVAL_MS": "15"}
    proc = subprocess.run(
        [sys.executable, "-m", "hil.sim.tools.qcs_meter", "--count", "1"],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=60,
    )  # fmt: skip
    assert "interval 15 ms" in proc.stdout
    assert run_tool("qcs_meter", "--interval-ms", "soon").rc == 2


def test_power_model_constants_are_the_documented_ones() -> None:
    model = model_for("qcs8255")
    assert model.mode == profile.DEFAULT_POWER_MODE == "default"
    assert model.rails_mw(0.0) == {"VIN_12V": 1800}
    assert model.rails_mw(1.0) == {"VIN_12V": 5400}
    assert model.rails_mw(0.5) == {"VIN_12V": 3600}
    assert "| default | VIN_12V | 1800    | 5400    |" in (profile.__doc__ or "")


@pytest.mark.parametrize(("fault", "samples"), [("corrupt", 0), ("disk_full", 0)])
def test_meter_faults_leave_no_readable_samples(board: Path, fault: str, samples: int) -> None:
    set_fault(board, "qcs-meter", fault)
    result = run_tool("qcs_meter", "--interval-ms", "10", "--count", "2")
    assert result.rc == 0 and len(meter_power_mw(result.out)) == samples


def test_meter_crash_fault(board: Path) -> None:
    set_fault(board, "qcs-meter", "crash")
    result = run_tool("qcs_meter", "--interval-ms", "10", "--count", "5")
    assert result.rc == 139 and len(meter_power_mw(result.out)) == 1


def test_meter_csv_forms() -> None:
    assert meter_power_mw("power_mw\n1500\n1600\n") == [1500.0, 1600.0]
    assert meter_power_mw("# a comment\nt,Voltage_V,Current_A\n0,5.0,0.5\n1,5.0,0.6\n") == [2500.0, 3000.0]
    assert meter_power_mw("t,power_w\n0,2.5\n1,2.\n2,oops\n3\n") == [2500.0, 2000.0]
    assert meter_power_mw("volts,amps\n5,1\n") == []  # no column hil knows: nothing is guessed
