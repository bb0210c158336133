"""Emulated `nvpmodel` of a simulated Orin: query and set the power mode.

The mode table is that of an Orin NX 16GB (JetPack 6): 0 MAXN, 1 10W, 2 15W (the board's default), 3 25W.
The current mode lives in `$HIL_BOARD_ROOT/etc/nvpmodel.mode` (one number); the simulated tegrastats
reads it to choose its power model. Output as the real tool prints it:

    $ nvpmodel -q
    NV Power Mode: 15W
    2
    $ nvpmodel -m 7
    NVPM ERROR: request for bad power mode 7

Faults (sim-faults.json): `hang` and `crash` apply; the others have no meaning here and are ignored.
"""

from __future__ import annotations

import sys
from pathlib import Path

from hil.sim import faults

COMMAND = "nvpmodel"
PLATFORMS = ("orin",)

MODES: dict[int, str] = {0: "MAXN", 1: "10W", 2: "15W", 3: "25W"}
DEFAULT_MODE = 2
MODE_FILE = "etc/nvpmodel.mode"
USAGE = """\
Usage: nvpmodel [OPTIONS]
  -h, --help        print this help
  -m, --mode MODE   set the power mode MODE (a mode ID)
  -p, --print       print the power modes (with --verbose)
  -q, --query       print the current power mode
      --verbose     print more
"""


def current_mode(root: Path | None) -> tuple[int, str]:
    """(id, name) of the board's power mode; the default when none was set."""
    mode = DEFAULT_MODE
    if root is not None:
        try:
            mode = int((root / MODE_FILE).read_text().split()[0])
        except (OSError, ValueError, IndexError):
            mode = DEFAULT_MODE
    return (mode, MODES[mode]) if mode in MODES else (DEFAULT_MODE, MODES[DEFAULT_MODE])


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    fault = faults.fault_for("nvpmodel")
    if fault == "hang":
        faults.hang()
    if fault == "crash":
        faults.crash()
    verbose = "--verbose" in args
    args = [a for a in args if a != "--verbose"]
    root = faults.board_root()
    if not args or args[0] in ("-h", "--help"):
        sys.stdout.write(USAGE)
        return 0
    option = args[0]
    if option in ("-q", "--query") and len(args) == 1:
        if verbose:
            print("NVPM VERB: Config file: /etc/nvpmodel.conf")
        mode, name = current_mode(root)
        print(f"NV Power Mode: {name}\n{mode}")
        return 0
    if option in ("-p", "--print") and len(args) == 1:
        for mode, name in MODES.items():
            print(f"NVPM VERB: POWER_MODEL: ID={mode} NAME={name}")
        return 0
    if option in ("-m", "--mode") and len(args) == 2:
        return _set_mode(root, args[1])
    sys.stderr.write(f"NVPM ERROR: unrecognised arguments: {' '.join(args)}\n{USAGE}")
    return 1


def _set_mode(root: Path | None, value: str) -> int:
    if not value.isdigit() or int(value) not in MODES:
        print(f"NVPM ERROR: request for bad power mode {value}")
        return 1
    if root is None:
        print("NVPM ERROR: HIL_BOARD_ROOT is not set: this nvpmodel only runs on a simulated board")
        return 1
    path = root / MODE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{int(value)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
