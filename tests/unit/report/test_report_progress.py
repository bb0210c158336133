"""RunProgress: what a user sees while a run works, fed with the events the scheduler emits."""

from __future__ import annotations

import io
from dataclasses import dataclass

from rich.console import Console

from hil.records import JobResult, LatencyStats
from hil.report.progress import RunProgress
from hil.runs.events import BoardFinished, BoardStarted, JobDone, StepDone


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def _result(board: str, clip: str, status: str = "pass") -> JobResult:
    return JobResult(
        board=board,
        platform="orin",
        model="dms[b17]",
        precision="fp16",
        clip=clip,
        status=status,  # type: ignore[arg-type]
        latency_ms=LatencyStats(min=1, mean=2, p50=2.5, p90=3, p99=None, max=9, n=100),
        error="the harness failed on the board: [/x] boom" if status == "fail" else None,
        stage="replay" if status == "fail" else None,
    )


def _events() -> list[object]:
    return [
        BoardStarted("orin-01", 2),
        BoardStarted("qcs-01", 1),
        StepDone("orin-01", "connect", "127.0.0.2:22201"),
        StepDone("orin-01", "push", "4096 bytes, 0 already on the board"),
        StepDone("orin-01", "convert", "dms fp16"),
        JobDone(_result("orin-01", "day")),
        JobDone(_result("orin-01", "night", "fail")),
        BoardFinished("orin-01"),
    ]


def test_off_a_terminal_one_line_per_finished_job_and_board() -> None:
    console = Console(file=io.StringIO(), width=120, record=True)
    clock = Clock()
    with RunProgress(console, 3, now=clock) as progress:
        for event in _events():
            clock.t += 5
            progress(event)
    lines = console.export_text().splitlines()
    assert lines[0] == "[1/3] 0:25 orin-01 dms[b17]/fp16/day: pass p50 2.50 p99 n<662 ms"
    assert lines[1].startswith("[2/3] 0:30 orin-01 dms[b17]/fp16/night: fail")
    assert "(replay: the harness failed on the board: [/x] boom)" in lines[1]
    assert lines[2] == "orin-01: finished 2/2 jobs in 0:35: 1 fail 1 pass"
    assert len(lines) == 3  # steps are not printed off a terminal


def test_live_view_shows_stage_elapsed_outcome_and_total() -> None:
    console = Console(file=io.StringIO(), width=100, record=True)
    clock = Clock()
    progress = RunProgress(console, 3, live=False, now=clock)
    for event in _events()[:5]:
        clock.t += 10
        progress(event)
    text = _text(progress, width=100)
    orin = next(line for line in text.splitlines() if line.startswith("orin-01"))
    assert "replay" in orin  # converted: now replaying
    assert "0/2" in orin and "0:40" in orin  # started at 110, now 150
    assert "convert: dms fp16" in orin
    qcs = next(line for line in text.splitlines() if line.startswith("qcs-01"))
    assert "connect" in qcs and "0/1" in qcs
    assert "all jobs" in text and "0/3" in text
    for event in _events()[5:]:
        clock.t += 10
        progress(event)
    text = _text(progress, width=100)
    orin = next(line for line in text.splitlines() if line.startswith("orin-01"))
    assert "done" in orin and "2/2" in orin and "1 fail 1 pass" in orin
    assert "2/3" in text
    assert max(len(line) for line in text.splitlines()) <= 100


def _text(progress: RunProgress, width: int) -> str:
    console = Console(file=io.StringIO(), width=width, record=True)
    console.print(progress.render())
    return console.export_text()


@dataclass(frozen=True)
class FramesDone:  # an event type hil does not have yet
    board: str
    done: int
    total: int


def test_new_event_types_plug_in_and_unknown_ones_are_ignored() -> None:
    console = Console(file=io.StringIO(), width=100, record=True)
    progress = RunProgress(console, 1, live=False)
    progress(BoardStarted("orin-01", 1))
    progress(FramesDone("orin-01", 10, 40))  # ignored: nobody handles it
    seen: list[FramesDone] = []
    progress.on(FramesDone, seen.append)
    progress(FramesDone("orin-01", 20, 40))
    assert seen == [FramesDone("orin-01", 20, 40)]
    assert console.export_text() == ""
