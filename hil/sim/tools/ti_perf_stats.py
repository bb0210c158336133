"""Emulated `perf_stats` of a simulated TDA4VM: TI's on-board performance report.

Follows TI's edgeai-gst-apps `scripts/perf_stats/ti_perfstats.cpp` (built on the board from the SDK; takes no
arguments) and the vision_apps printing functions it calls:

- every SLEEP_INTERVAL (1000 ms): `system("clear")` (the terminal's clear codes when TERM is set; without
  TERM, `clear` itself complains on stderr and prints nothing), then `Summary of CPU load,` with one
  `appPerfStatsCpuLoadPrint` line per core (`CPU: %6s: TOTAL LOAD = %3d.%2d %% ( HWI = ..., SWI = ... )`,
  the load held in hundredths of a percent), `HWA performance statistics,`, `DDR performance statistics,`
  and `SoC temperature statistics` (`thermal_zone%d(%s):\\t%0.2f degree Celsius`, J721E's zone names);
- SIGINT sets a stop flag: the current sleep finishes, the loop ends, `CALLING DE-INIT.` is printed and the
  process exits (stdout is flushed). Any other signal kills it as it kills a C program;
- stdout is C stdio: block-buffered into a pipe or file, so a report killed by SIGTERM loses what was not
  yet flushed — unless run under coreutils `stdbuf -oL` (which sets `_STDBUF_O=L` for its preload library),
  as hil runs it.

What the simulated board can measure and what it cannot: `mpu1_0` (the A72 cluster) is the board's own
processes' CPU load (hil.sim.procload), HWI/SWI the host's irq/softirq share from /proc/stat; temperatures
are the board's thermal zones (the host's, linked). The R5F, C66x and C7x cores, the accelerators and the
DDR counters do not exist here: their lines are left out (a real TDA4VM prints them), never invented.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

from hil.sim.procload import BoardLoadMeter

COMMAND = "perf_stats"
PLATFORMS = ("tda4vm",)

SLEEP_INTERVAL_S = 1.0
ZONE_NAMES = ("WKUP", "CPU", "C7x", "GPU", "R5F")  # SOC_J721E's mapping in perfStatsSocTempInit
CLEAR = "\x1b[H\x1b[2J"


def hundredths(fraction: float) -> str:
    """TI's `%3d.%2d` of a load kept in hundredths of a percent (0.1205 -> ` 12. 5`)."""
    value = int(max(0.0, min(1.0, fraction)) * 10000)
    return f"{value // 100:3d}.{value % 100:2d}"


def _irq_shares(last: list[int]) -> tuple[float, float, list[int]]:
    """(irq, softirq) shares of the host's CPU time since `last`, from /proc/stat's first line."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:11]]
    diff = [a - b for a, b in zip(fields, last, strict=True)] if last else fields
    total = max(sum(diff), 1)
    return diff[5] / total, diff[6] / total, fields


def _temps(root: Path) -> list[tuple[str, float]]:
    out: list[tuple[str, float]] = []
    for i, name in enumerate(ZONE_NAMES):
        try:
            milli = int((root / f"sys/class/thermal/thermal_zone{i}/temp").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
        out.append((f"thermal_zone{i}({name})", milli / 1000.0))
    return out


def main(argv: list[str] | None = None) -> int:
    del argv  # TI's main() takes no arguments and reads none
    # C stdio: line-buffered under `stdbuf -oL`, else block-buffered into a pipe or file.
    line = os.environ.get("_STDBUF_O") == "L"
    sys.stdout = open(sys.stdout.fileno(), "w", buffering=1 if line else 4096, closefd=False)  # noqa: SIM115
    stop = False

    def on_int(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGINT, on_int)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    root = Path(os.environ.get("HIL_BOARD_ROOT", "/"))
    meter = BoardLoadMeter(root, os.environ.get("HIL_SIM_BOARD"))
    _, _, last = _irq_shares([])
    while not stop:
        if os.environ.get("TERM"):
            sys.stdout.write(CLEAR)
        else:
            print("TERM environment variable not set.", file=sys.stderr)
        load = meter.sample()
        irq, softirq, last = _irq_shares(last)
        sys.stdout.write("Summary of CPU load,\n====================\n\n")
        sys.stdout.write(
            f"CPU: {'mpu1_0':>6s}: TOTAL LOAD = {hundredths(load)} % "
            f"( HWI = {hundredths(irq)} %, SWI = {hundredths(softirq)} % )\n"
        )
        sys.stdout.write("\nHWA performance statistics,\n===========================\n\n\n")
        sys.stdout.write("DDR performance statistics,\n===========================\n\n")
        temps = _temps(root)
        if temps:
            sys.stdout.write("\nSoC temperature statistics\n==========================\n\n")
            for name, celsius in temps:
                sys.stdout.write(f"{name}:\t{celsius:0.2f} degree Celsius\n")
        time.sleep(SLEEP_INTERVAL_S)
    sys.stdout.write("CALLING DE-INIT.\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
