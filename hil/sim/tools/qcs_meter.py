"""Emulated bench power meter `qcs-meter` of a simulated QCS8255's rack (the board's 12 V input).

    qcs-meter [--interval-ms N] [--count N]

Prints CSV to stdout, one sample per interval until stopped (SIGTERM/SIGINT) or `--count` samples:

    # qcs-meter: rail VIN_12V, interval 100 ms, MODELLED from the board's measured CPU load (hil.sim)
    timestamp_s,voltage_v,current_a,power_w
    1732368001.234,12.000,0.2391,2.869

The interval is `--interval-ms`, else `$HIL_POWER_INTERVAL_MS` (hil sets it for a meter command), else 100.
Power is MODELLED by hil.sim.power_model with the qcs8255 profile's model (hil.sim.boards.qcs8255) from the
board's CPU load measured over each interval (hil.sim.procload); voltage is the supply's set point and
current is power / voltage. Nothing here is a measurement of a QCS8255.

Faults (key "qcs-meter"): hang (prints nothing), crash (exit 139 after the first sample), corrupt (every
sample line cut off mid-write), disk_full (only the comment and header lines get out).
"""

from __future__ import annotations

import os
import signal
import sys
import time

from hil.sim import faults
from hil.sim.boards.qcs8255 import DEFAULT_POWER_MODE, METER_RAIL, METER_VOLTAGE_V
from hil.sim.power_model import model_for
from hil.sim.procload import BoardLoadMeter

COMMAND = "qcs-meter"
PLATFORMS = ("qcs8255",)

DEFAULT_INTERVAL_MS = 100
MIN_INTERVAL_MS = 10
USAGE = "usage: qcs-meter [--interval-ms N] [--count N]\n"


def _options(argv: list[str]) -> tuple[int, int]:
    interval = int(os.environ.get("HIL_POWER_INTERVAL_MS") or DEFAULT_INTERVAL_MS)
    count = 0
    i = 0
    while i < len(argv):
        name, eq, value = argv[i].partition("=")
        if name not in ("--interval-ms", "--count"):
            raise ValueError(f"unknown option {argv[i]}")
        if not eq:
            i += 1
            value = argv[i] if i < len(argv) else ""
        if not value.isdigit():
            raise ValueError(f"{name} needs a whole number, not {value!r}")
        interval, count = (int(value), count) if name == "--interval-ms" else (interval, int(value))
        i += 1
    return max(MIN_INTERVAL_MS, interval), count


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    fault = faults.fault_for(COMMAND)
    if fault == "hang":
        faults.hang()
    if "-h" in args or "--help" in args:
        sys.stdout.write(USAGE)
        return 0
    try:
        interval_ms, count = _options(args)
    except ValueError as exc:
        sys.stderr.write(f"qcs-meter: {exc}\n{USAGE}")
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    model = model_for("qcs8255", DEFAULT_POWER_MODE)
    load = BoardLoadMeter(faults.board_root(), os.environ.get("HIL_SIM_BOARD"))
    print(
        f"# qcs-meter: rail {METER_RAIL}, interval {interval_ms} ms, MODELLED from the board's measured CPU "
        "load (hil.sim)"
    )
    print("timestamp_s,voltage_v,current_a,power_w", flush=True)
    next_at = time.monotonic()
    written = 0
    try:
        while count == 0 or written < count:
            next_at += interval_ms / 1000
            time.sleep(max(0.0, next_at - time.monotonic()))
            power_w = model.rails_mw(load.sample())[METER_RAIL] / 1000.0
            line = f"{time.time():.3f},{METER_VOLTAGE_V:.3f},{power_w / METER_VOLTAGE_V:.4f},{power_w:.3f}"
            if fault == "corrupt":
                line = line[: len(line) // 2]
            if fault != "disk_full":
                print(line, flush=True)
            written += 1
            if fault == "crash":
                faults.crash()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
