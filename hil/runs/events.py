"""What the scheduler tells its subscribers (store writer, progress display, JUnit writer)."""

from __future__ import annotations

from dataclasses import dataclass, field

from hil.records import FrameSample, JobResult
from hil.store.rows import JobLog

__all__ = ["BoardFinished", "BoardStarted", "Event", "JobDone", "JobLog", "StepDone"]


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


@dataclass(frozen=True)
class BoardFinished:
    board: str


Event = BoardStarted | StepDone | JobDone | BoardFinished
