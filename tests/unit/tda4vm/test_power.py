"""INA226 power on a simulated TDA4VM: the hwmon files, the sidecar that keeps them current, and the
sampler loop hil runs around a replay, read back with hil's hwmon parser."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hil.harness import HARNESS_DIR
from hil.parsers.hwmon import parse_hwmon
from hil.platforms.base import PowerPlan
from hil.platforms.tda4vm import PLATFORM, parse_samples, sampler_loop
from hil.sim.boards.tda4vm import hwmon_dir
from hil.sim.tools import tidl_ina226

PLAN = PowerPlan("", "", "", "sim-model", 0.1, "")


def grep_hwmon(board: Path) -> str:
    folder = hwmon_dir(board)
    return "".join(
        f"{folder}/{f.name}:{f.read_text()}" for f in sorted(folder.iterdir()) if not f.name.startswith(".")
    )


def test_populated_ina226_reads_as_the_idle_model(board: Path) -> None:
    (device,) = parse_hwmon(grep_hwmon(board)).devices
    assert device.name == "ina226"
    (channel,) = device.channels
    assert channel.power_mw == 2200.0 and channel.voltage_mv == 5000.0 and channel.current_ma == 440.0


def test_sidecar_raises_power_with_the_boards_measured_load(board: Path) -> None:
    busy = subprocess.Popen(
        [sys.executable, "-c", "import time\nend = time.time() + 3\nwhile time.time() < end: pass"],
        env={**os.environ, "HIL_SIM_BOARD": os.environ["HIL_SIM_BOARD"]},
    )
    try:
        assert tidl_ina226.run(board, 0.15, iterations=2) == 0
    finally:
        busy.kill()
        busy.wait()
    (device,) = parse_hwmon(grep_hwmon(board)).devices
    power = device.channels[0].power_mw
    # Measured load: whatever CPU time the busy process got (other work on the host may take some).
    assert power is not None and 2200 < power <= 4800
    assert device.channels[0].current_ma == pytest.approx(power / 5.0, abs=1)


def test_sidecar_stops_when_its_board_is_gone(board: Path) -> None:
    start = time.monotonic()
    assert tidl_ina226.run(board, 0.01, iterations=0) == 0  # no sshd.pid: the board is not up
    assert time.monotonic() - start < 5


def test_sidecar_faults(board: Path) -> None:
    (board / "sim-faults.json").write_text(json.dumps({"ina226": "corrupt"}))
    tidl_ina226.run(board, 0.01, iterations=1)
    folder = hwmon_dir(board)
    sampled = [f"{folder}/{f}:{(folder / f).read_text()}" for f in ("name", "power1_input")]  # what hil greps
    assert parse_samples("@@ 1.0\n" + "".join(sampled)) == ([], [])
    (board / "sim-faults.json").write_text(json.dumps({"ina226": "crash"}))
    env = {**os.environ, "HIL_BOARD_ROOT": str(board)}
    proc = subprocess.run(
        [sys.executable, "-m", "hil.sim.tools.tidl_ina226", "--iterations=3"], env=env, timeout=60
    )
    assert proc.returncode == 139
    no_root = {k: v for k, v in os.environ.items() if k != "HIL_BOARD_ROOT"}
    proc = subprocess.run(
        [sys.executable, "-m", "hil.sim.tools.tidl_ina226"], env=no_root, capture_output=True
    )
    assert proc.returncode == 2


def test_sampler_loop_runs_in_a_real_shell_and_reads_back(board: Path, tmp_path: Path) -> None:
    """The loop under the harness's power_log.py, as the platform runs it: every line stamped on arrival."""
    log = tmp_path / "power.hwmon"
    proc = subprocess.Popen(
        [
            sys.executable,
            str(HARNESS_DIR / "power_log.py"),
            "--out",
            str(log),
            "--",
            "sh",
            "-c",
            sampler_loop(50),
        ],
        env={**os.environ, "HIL_BOARD_ROOT": str(board)},
    )
    time.sleep(0.8)
    proc.terminate()
    proc.wait(timeout=10)
    reading = PLATFORM.read_power(PLAN, log.read_text())
    assert len(reading.total_mw) >= 3 and set(reading.total_mw) == {2200.0}
    stamps = [t for t, _ in reading.samples]
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert all(0.03 <= gap < 0.5 for gap in gaps), gaps  # the loop's real pace, on the wall clock
    assert abs(stamps[-1] - time.time()) < 5
    assert reading.source == "sim-model"


def stamped(text: str, t0: float) -> str:
    """Each line as power_log.py writes it: `<epoch> <line>`, 0.05 s apart."""
    return "".join(f"{t0 + 0.05 * i:.6f} {line}\n" for i, line in enumerate(text.splitlines()))


def test_samples_sum_every_ina226_and_skip_what_is_not_a_reading() -> None:
    text = (
        "@@ 10.00\n/sys/class/hwmon/hwmon0/name:k3_j72xx_bandgap\n"
        "/sys/class/hwmon/hwmon1/name:ina226\n/sys/class/hwmon/hwmon1/power1_input:1500000\n"
        "/sys/class/hwmon/hwmon2/name:ina226\n/sys/class/hwmon/hwmon2/power1_input:700000\n"
        "@@ 10.10\n/sys/class/hwmon/hwmon1/name:ina226\ngrep: /sys/class/hwmon/hwmon1/power1_input: busy\n"
        "@@ 10.20\n/sys/class/hwmon/hwmon1/name:ina226\n/sys/class/hwmon/hwmon1/power1_input:1600000\n"
    )
    assert parse_samples(text) == ([2200.0, 1600.0], [10.0, 10.2])
    reading = PLATFORM.read_power(PLAN, stamped(text, 100.0))
    # A sample's time is its `@@` line's stamp (lines 0 and 9 of the text).
    assert reading.samples == [(100.0, 2200.0), (round(100.0 + 0.05 * 9, 6), 1600.0)]
    from hil.errors import ParseError

    with pytest.raises(ParseError):
        PLATFORM.read_power(PLAN, stamped("@@ 1.0\n", 5.0))
