"""Sidecar of a simulated TDA4VM: keeps its emulated INA226 hwmon files current while the board is up.

    python -m hil.sim.tools.tidl_ina226 [--interval-ms 100] [--iterations N]

Every interval it measures the board's CPU load (hil.sim.procload: the processes of the board's SSH
sessions), turns it into milliwatts with the board's power model (POWER_MODELS in hil/sim/boards/tda4vm.py,
MODELLED), and rewrites `power1_input` (uW), `curr1_input` (mA), `in1_input` (bus mV) and `in0_input`
(shunt mV) of every INA226 under $HIL_BOARD_ROOT/sys/class/hwmon, each file replaced atomically so a
reader never sees half a number. It exits when the board's sshd is gone (or after --iterations).

The rack starts it (SIDECARS of the board profile); no command of this name exists on the board.

Faults (sim-faults.json, key `ina226`): `hang` and `disk_full` freeze the readings (the files keep their
last values), `crash` exits with status 139, `corrupt` writes a non-number into power1_input.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

DEFAULT_INTERVAL_MS = 100


def ina226_dirs(root: Path) -> list[Path]:
    found = []
    for folder in sorted((root / "sys" / "class" / "hwmon").glob("hwmon*")):
        try:
            if (folder / "name").read_text().strip() == "ina226":
                found.append(folder)
        except OSError:
            continue
    return found


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def board_alive(root: Path) -> bool:
    try:
        pid = int((root / "run" / "sshd.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return False
    return Path(f"/proc/{pid}").exists()


def update(root: Path, power_mw: float, fault: str | None) -> None:
    """Write one reading into every INA226 of the board."""
    from hil.sim.boards.tda4vm import ina226_files

    files = ina226_files(power_mw)
    if fault == "corrupt":
        files["power1_input"] = "\x00\x13?\n"
    for folder in ina226_dirs(root):
        for name, text in files.items():
            write_atomic(folder / name, text)


def run(root: Path, interval_s: float, iterations: int) -> int:
    from hil.sim import faults
    from hil.sim.power_model import model_for
    from hil.sim.procload import BoardLoadMeter

    model = model_for("tda4vm")
    meter = BoardLoadMeter(root, os.environ.get("HIL_SIM_BOARD"))
    count = 0
    while iterations <= 0 or count < iterations:
        time.sleep(interval_s)
        fault = faults.fault_for("ina226")
        if fault == "crash":
            faults.crash()
        if fault in ("hang", "disk_full"):
            faults.hang()
        load = meter.sample()
        update(root, sum(model.rails_mw(load).values()), fault)
        count += 1
        if iterations <= 0 and not board_alive(root):
            return 0
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Keep a simulated TDA4VM's INA226 hwmon files current.")
    parser.add_argument("--interval-ms", type=int, default=DEFAULT_INTERVAL_MS)
    parser.add_argument(
        "--iterations", type=int, default=0, help="stop after N updates (0: while the board runs)"
    )
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    root = os.environ.get("HIL_BOARD_ROOT")
    if not root:
        print(
            "tidl_ina226: HIL_BOARD_ROOT is not set: this sidecar belongs to a simulated board",
            file=sys.stderr,
        )
        return 2
    return run(Path(root), max(args.interval_ms, 10) / 1000.0, args.iterations)


if __name__ == "__main__":
    sys.exit(main())
