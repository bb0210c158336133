"""A run as a library object: boards x jobs, executed in parallel, stored, stoppable, resumable.

`Run(targets, suite, store, subscribers)` owns everything a run does besides showing it: the simulated
boards it needs (shared with other runs), one worker thread per board (leases, pre-flight, recovery
ladder), the store writes (on the caller's thread, one transaction per job), board health, the run's and
each job's deadline, and signals. Subscribers get every event after it was stored (a progress display,
a JUnit writer); `hil run`, suites and deployments all drive a `Run`.

Stopping (a signal, `request_stop`, or the deadline): no new job starts, commands running on the boards
are killed there, finished results stay, every job without one is `skipped` with the reason
(`interrupted`, `deadline`), the run row says so, and the run returns within STOP_GRACE_S.
"""

from __future__ import annotations

import contextlib
import os
import queue
import secrets
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from hil.errors import HilError
from hil.inventory.spec import BoardSpec
from hil.records import JobResult, RunSummary, overall_status
from hil.runs.control import RunControl
from hil.runs.events import Event, JobDone, LeaseBroken, RecoveryRung, RunStopping
from hil.runs.job import Job, JobKey, job_key, plan_jobs, run_board
from hil.runs.plan import unoffered
from hil.runs.recovery import RecoveryLadder
from hil.runs.simulated import SimUse
from hil.runs.suite import Suite
from hil.runs.target import BoardTarget
from hil.runs.verdict import judge_results
from hil.sim.rack import SimRack
from hil.store.db import Store
from hil.transport.ssh import kill_tagged

POLL_S = 0.1
STOP_GRACE_S = 10.0  # after a stop, how long workers get to wind down before the run stops waiting
QUARANTINED = ("bad", "maintenance")
Subscriber = Callable[[Event], None]


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


@dataclass
class RunOptions:
    deadline_s: float | None = None  # the whole run
    job_timeout_s: float | None = None  # one job, all its steps
    retries: int = 1  # per board, only infra errors, only after a recovery rung worked
    quarantine_after: int = 3  # consecutive infra errors that make a board bad
    include_quarantined: bool = False  # a health check runs on a bad board on purpose


@dataclass
class RunOutcome:
    summary: RunSummary
    stopped: str = ""  # "", "interrupted" or "deadline"
    signal: int | None = None  # the signal that interrupted the run
    sims_started: list[str] = field(default_factory=list)
    sims_stopped: list[str] = field(default_factory=list)
    resumed: bool = False
    times: dict[tuple[str, str, str, str], float] = field(default_factory=dict)  # job -> wall seconds
    internal_errors: list[str] = field(default_factory=list)  # bugs in hil met on the way (tracebacks)


class Run:
    def __init__(
        self,
        targets: list[BoardTarget],
        suite: Suite,
        store: Store,
        subscribers: list[Subscriber] | None = None,
        *,
        run_id: str | None = None,
        options: RunOptions | None = None,
        rack: SimRack | None = None,
        sim_specs: list[BoardSpec] | None = None,
        inventory: str = "",
        argv: list[str] | None = None,
        plan: dict[str, Any] | None = None,
        resume: bool = False,
    ) -> None:
        """`sim_specs`: the simulated boards (and build hosts) to start on `rack`; `plan`: what `--resume`
        needs to rebuild this run (stored with it); `resume`: continue the stored run `run_id`."""
        self.targets, self.suite, self.store = targets, suite, store
        self.subscribers = list(subscribers or [])
        self.run_id = run_id or new_run_id()
        self.options = options or RunOptions()
        self.rack, self.sim_specs = rack, list(sim_specs or [])
        self.inventory, self.argv, self.plan_record = inventory, list(argv or []), plan or {}
        self.resume = resume
        self.control = RunControl(
            run_id=self.run_id,
            job_timeout_s=self.options.job_timeout_s,
            retries=self.options.retries,
            quarantine_after=self.options.quarantine_after,
        )
        self.results: list[JobResult] = []
        self.signal: int | None = None
        self._events: queue.Queue[Event] = queue.Queue()
        self._done: set[JobKey] = set()
        self._stop_at: float | None = None
        self._stop_detail = ""

    # -- planning -----------------------------------------------------------------------------------

    def jobs(self) -> dict[str, list[Job]]:
        """Every board's jobs, minus those with a final result already (a resumed run)."""
        final = self.store.final_keys(self.run_id) if self.resume else set()
        return {
            t.name: [j for j in plan_jobs(t, self.suite) if job_key(t.name, j) not in final]
            for t in self.targets
        }

    # -- stopping -----------------------------------------------------------------------------------

    def request_stop(self, reason: str = "interrupted", detail: str = "") -> None:
        """Start no new job; the run's own loop then kills the running ones on their boards. Safe from
        any thread and from a signal handler: it only sets flags (no lock the interrupted code may hold)."""
        if self.control.request_stop(reason):
            self._stop_detail = detail

    def _stopping(self) -> None:
        """On the run's thread, once after a stop was requested: record it and kill what runs."""
        if self._stop_at is not None or not self.control.stop.is_set():
            return
        self._stop_at = time.monotonic()
        self._deliver(RunStopping(self.control.reason, self._stop_detail))
        for target in self.targets:
            if target.name in self.control.job_started:
                self._kill_async(target)

    def _kill_async(self, target: BoardTarget) -> None:
        def kill() -> None:
            # A board that cannot be reached cannot run our job either.
            with contextlib.suppress(HilError, ValueError):
                kill_tagged(target.endpoint, self.control.tag(target.name))
            if target.build_host is not None:  # a conversion running there for this board's job
                with contextlib.suppress(HilError, ValueError):
                    kill_tagged(target.build_host.endpoint, self.control.tag(target.name))

        threading.Thread(target=kill, name=f"kill-{target.name}", daemon=True).start()

    @contextmanager
    def signals_handled(self) -> Iterator[None]:
        """SIGINT/SIGTERM stop the run cleanly; a second one exits at once (the store stays consistent:
        every write is one SQLite transaction). Only in the main thread; elsewhere a no-op."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def handler(signum: int, frame: FrameType | None) -> None:
            if self.signal is not None:
                os._exit(128 + signum)
            self.signal = signum
            self.request_stop("interrupted", f"signal {signal.Signals(signum).name}")

        old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for s, h in old.items():
                signal.signal(s, h)

    # -- running ------------------------------------------------------------------------------------

    def execute(self) -> RunOutcome:
        if self.options.deadline_s is not None:
            self.control.deadline = time.monotonic() + self.options.deadline_s
        if self.resume:
            self.store.reopen_run(self.run_id)
            self.store.record_event(self.run_id, "resumed", " ".join(self.argv))
        else:
            self.store.begin_run(self.run_id, inventory=self.inventory, argv=self.argv)
            self.store.save_plan(self.run_id, self.plan_record)
        try:
            return self._execute()
        except BaseException as exc:
            # Never leave a run row 'running' forever (a store write failed, the disk filled up, a second
            # Ctrl-C): it says how it ended; --resume can finish it.
            self.store.abandon_run(
                self.run_id, "interrupted" if isinstance(exc, KeyboardInterrupt) else "infra_error"
            )
            raise

    def _execute(self) -> RunOutcome:
        jobs = self.jobs()
        for model in self.suite.models:  # an engine given with --engine: its content, by hash
            if model.supplied is not None:
                engine = model.supplied
                self.store.record_artifact(engine.sha256, "engine", engine.path.name, engine.size)
        if not self.resume:  # a precision the user named that a board does not offer: said, not dropped
            for skipped in unoffered(self.targets, self.suite):
                self._deliver(JobDone(skipped))
        health = self.store.all_health()
        active = [t for t in self.targets if jobs[t.name]]
        if not self.options.include_quarantined:
            for t in list(active):
                state = health.get(t.name, {}).get("state", "good")
                if state in QUARANTINED:
                    active.remove(t)
                    why = f"board is {state}: {health[t.name]['reason'] or state} (hil boards set-state "
                    why += f"{t.name} good, or a passing hil boards health --check {t.name})"
                    self._skip(t, jobs[t.name], "health", why)
        names = {t.name for t in active} | {t.build_host.name for t in active if t.build_host is not None}
        specs = [s for s in self.sim_specs if s.name in names]
        sims = SimUse(self.rack) if self.rack is not None else None
        try:
            for spec in specs if sims is not None else []:
                sims.acquire(spec)  # type: ignore[union-attr]
            ladder = RecoveryLadder(self._events.put, self.control, sims.power_cycle if sims else None)
            self._work(active, jobs, ladder)
        finally:
            stopped = sims.release_all() if sims is not None else []
        for t in active:
            statuses: list[str] = [r.status for r in self.results if r.board == t.name]
            self.store.note_outcomes(t.name, statuses, self.options.quarantine_after)
        all_results = self.store.run_results(self.run_id) if self.resume else self.results
        # History verdicts: a passing result worse than its own comparable history becomes `regression`.
        all_results = judge_results(self.store, self.run_id, all_results)
        summary = RunSummary(
            run_id=self.run_id, status=overall_status(all_results), results=ordered(all_results)
        )
        self.store.finish_run(self.run_id, self.control.reason or summary.status)
        return RunOutcome(
            summary=summary,
            stopped=self.control.reason,
            signal=self.signal,
            sims_started=list(sims.started) if sims else [],
            sims_stopped=stopped,
            internal_errors=list(self.control.internal),
            resumed=self.resume,
            times=self.store.wall_times(self.run_id),
        )

    def _work(self, active: list[BoardTarget], jobs: dict[str, list[Job]], ladder: RecoveryLadder) -> None:
        threads = []
        for t in active:
            only = {job_key(t.name, j) for j in jobs[t.name]}
            thread = threading.Thread(
                target=run_board, args=(t, self.suite, self._events.put, self.control, only, ladder),
                name=f"board-{t.name}", daemon=True,  # a wedged worker must not keep the process alive
            )  # fmt: skip
            thread.start()
            threads.append(thread)
        while True:
            self._watch(active)
            self._stopping()
            try:
                self._deliver(self._events.get(timeout=POLL_S))
                continue
            except queue.Empty:
                pass
            if not any(th.is_alive() for th in threads) and self._events.empty():
                break
            if self._stop_at is not None and time.monotonic() - self._stop_at > STOP_GRACE_S:
                break  # give up on wedged workers; their jobs are skipped below
        for t in active:  # jobs a wedged worker never reported
            left = [j for j in jobs[t.name] if job_key(t.name, j) not in self._done]
            wedged = [th for th in threads if th.name == f"board-{t.name}" and th.is_alive()]
            if wedged and left:  # said in the run's events: what on this board did not stop when asked
                detail = f"{len(left)} job(s) still running {STOP_GRACE_S:g} s after the stop; skipped"
                self.store.record_event(self.run_id, "stop_grace_expired", detail, board=t.name)
            self._skip(t, left, "stopped", self.control.reason or "interrupted")

    def _watch(self, active: list[BoardTarget]) -> None:
        now = time.monotonic()
        if self.control.deadline is not None and now >= self.control.deadline:
            self.request_stop("deadline", f"the run's deadline of {self.options.deadline_s:g} s passed")
        limit = self.control.job_timeout_s
        if limit is None:
            return
        for t in active:
            began = self.control.job_started.get(t.name)
            if began is not None and now - began > limit and t.name not in self.control.overrun:
                self.control.overrun.add(t.name)
                self._kill_async(t)

    def _deliver(self, event: Event) -> None:
        if isinstance(event, JobDone):
            key = (event.result.board, event.result.model, event.result.precision, event.result.clip)
            if key in self._done:
                return  # already settled (skipped after the stop grace)
            if self.resume:
                self.store.drop_unfinished(self.run_id, key)
            result_id = self.store.record_job(self.run_id, event.result, event.samples, event.logs)
            self.store.record_wall(result_id, event.wall_s or 0.0)
            if event.facts:
                self.store.record_board(event.result.board, event.result.platform, event.facts)
            self._done.add(key)
            self.results.append(event.result)
        elif isinstance(event, RecoveryRung):
            kind = f"recovery:{event.rung}"
            self.store.record_event(self.run_id, kind, event.output, board=event.board, ok=event.ok,
                                    seconds=event.seconds)  # fmt: skip
            if event.rung == "bad":
                self.store.set_health(event.board, "bad", f"recovery ladder failed: {event.output}"[:500])
        elif isinstance(event, LeaseBroken):
            self.store.record_event(self.run_id, "lease_broken", event.holder, board=event.board)
        elif isinstance(event, RunStopping):
            self.store.record_event(self.run_id, event.reason, event.detail)
        for subscriber in self.subscribers:
            subscriber(event)

    def _skip(self, target: BoardTarget, jobs: list[Job], stage: str, reason: str) -> None:
        for model, precision, clip in jobs:
            result = JobResult(
                board=target.name, platform=target.platform.key, model=model.name, precision=precision,
                clip=clip.name, status="skipped", stage=stage, error=reason,
                model_sha256=model.sha256[precision],
            )  # fmt: skip
            self._deliver(JobDone(result))


def ordered(results: list[JobResult]) -> list[JobResult]:
    order = {"fp32": 0, "fp16": 1, "int16": 2, "int8": 3}
    return sorted(results, key=lambda r: (r.board, r.model, order[r.precision], r.clip))
