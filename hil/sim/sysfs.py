"""The emulated sysfs of a simulated board: thermal zones, a CPU cooling device and cpufreq, as the
platforms' `thermal` fact reads them (hil.platforms.thermal), plus the sidecar that plays the kernel's
thermal framework.

    python -m hil.sim.sysfs [--interval-ms 100] [--iterations N]      (started by the rack, SIDECARS)

What a simulated board shows under `$HIL_BOARD_ROOT/sys`, and where each value comes from:

- `class/thermal/thermal_zoneN/{type,temp,trip_point_*}`: the host's own thermal zones, linked (so every
  read is the host's live, measured temperature); no zone at all when the host has none. Nothing is
  invented: a container without thermal zones gives a board without temperatures.
- `devices/system/cpu/cpufreq/policy0/{scaling_cur_freq,cpuinfo_max_freq,scaling_governor}`: linked to the
  host's policy0 when the host has cpufreq; `scaling_max_freq` is the board's own file (the cap the
  thermal framework lowers), a copy of the host's.
- `class/thermal/cooling_device0/{type,cur_state,max_state}`: the board's CPU clock cooling device
  (`cpufreq-cpu0`, states 0..MAX_STATE), state 0 unless the board is throttled.

Fault (sim-faults.json, key `thermal`): `throttle` makes the board throttle for real while it is set: the
sidecar raises the cooling device to its top state, halves `scaling_max_freq` (when the board has one) and
holds the board's processes to half of the CPU (SIGSTOP/SIGCONT every DUTY_PERIOD_S), as a clock halved by
the thermal framework would; so a replay taken meanwhile is slower *and* reports why. Clearing the fault
restores state 0 and the full cap. `crash` ends the sidecar with status 139, `hang` freezes it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType

HOST_THERMAL = Path("/sys/class/thermal")
HOST_CPUFREQ = Path("/sys/devices/system/cpu/cpufreq/policy0")
COOLING = "sys/class/thermal/cooling_device0"
POLICY = "sys/devices/system/cpu/cpufreq/policy0"
MAX_STATE = 10
DUTY_PERIOD_S = 0.1  # throttled: stopped for half of every period
DEFAULT_INTERVAL_MS = 100


def populate(root: Path) -> None:
    """Create the board's sysfs files (idempotent: links and state files are rewritten)."""
    thermal = root / "sys" / "class" / "thermal"
    thermal.mkdir(parents=True, exist_ok=True)
    for zone in sorted(HOST_THERMAL.glob("thermal_zone*")):
        target = thermal / zone.name
        target.mkdir(exist_ok=True)
        for source in [zone / "type", zone / "temp", *zone.glob("trip_point_*_t*")]:
            _link(source, target / source.name)
    cooling = root / COOLING
    cooling.mkdir(parents=True, exist_ok=True)
    _write(cooling / "type", "cpufreq-cpu0")
    _write(cooling / "max_state", str(MAX_STATE))
    _write(cooling / "cur_state", "0")
    if (HOST_CPUFREQ / "cpuinfo_max_freq").is_file():
        policy = root / POLICY
        policy.mkdir(parents=True, exist_ok=True)
        for name in ("scaling_cur_freq", "cpuinfo_max_freq", "scaling_governor"):
            _link(HOST_CPUFREQ / name, policy / name)
        _write(policy / "scaling_max_freq", _read(HOST_CPUFREQ / "scaling_max_freq") or "")


def _link(source: Path, target: Path) -> None:
    if not source.exists():
        return
    with contextlib.suppress(FileNotFoundError):
        target.unlink()
    target.symlink_to(source)


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text + "\n")
    os.replace(tmp, path)


def set_throttled(root: Path, throttled: bool) -> None:
    """The cooling device's state and the CPU cap, as the thermal framework sets them."""
    cooling = root / COOLING
    if cooling.is_dir():
        _write(cooling / "cur_state", str(MAX_STATE if throttled else 0))
    policy = root / POLICY
    hw_max = _read(policy / "cpuinfo_max_freq") if policy.is_dir() else None
    if hw_max and hw_max.isdigit():
        _write(policy / "scaling_max_freq", str(int(hw_max) // 2 if throttled else int(hw_max)))


def board_workers(root: Path) -> list[int]:
    """The board's session processes (descendants of its sshd), not the sshd processes themselves."""
    from hil.sim.procload import all_stats, descendants

    try:
        sshd = int((root / "run" / "sshd.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return []
    pids = []
    for stat in descendants(sshd, all_stats()):
        if stat.pid != os.getpid() and _read(Path(f"/proc/{stat.pid}/comm")) != "sshd":
            pids.append(stat.pid)
    return pids


def _signal_all(pids: list[int], sig: signal.Signals) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def hold_to_half(root: Path, duration_s: float) -> None:
    """For `duration_s`, let the board's processes run only half of every DUTY_PERIOD_S."""
    end = time.monotonic() + duration_s
    while time.monotonic() < end:
        stopped = board_workers(root)
        _signal_all(stopped, signal.SIGSTOP)
        try:
            time.sleep(DUTY_PERIOD_S / 2)
        finally:
            _signal_all(stopped, signal.SIGCONT)
        time.sleep(DUTY_PERIOD_S / 2)


def board_alive(root: Path) -> bool:
    try:
        pid = int((root / "run" / "sshd.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return False
    return Path(f"/proc/{pid}").exists()


def run(root: Path, interval_s: float, iterations: int) -> int:
    from hil.sim import faults

    throttled = False
    count = 0
    while iterations <= 0 or count < iterations:
        fault = faults.fault_for("thermal")
        if fault == "crash":
            faults.crash()
        if fault == "hang":
            faults.hang()
        if (fault == "throttle") != throttled:
            throttled = fault == "throttle"
            set_throttled(root, throttled)
        if throttled:
            hold_to_half(root, interval_s)
        else:
            time.sleep(interval_s)
        count += 1
        if iterations <= 0 and not board_alive(root):
            return 0
    return 0


def _stop(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)  # unwinds through hold_to_half's `finally`, so no process is left stopped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Play the thermal framework of a simulated board's sysfs.")
    parser.add_argument("--interval-ms", type=int, default=DEFAULT_INTERVAL_MS)
    parser.add_argument(
        "--iterations", type=int, default=0, help="stop after N ticks (0: while the board runs)"
    )
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    root = os.environ.get("HIL_BOARD_ROOT")
    if not root:
        print(
            "hil.sim.sysfs: HIL_BOARD_ROOT is not set: this sidecar belongs to a simulated board",
            file=sys.stderr,
        )
        return 2
    signal.signal(signal.SIGTERM, _stop)
    return run(Path(root), max(args.interval_ms, 10) / 1000.0, args.iterations)


if __name__ == "__main__":
    sys.exit(main())
