"""`reboot` on a simulated board: what a real reboot does to hil, for real.

Every process of the board (its shells, tools, harnesses, samplers) is killed, every SSH connection to it
dropped, and its sshd restarted (SIGHUP makes sshd re-execute itself), so the board is unreachable for a
moment and then answers again with a clean process table. The work happens in a detached child, as a real
reboot outlives the session that asked for it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from hil.sim import faults

COMMAND = "reboot"
DOWN_S = 1.0  # how long the board stays unreachable


def _board_pids(root: Path) -> list[int]:
    marker = f"HIL_BOARD_ROOT={root}".encode() + b"\0"
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            with contextlib.suppress(OSError):
                if marker in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
    return found


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                if int((entry / "stat").read_text().rpartition(")")[2].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


def _reboot(root: Path) -> None:
    time.sleep(0.3)  # let the caller's session see its answer first
    sshd = int((root / "run" / "sshd.pid").read_text().split()[0])
    for pid in [*_children(sshd), *_board_pids(root)]:  # connections, then what runs on the board
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    os.kill(sshd, signal.SIGSTOP)  # down: new connections wait, as on a board that is booting
    time.sleep(DOWN_S)
    os.kill(sshd, signal.SIGHUP)  # sshd re-executes itself on SIGHUP
    os.kill(sshd, signal.SIGCONT)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    root = faults.board_root()
    if root is None:
        sys.stderr.write("reboot: not on a simulated board\n")
        return 1
    if args == ["--now-detached"]:
        _reboot(root)
        return 0
    if faults.fault_for("reboot") == "hang":
        faults.hang()
    subprocess.Popen(
        [sys.executable, "-m", "hil.sim.tools.reboot", "--now-detached"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    print("The system is going down for reboot NOW!")
    return 0


if __name__ == "__main__":
    sys.exit(main())
