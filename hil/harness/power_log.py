#!/usr/bin/env python3
"""Timestamp every line a power source prints, run ON the board (standard library only).

    python3 power_log.py --out LOG -- COMMAND [ARG ...]

Runs COMMAND with its stdout piped here and writes each line to LOG as `<epoch seconds> <line>`, the
epoch taken (time.time(), microseconds) when the line arrived. The harness stamps its replay window with the
same clock, so hil cuts power samples to exactly the replay by timestamp, whatever the tool prints itself
(tegrastats prints whole seconds; a meter may print nothing). Stops, and stops COMMAND, on SIGTERM.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--out", required=True, help="the stamped log to write")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the power source's command")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        print("power_log: a command is needed after --", file=sys.stderr)
        return 2
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, bufsize=1)

    def stop(*_: object) -> None:
        proc.terminate()
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    assert proc.stdout is not None
    with open(args.out, "a") as out:
        for line in proc.stdout:
            out.write(f"{time.time():.6f} {line.rstrip()}\n")
            out.flush()
    return proc.wait()


if __name__ == "__main__":
    sys.exit(main())
