"""What the scheduler tells its subscribers (store writer, progress display, JUnit writer)."""

from __future__ import annotations

from dataclasses import dataclass, field

from hil.records import FrameSample, JobResult
from hil.store.rows import JobLog

__all__ = [
    "BoardFinished",
    "BoardStarted",
    "Event",
    "JobDone",
    "JobLog",
    "LeaseBroken",
    "RecoveryRung",
    "RunStopping",
    "StepDone",
]


@dataclass(frozen=True)
class BoardStarted:
    board: str
    jobs: int


@dataclass(frozen=True)
class StepDone:
    board: str
    step: str  # connect, facts, push, convert, replay
    detail: str = ""


@dataclass(frozen=True)
class JobDone:
    result: JobResult
    samples: list[FrameSample] = field(default_factory=list)
    logs: list[JobLog] = field(default_factory=list)
    facts: dict[str, str] = field(default_factory=dict)
    wall_s: float | None = None  # the job's wall time, all its steps (set by the board's worker)


@dataclass(frozen=True)
class BoardFinished:
    board: str


@dataclass(frozen=True)
class RecoveryRung:
    """One rung of the recovery ladder tried on a board: reconnect, reboot, power_cycle, or bad."""

    board: str
    rung: str
    ok: bool
    seconds: float
    output: str = ""


@dataclass(frozen=True)
class LeaseBroken:
    """A lease whose holder provably died (same host, process gone) was broken to take the board."""

    board: str
    holder: str


@dataclass(frozen=True)
class RunStopping:
    """The run starts no new job: reason is 'interrupted' (a signal) or 'deadline'."""

    reason: str
    detail: str = ""


Event = BoardStarted | StepDone | JobDone | BoardFinished | RecoveryRung | LeaseBroken | RunStopping
