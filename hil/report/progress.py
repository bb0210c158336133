"""Live progress of a run, fed by the run's events (hil/runs/events.py).

`RunProgress` is a subscriber: call it with every event (`progress(event)`); use it as a context manager
around the run. On a terminal it keeps a live display on its console (stderr): per board the stage it is
in, what it last did, jobs done / total, elapsed time and outcome, and a bar over all jobs. Off a terminal
(CI logs, files) it prints one line per finished job and per finished board, nothing else. It never writes
to stdout, so `hil run --json` stays clean.

New event types plug in with `progress.on(EventType, handler)`; an event nobody handles is ignored.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from hil.records import OUTCOME_RANK, JobResult
from hil.report import cells
from hil.runs.events import BoardFinished, BoardStarted, JobDone, StepDone

# What a board does after each step the job runner reports (hil/runs/job.py).
NEXT_STAGE = {
    "connect": "facts",
    "facts": "push",
    "push": "convert",
    "convert": "replay",
    "replay": "next job",
}


@dataclass
class BoardState:
    name: str
    jobs: int
    started: float
    stage: str = "connect"
    detail: str = ""
    done: int = 0
    finished: float | None = None
    outcomes: Counter[str] = field(default_factory=Counter)

    def elapsed(self, now: float) -> float:
        return (self.finished if self.finished is not None else now) - self.started

    def outcome(self) -> Text:
        if not self.outcomes:
            return Text(cells.MISSING, style="dim")
        text = Text()
        for status, n in sorted(self.outcomes.items(), key=lambda kv: -OUTCOME_RANK[kv[0]]):
            if text:
                text.append(" ")
            text.append(f"{n} ")
            text.append_text(cells.status(status))
        return text


def clock(seconds: float) -> str:
    """Elapsed time as m:ss (h:mm:ss past an hour)."""
    s = int(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


class RunProgress:
    """Shows a run's progress on `console`; `live` defaults to whether the console is a terminal."""

    def __init__(
        self,
        console: Console,
        total_jobs: int,
        *,
        live: bool | None = None,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.console = console
        self.total = total_jobs
        self.done = 0
        self.boards: dict[str, BoardState] = {}
        self._now = now
        self._started = now()
        self._live_wanted = console.is_terminal if live is None else live
        self._live: Live | None = None
        self._handlers: dict[type, Callable[[Any], None]] = {}
        self._lock = threading.RLock()
        self.on(BoardStarted, self._board_started)
        self.on(StepDone, self._step_done)
        self.on(JobDone, self._job_done)
        self.on(BoardFinished, self._board_finished)

    def on(self, event_type: type, handler: Callable[[Any], None]) -> None:
        """Handle events of `event_type` with `handler` (replacing hil's own for that type)."""
        self._handlers[event_type] = handler

    def __call__(self, event: object) -> None:
        handler = self._handlers.get(type(event))
        if handler is not None:
            with self._lock:  # the live display's refresh thread renders the same state
                handler(event)

    def __enter__(self) -> Self:
        if self._live_wanted:
            # get_renderable: every refresh renders anew, so elapsed times tick between events.
            self._live = Live(
                console=self.console,
                get_renderable=self._locked_render,
                refresh_per_second=4,
                transient=True,
                redirect_stdout=False,
            )
            self._live.__enter__()
        return self

    def _locked_render(self) -> RenderableType:
        with self._lock:
            return self.render()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._live is not None:
            self._live.__exit__(exc_type, exc, tb)
            self._live = None

    # -- events -------------------------------------------------------------------------------------

    def _board(self, name: str) -> BoardState:
        if name not in self.boards:  # an event before BoardStarted: show the board anyway
            self.boards[name] = BoardState(name, 0, self._now())
        return self.boards[name]

    def _board_started(self, event: BoardStarted) -> None:
        self.boards[event.board] = BoardState(event.board, event.jobs, self._now())

    def _step_done(self, event: StepDone) -> None:
        board = self._board(event.board)
        board.stage = NEXT_STAGE.get(event.step, event.step)
        board.detail = f"{event.step}: {event.detail}" if event.detail else event.step

    def _job_done(self, event: JobDone) -> None:
        r = event.result
        board = self._board(r.board)
        board.done += 1
        board.outcomes[r.status] += 1
        self.done += 1
        if self._live is None:
            self.console.print(self.job_line(r, board), highlight=False, markup=False, soft_wrap=False)

    def _board_finished(self, event: BoardFinished) -> None:
        board = self._board(event.board)
        board.finished = self._now()
        board.stage = "done"
        if self._live is None:
            took = clock(board.elapsed(self._now()))
            line = Text(f"{board.name}: finished {board.done}/{board.jobs} jobs in {took}: ")
            line.append_text(board.outcome())
            self.console.print(line, highlight=False, soft_wrap=False)

    # -- output -------------------------------------------------------------------------------------

    def job_line(self, r: JobResult, board: BoardState) -> Text:
        """The line a finished job gets off a terminal: count, elapsed, identity, outcome, p50/p99, and
        for a problem its stage and error, cut to the console's width."""
        took = clock(board.elapsed(self._now()))
        line = Text(f"[{self.done}/{self.total}] {took} {r.board} {r.model}/{r.precision}/{r.clip}: ")
        line.append_text(cells.status(r.status))
        lat = r.latency_ms
        if lat is not None:
            p99 = cells.percentile(lat.p99, "p99", lat.n).plain
            line.append(f" p50 {lat.p50:.2f} p99 {p99} ms")
        if r.status in ("fail", "regression", "infra_error") and r.error:
            why = f" ({r.stage + ': ' if r.stage else ''}{r.error})"
            room = self.console.width - line.cell_len
            line.append(why if len(why) <= room else why[: max(room - 2, 0)] + "…)")
        return line

    def render(self) -> RenderableType:
        """The live view: one row per board, then the bar over every job of the run."""
        now = self._now()
        table = Table(box=None, padding=(0, 1), show_header=True, header_style="bold", pad_edge=False)
        table.add_column("board", no_wrap=True)
        table.add_column("stage", no_wrap=True)
        table.add_column("jobs", justify="right", no_wrap=True)
        table.add_column("time", justify="right", no_wrap=True)
        table.add_column("outcome", no_wrap=True)
        table.add_column("last step", overflow="ellipsis", no_wrap=True, ratio=1)
        for board in self.boards.values():
            stage = Text(board.stage, style="green" if board.stage == "done" else "cyan")
            table.add_row(
                Text(board.name),
                stage,
                f"{board.done}/{board.jobs}",
                clock(board.elapsed(now)),
                board.outcome(),
                Text(board.detail, style="dim"),
            )
        bar = Table.grid(padding=(0, 1))
        bar.add_column(no_wrap=True)
        bar.add_column(ratio=1)
        bar.add_column(no_wrap=True)
        bar.add_row(
            Text("all jobs", style="bold"),
            ProgressBar(total=max(self.total, 1), completed=self.done),
            f"{self.done}/{self.total}  {clock(now - self._started)}",
        )
        return Group(table, bar)
