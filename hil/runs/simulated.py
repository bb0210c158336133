"""The simulated boards a run needs: started on demand, shared between runs, stopped by the last user.

Each run that uses a simulated board registers itself under the board's folder (`users/PID-STARTTIME`,
under a file lock), so runs started together never stop a board another run still uses. A board a run
started (not one `hil sim up` left running) is stopped when its last live user releases it; users that
died (SIGKILL, a crash) are noticed by their PID and start time and no longer count.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from hil.errors import HilError, InfraError
from hil.inventory.spec import BoardSpec
from hil.runs.lease import process_start
from hil.sim import conformance
from hil.sim.rack import SimBoard, SimRack

STARTED_BY_RUN = "started-by-run"  # marker: a run started this board, so the last run out stops it


def sim_board(board: BoardSpec) -> SimBoard:
    """A board that names a build host lacks the tools its vendor ships for an x86_64 host only (SNPE's
    converters, TIDL's compiler: hil/sim/conformance), as the real board does; so does every machine that
    is some board's build host have them. A simulated QCS8255 / TDA4VM that names none still carries them
    (`hil run` refuses it, as it refuses a real one; the fleet's vehicles self-test with snpe-diagview on
    board: docs/real-boards.md, known gaps)."""
    converts = bool(board.build_host_for) or board.build_host is None
    role = conformance.HOST if converts else conformance.BOARD
    return SimBoard(
        board.name, board.platform, board.ansible_host, board.ansible_port, dict(board.sim_toolchain), role
    )


def _me() -> str:
    return f"{os.getpid()}-{process_start(os.getpid()) or 0}"


def _alive(user: str) -> bool:
    pid, _, start = user.partition("-")
    return pid.isdigit() and process_start(int(pid)) == start


@contextlib.contextmanager
def _locked(rack: SimRack, name: str) -> Iterator[Path]:
    folder = rack.board_dir(name)
    (folder / "users").mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield folder
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _live_users(folder: Path) -> list[str]:
    users = []
    for entry in (folder / "users").iterdir():
        if _alive(entry.name):
            users.append(entry.name)
        else:
            entry.unlink(missing_ok=True)  # a run that died without releasing
    return users


@dataclass
class SimUse:
    """This run's use of the simulated rack."""

    rack: SimRack
    boards: dict[str, SimBoard] = field(default_factory=dict)
    started: list[str] = field(default_factory=list)  # started by this run
    failed: dict[str, str] = field(default_factory=dict)  # board -> why it could not start

    def acquire(self, board: BoardSpec) -> None:
        sim = sim_board(board)
        with _locked(self.rack, board.name) as folder:
            _live_users(folder)
            try:
                if self.rack.start(sim):
                    self.started.append(board.name)
                    (folder / STARTED_BY_RUN).touch()
            except HilError as exc:
                self.failed[board.name] = exc.message + (f" ({exc.hint})" if exc.hint else "")
            (folder / "users" / _me()).touch()
            self.boards[board.name] = sim

    def release_all(self) -> list[str]:
        """Deregister from every board; stop those a run started and no live run uses. Returns them."""
        stopped = []
        for name in self.boards:
            with _locked(self.rack, name) as folder:
                (folder / "users" / _me()).unlink(missing_ok=True)
                if not _live_users(folder) and (folder / STARTED_BY_RUN).exists():
                    if self.rack.stop(name):
                        stopped.append(name)
                    (folder / STARTED_BY_RUN).unlink(missing_ok=True)
        return stopped

    def power_cycle(self, name: str) -> str:
        """The simulated board's power cycle: every process on it killed, its sshd restarted."""
        if name not in self.boards:
            raise InfraError(f"{name}: not a simulated board of this run; it has no simulated power switch")
        with _locked(self.rack, name):
            self.rack.stop(name)
            self.rack.start(self.boards[name])  # raises InfraError when it cannot come up
        return "sshd restarted"


def keep_running(rack: SimRack, name: str) -> None:
    """`hil sim up`: the board stays up after the runs that use it end."""
    with _locked(rack, name) as folder:
        (folder / STARTED_BY_RUN).unlink(missing_ok=True)


@contextlib.contextmanager
def simulated_boards(rack: SimRack, boards: list[BoardSpec]) -> Iterator[SimUse]:
    use = SimUse(rack)
    try:
        for board in boards:
            if board.sim:
                use.acquire(board)
        yield use
    finally:
        use.release_all()
