"""Run a suite on many boards in parallel: one worker thread per board, events delivered on the caller's
thread (so the store and the display need no locks and see jobs in the order they finish)."""

from __future__ import annotations

import queue
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from hil.records import JobResult
from hil.runs.events import Event, JobDone
from hil.runs.job import run_board
from hil.runs.suite import Suite
from hil.runs.target import BoardTarget

POLL_S = 0.1


def run_suite(targets: list[BoardTarget], suite: Suite, on_event: Callable[[Event], None]) -> list[JobResult]:
    events: queue.Queue[Event] = queue.Queue()
    results: list[JobResult] = []
    if not targets:
        return results
    with ThreadPoolExecutor(max_workers=len(targets), thread_name_prefix="board") as pool:
        futures = [pool.submit(run_board, t, suite, events.put) for t in targets]
        while True:
            try:
                event = events.get(timeout=POLL_S)
            except queue.Empty:
                if all(f.done() for f in futures) and events.empty():
                    break
                continue
            if isinstance(event, JobDone):
                results.append(event.result)
            on_event(event)
        for f in futures:
            f.result()  # run_board turns every failure into results; anything else is a bug to surface
    return results
