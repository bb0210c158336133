"""What a run's board workers share with the run: the stop flag, the deadlines, the retry bound.

The run (main thread) sets `stop`; workers look at it before every job and every step, so no new job starts
after a signal or past the run's deadline. Remote commands already running are stopped on the board by the
run through `kill_tagged`, using the tag each worker's connection carries.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field

from hil.errors import ConfigError

StopReason = str  # "interrupted" | "deadline"


class Stopped(Exception):
    """Raised in a board worker when the run stops: its remaining jobs become `skipped`."""


@dataclass
class RunControl:
    run_id: str = ""
    deadline: float | None = None  # time.monotonic() by which the whole run ends
    job_timeout_s: float | None = None  # wall time one job may take, all steps together
    retries: int = 1  # infra-error retries per board, each only after a recovery rung worked
    quarantine_after: int = 3  # consecutive infra errors that make a board bad
    stop: threading.Event = field(default_factory=threading.Event)
    reason: StopReason = ""
    job_started: dict[str, float] = field(default_factory=dict)  # board -> monotonic start of its job
    overrun: set[str] = field(default_factory=set)  # boards whose current job the run stopped (deadline)
    internal: list[str] = field(default_factory=list)  # tracebacks of bugs in hil met by board workers

    def request_stop(self, reason: StopReason) -> bool:
        """True the first time (the caller then stops what runs); later calls change nothing."""
        if self.stop.is_set():
            return False
        self.reason = reason
        self.stop.set()
        return True

    def check(self) -> None:
        if self.stop.is_set():
            raise Stopped(self.reason)

    def tag(self, board: str) -> str:
        """The tag of a board worker's connection (see hil.transport.ssh.kill_tagged)."""
        return re.sub(r"[^A-Za-z0-9_.-]", "_", f"{self.run_id or 'run'}-{board}")

    def job_begins(self, board: str) -> None:
        self.overrun.discard(board)
        self.job_started[board] = time.monotonic()

    def job_ends(self, board: str) -> None:
        self.job_started.pop(board, None)


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """`90`, `90s`, `15m`, `2h`, `1h30m` -> seconds."""
    parts = re.findall(r"(\d+(?:\.\d+)?)([smhd]?)", text.strip())
    if not parts or "".join(n + u for n, u in parts) != text.strip().replace(" ", ""):
        raise ConfigError(f"bad duration {text!r}", hint="write e.g. 90s, 15m, 2h or 1h30m")
    seconds = sum(float(n) * _UNITS[u or "s"] for n, u in parts)
    if seconds <= 0:
        raise ConfigError(f"bad duration {text!r}: it must be more than 0 s")
    return seconds
