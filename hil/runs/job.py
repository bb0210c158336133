"""One board's share of a suite: connect, read facts, push, convert, replay, score, report each job.

Each (model, precision, clip) ends as exactly one JobDone event. A board that cannot be reached, or that
vanishes mid-run, turns its remaining jobs into infra_error; a model the converter rejects fails only the
jobs of that model and precision; the other boards never notice either.
"""

from __future__ import annotations

import contextlib
import dataclasses
import posixpath
import secrets
import shlex
import tarfile
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hil.errors import ConversionError, HilError, InfraError, ModelError
from hil.harness import harness_files
from hil.platforms.base import (
    BoardContext,
    Conversion,
    ReplayRequest,
)
from hil.platforms.supplied import SuppliedEngine
from hil.records import JobResult, Outcome, ParityResult, Precision
from hil.runs import thermal
from hil.runs.build import BuildHost
from hil.runs.context import board_context, harness_items
from hil.runs.control import RunControl, Stopped
from hil.runs.events import BoardFinished, BoardStarted, Event, JobDone, JobLog, LeaseBroken, StepDone
from hil.runs.lease import Lease, LeaseError, holder_line
from hil.runs.outcome import classify_replay_failure
from hil.runs.preflight import PreflightError, preflight
from hil.runs.reference import board_box_parity, board_parity, reference_quality
from hil.runs.score import Replay, parse_frames, score
from hil.runs.suite import Clip, ModelUnderTest, Suite
from hil.runs.target import BoardTarget
from hil.transport.push import PushItem, item, push
from hil.transport.ssh import BoardConnection

Emit = Callable[[Event], None]
LEASE_MARGIN_S = 120  # beyond the longest step (command_timeout_s) before a dead holder's lease expires
Job = tuple[ModelUnderTest, Precision, Clip]
JobKey = tuple[str, str, str, str]  # board, model, precision, clip: one final result each


def plan_jobs(target: BoardTarget, suite: Suite) -> list[Job]:
    return [
        (m, p, c)
        for m in suite.models
        for p in suite.precisions
        if p in m.variants and p in target.platform.precisions
        for c in suite.clips
    ]


def _plain(info: tarfile.TarInfo) -> tarfile.TarInfo:
    """Owner and time left out, so the same engine packs to the same bytes (and is pushed once)."""
    info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
    return info


def job_key(board: str, job: Job) -> JobKey:
    model, precision, clip = job
    return (board, model.name, precision, clip.name)


# A board's recovery ladder, as the run provides it: True when a rung brought the board back.
Ladder = Callable[[BoardTarget, InfraError], bool]


def run_board(
    target: BoardTarget,
    suite: Suite,
    emit: Emit,
    control: RunControl | None = None,
    only: set[JobKey] | None = None,
    ladder: Ladder | None = None,
) -> None:
    """Run the board's jobs (those in `only`, when given). After an infrastructure error the ladder is
    climbed and, if a rung worked, the jobs without a result are tried again (at most control.retries)."""
    control = control or RunControl()
    jobs = plan_jobs(target, suite)
    if only is not None:
        jobs = [j for j in jobs if job_key(target.name, j) in only]
    emit(BoardStarted(target.name, len(jobs)))
    runner = _BoardRun(target, suite, _Guard(target.name, control, emit), control)
    tries = 0
    pending = jobs
    try:
        while True:
            try:
                runner.run(pending)
                break
            except Stopped:
                runner.finish_remaining("skipped", runner.stage, control.reason)
                break
            except InfraError as exc:
                if control.stop.is_set():
                    runner.finish_remaining("skipped", runner.stage, control.reason)
                    break
                final = isinstance(exc, (LeaseError, PreflightError)) or not runner.pending
                if final or ladder is None or tries >= control.retries:
                    runner.finish_remaining("infra_error", runner.stage, exc.message)
                    break
                tries += 1
                if not ladder(target, exc):
                    runner.finish_remaining(
                        "infra_error", runner.stage, exc.message + " (recovery ladder failed)"
                    )
                    break
                pending = list(runner.pending)
    except Exception as exc:  # a bug in hil must not hang the run nor lose the other boards
        # Never blamed on the board (no infra_error, no quarantine): its jobs are skipped with the reason,
        # and the run ends with exit 4 and what to report (hil.cli.run).
        detail = "".join(traceback.format_exception(exc))
        control.internal.append(f"board {target.name}, stage {runner.stage}:\n{detail}")
        why = (
            f"not run: internal error in hil ({exc!r}) at stage {runner.stage}: a bug in hil, not this board"
        )
        runner.finish_remaining("skipped", runner.stage, why, detail)
    finally:
        control.job_ends(target.name)
        if runner.builder is not None:
            runner.builder.close()
        emit(BoardFinished(target.name))


class _Guard:
    """The board's emit, which knows why a job that was running ended badly: a result that arrives after
    the run stopped was cut short by the stop (`skipped`, with the reason), and a job the run killed for
    running past its job deadline is an infra_error, not the model's failure."""

    def __init__(self, board: str, control: RunControl, emit: Emit) -> None:
        self.board, self.control, self.emit = board, control, emit

    def __call__(self, event: Event) -> None:
        if not isinstance(event, JobDone):
            self.emit(event)
            return
        began = self.control.job_started.get(self.board)
        wall = event.wall_s if event.wall_s is not None else time.monotonic() - began if began else 0.0
        result = event.result
        if result.status in ("fail", "infra_error"):
            if self.board in self.control.overrun:
                error = f"the job ran past its deadline of {self.control.job_timeout_s:g} s and was stopped"
                result = result.model_copy(update={"status": "infra_error", "error": error})
            elif self.control.stop.is_set():
                result = result.model_copy(update={"status": "skipped", "error": self.control.reason})
        samples = event.samples if result is event.result else []
        self.emit(JobDone(result, samples, event.logs, event.facts, wall))


class _BoardRun:
    def __init__(self, target: BoardTarget, suite: Suite, emit: Emit, control: RunControl) -> None:
        self.target, self.suite, self.emit, self.control = target, suite, emit, control
        self.pending: list[Job] = []
        self.stage = "connect"
        self.facts: dict[str, str] = {}
        self.remote: dict[str, str] = {}  # local path -> path on the board
        self.pushed_bytes: dict[str, int] = {}  # local path -> bytes pushed this run, until attributed
        tag = self.control.tag(target.name)
        self.builder = BuildHost(target.build_host, tag) if target.build_host is not None else None
        self.attempt = secrets.token_hex(3)  # names this attempt's files on the board

    def run(self, jobs: list[Job]) -> None:
        self.pending = list(jobs)
        if not jobs:
            return
        self.stage = "connect"
        self.control.check()
        with BoardConnection(self.target.endpoint, tag=self.control.tag(self.target.name)) as conn:
            self.step("connect", f"{self.target.endpoint.host}:{self.target.endpoint.port}")
            self.stage = "facts"
            ctx = self.context(conn)
            self.stage = "lease"
            # The lease outlives the longest single step; it is renewed before every step.
            ttl = int(self.target.command_timeout_s) + LEASE_MARGIN_S
            lease = Lease(conn, ttl, holder_line(self.control.run_id))
            lease.acquire()
            for holder in lease.broken:
                self.emit(LeaseBroken(self.target.name, holder))
            try:
                self.run_leased(ctx, jobs, lease)
            finally:
                with contextlib.suppress(HilError):  # a board that vanished keeps its lease until it expires
                    lease.release()

    def run_leased(self, ctx: BoardContext, jobs: list[Job], lease: Lease) -> None:
        self.stage = "preflight"
        files = {*(m.variants[p] for m, p, _ in jobs if m.supplied is None), *(c.path for _, _, c in jobs)}
        engines = {m.supplied.sha256: m.supplied.size for m, _, _ in jobs if m.supplied is not None}
        need = sum(path.stat().st_size for path in files) + sum(engines.values())
        measured = preflight(ctx, self.target.platform, need, converts_here=self.builder is None)
        self.step("preflight", ", ".join(f"{k}={v}" for k, v in measured.items()))
        self.stage = "push"
        self.control.check()
        self.push_all(ctx, jobs)
        for model, precision in dict.fromkeys((m, p) for m, p, _ in jobs):
            clips = [c for m, p, c in jobs if m is model and p == precision]
            self.stage = "convert"
            self.control.check()
            self.control.job_begins(self.target.name)
            lease.renew()
            try:
                conversion = self.convert(ctx, model, precision, clips)
            except ConversionError as exc:
                log = JobLog(kind="convert", command=exc.command, text=exc.log)
                for clip in clips:
                    self.finish((model, precision, clip), "fail", "convert", exc.message, logs=[log])
                continue
            self.step("convert", f"{model.name} {precision}" + (" (cached)" if conversion.cached else ""))
            for clip in clips:
                self.stage = "replay"
                self.control.check()
                self.control.job_begins(self.target.name)
                lease.renew()
                self.replay(ctx, (model, precision, clip), conversion)
                self.control.job_ends(self.target.name)

    # -- steps ----------------------------------------------------------------------------------------

    def convert(
        self, ctx: BoardContext, model: ModelUnderTest, precision: Precision, clips: list[Clip]
    ) -> Conversion:
        if model.supplied is not None:
            return self.ship_supplied(ctx, model.supplied, precision)
        spec = model.input_spec()
        onnx, sha = self.onnx_of(model, precision)
        shapes = model.shapes.dynamic_shapes()
        frames = model.card.calibration_frames if model.card is not None else None
        keep = model.keep if precision == "int8" else None
        if self.builder is None:
            return self.target.platform.convert(
                ctx,
                self.remote[str(onnx)],
                sha,
                precision,
                clips=[self.remote[str(c.path)] for c in clips],
                input_spec=spec,
                input_shapes=shapes,
                calibration_frames=frames,
                keep=keep,
            )
        conversion, shipped = self.builder.convert(
            ctx, onnx, sha, precision, [c.path for c in clips], spec, shapes, frames, keep
        )
        key = str(onnx)
        self.pushed_bytes[key] = self.pushed_bytes.get(key, 0) + shipped
        return conversion

    def ship_supplied(self, ctx: BoardContext, engine: SuppliedEngine, precision: Precision) -> Conversion:
        """The supplied engine, pushed as it is (content addressed, packed with tar so a folder travels
        whole) to engines/<key>/ on the board, then loaded once by the board's own toolchain."""
        name = self.target.platform.supplied_name(engine.path.name, precision)
        folder = ctx.path("engines", engine.key)
        on_board = posixpath.join(folder, name)
        with tempfile.TemporaryDirectory(prefix="hil-supplied-") as tmp:
            packed = Path(tmp) / f"{engine.key}.tar"
            with tarfile.open(packed, "w") as tar:
                tar.add(engine.path, arcname=name, filter=_plain)
            blob = item(packed, ctx.path("blobs"))
            result = push(ctx.conn, [blob])
        q = shlex.quote
        res = ctx.conn.run_script(
            f"mkdir -p {q(folder)} && rm -rf {q(on_board)} && tar -C {q(folder)} -xf {q(blob.remote)}",
            ctx.timeout_s,
        )
        if not res.ok:
            raise InfraError(f"{ctx.name}: could not unpack the supplied engine: {res.stderr.strip()[-300:]}")
        self.pushed_bytes[str(engine.path)] = result.bytes_pushed
        self.step("push", f"supplied engine {engine.path.name}: {result.bytes_pushed} bytes")
        command, log = self.target.platform.check_supplied(ctx, on_board)
        text = f"supplied engine, not converted: {engine.describe()}\npushed as it is to {on_board}\n{log}"
        return Conversion(
            engine=on_board,
            command=command or f"(supplied {engine.kind}, pushed as it is: no conversion)",
            log=text,
            seconds=None,
            engine_bytes=engine.size,
            cached=False,
            key=engine.key,
        )

    def onnx_of(self, model: ModelUnderTest, precision: Precision) -> tuple[Path, str]:
        """The ONNX this board's converter gets: a static-shape copy where the platform needs one."""
        return model.pushed(precision, self.target.platform.static_shapes)

    def step(self, name: str, detail: str = "") -> None:
        self.emit(StepDone(self.target.name, name, detail))

    def context(self, conn: BoardConnection) -> BoardContext:
        ctx = board_context(self.target, conn)
        self.facts = ctx.facts
        keys = self.target.platform.fingerprint_keys()
        self.step("facts", ", ".join(f"{k}={ctx.facts[k]}" for k in keys if ctx.facts.get(k)))
        return ctx

    def push_all(self, ctx: BoardContext, jobs: list[Job]) -> None:
        local: list[Path] = []
        for m, p, c in jobs:  # a supplied engine replaces the model on the board (ship_supplied)
            local += [c.path] if m.supplied is not None else [self.onnx_of(m, p)[0], c.path]
        items: list[PushItem] = [item(path, ctx.path("blobs")) for path in dict.fromkeys(local)]
        items += harness_items(ctx)
        result = push(ctx.conn, items)
        pushed = set(result.pushed)
        for it in items:
            self.remote[str(it.local)] = it.remote
            self.pushed_bytes[str(it.local)] = it.local.stat().st_size if it.remote in pushed else 0
        self.step("push", f"{result.bytes_pushed} bytes, {len(result.skipped)} already on the board")

    def replay(self, ctx: BoardContext, job: Job, conversion: Conversion) -> None:
        model, precision, clip = job
        platform = self.target.platform
        # Unique per attempt: a harness or power sampler left running by a killed controller must never
        # write into this replay's files (the run resumed under the same id would read them).
        tag = f"{model.sha256[precision][:12]}-{precision}-{clip.path.stem}-{self.attempt}"
        rundir = ctx.path("runs", tag)
        out = posixpath.join(rundir, "frames.jsonl")
        request = ReplayRequest(
            harness_dir=ctx.harness_dir,
            engine=conversion.engine,
            clip=self.remote[str(clip.path)],
            rundir=rundir,
            out=out,
            warmup=self.suite.warmup,
            max_frames=self.suite.max_frames,
            fps=self.suite.fps,
            input_spec=model.input_spec(),
            task_spec=model.task_spec(),
            host_steps=self.builder is not None,
        )
        harness = platform.replay_argv(ctx, request)
        plan = platform.power_plan(ctx, self.target.power_source, self.target.power_interval_ms, tag)
        if plan is not None:
            plan = dataclasses.replace(plan, idle_s=self.target.power_idle_s)
        monitor = platform.monitor_plan(ctx, tag)  # a vendor report beside power (TI's perf_stats)
        # Power: the sampler starts, the board rests for the idle baseline, then the harness replays.
        start = f"{{ {monitor.start} || echo 'hil: {monitor.kind} did not start' >&2; }}; " if monitor else ""
        start += f"{{ {plan.start} || echo 'hil: power sampling did not start' >&2; }}; " if plan else ""
        start += f"sleep {plan.lead_s:g}; " if plan else ""
        stops = [x.stop for x in (plan, monitor) if x is not None]
        stop = "".join(f"; {s} >/dev/null 2>&1" for s in stops)
        # A stopped job (Ctrl-C, job timeout) is killed by signal: the sampler runs in a session of its own,
        # so the trap stops it rather than leaving it to sample until its own time limit.
        on_signal = "".join(f"{s} >/dev/null 2>&1; " for s in stops) + "exit 143"
        trap = f"trap {shlex.quote(on_signal)} TERM INT HUP; " if stops else ""
        script = (
            f"{trap}mkdir -p {shlex.quote(rundir)} && {start}{shlex.join(harness)}; rc=$?{stop}; exit $rc"
        )
        before = thermal.read_state(ctx, platform)  # temperatures and throttle state around the replay
        res = ctx.conn.run_script(script, ctx.timeout_s)
        after = thermal.read_state(ctx, platform)
        logs = [
            JobLog(kind="convert", command=conversion.command, text=conversion.log),
            JobLog(kind="replay", command=shlex.join(harness), text=(res.stdout + res.stderr)[-20000:]),
        ]
        if not res.ok:
            ctx.conn.run(["true"], 15)  # raises InfraError if the board itself is gone
            outcome, message = classify_replay_failure(res.exit_code, res.stderr)
            self.finish(job, outcome, "replay", message, logs=logs)
            return
        if self.builder is not None:  # steps needing the build host's tools (SNPE: snpe-diagview)
            command, text = platform.finish_replay(ctx, request, self.builder.context())
            if command:
                logs.append(JobLog(kind="replay", command=command, text=text[-20000:]))
        try:
            replayed = parse_frames(ctx.conn.read(out).decode(), clip, model)
        except (ModelError, ValueError) as exc:
            self.finish(job, "fail", "replay", str(exc), logs=logs)
            return
        power = None
        if plan is not None:
            try:
                text = ctx.conn.read(plan.log_path).decode(errors="replace")
                logs.append(JobLog(kind="power", command=plan.command, text=text[-20000:]))
                power = platform.read_power(plan, text)
            except HilError as exc:
                logs.append(JobLog(kind="power", command=plan.command, text=f"no power reading: {exc}"))
        if monitor is not None:
            try:
                text = ctx.conn.read(monitor.log_path).decode(errors="replace")
                summary = platform.monitor_summary(text)
                logs.append(
                    JobLog(kind=monitor.kind, command=monitor.command, text=f"{summary}\n{text[-20000:]}")
                )
            except HilError as exc:
                logs.append(JobLog(kind=monitor.kind, command=monitor.command, text=f"not recorded: {exc}"))
        parity = self.parity(ctx, model, clip, replayed, logs)
        # Everything is read: the replay's files go (the board's disk stays as the run found it).
        with contextlib.suppress(HilError):
            cleanup = [rundir, *(x.log_path for x in (plan, monitor) if x is not None)]
            ctx.conn.run(["rm", "-rf", "--", *cleanup], 30)
        base = self.base(job, "pass")
        base = base.model_copy(
            update={
                "conversion_s": conversion.seconds,
                "engine_bytes": conversion.engine_bytes,
                "engine_key": conversion.key,
                "engine": "supplied" if model.supplied is not None else "built",
            }
        )
        idle_s = plan.idle_s if plan is not None else 0.0
        reference = self.reference(model, clip, replayed, logs) if precision != "fp32" else None
        try:
            scored = score(base, replayed, power, self.target.budgets, model, clip, parity, idle_s, reference)
        except ModelError as exc:
            self.finish(job, "fail", "score", exc.message, logs=logs)
            return
        result = thermal.annotate(scored, before, after)
        logs += thermal.state_log(before, after)
        self.facts = {**self.facts, **thermal.state_facts(before, after)}  # a new dict: JobDone keeps its own
        self.emit(JobDone(result, replayed.samples, logs, self.facts))
        self.pending.remove(job)
        self.step("replay", f"{model.name} {precision} {clip.name}: {result.status}")

    def parity(
        self, ctx: BoardContext, model: ModelUnderTest, clip: Clip, replayed: Replay, logs: list[JobLog]
    ) -> ParityResult | None:
        """The board's saved outputs against the host FP32 reference; None (and a log) when unavailable."""
        path = replayed.summary.get("parity_file")
        if not path:
            return None
        try:
            result = board_parity(model, clip, ctx.conn.read(str(path)), replayed.summary)
        except (HilError, ValueError, OSError, KeyError) as exc:
            logs.append(JobLog(kind="parity", command="", text=f"no parity: {exc}"))
            return None
        if result is None or not replayed.decoded:
            return result
        try:
            return result.model_copy(update={"boxes": board_box_parity(model, clip, replayed.decoded)})
        except (ValueError, KeyError, IndexError) as exc:
            logs.append(JobLog(kind="parity", command="", text=f"no box parity: {exc}"))
            return result

    def reference(
        self, model: ModelUnderTest, clip: Clip, replayed: Replay, logs: list[JobLog]
    ) -> dict[str, Any] | None:
        """The host FP32 reference's figures on the board's frames (the loss gate); None and a log when it
        cannot be computed (the result then says the loss was not judged)."""
        try:
            return reference_quality(model, clip, replayed)
        except (HilError, ValueError, OSError, KeyError, IndexError) as exc:
            logs.append(JobLog(kind="reference", command="", text=f"no fp32 reference: {exc}"))
            return None

    # -- results --------------------------------------------------------------------------------------

    def base(self, job: Job, status: Outcome) -> JobResult:
        model, precision, clip = job
        # Bytes pushed are charged to the first job that used an artifact, so a run's sum is what moved.
        used = [str(self.onnx_of(model, precision)[0]), str(clip.path), *(str(p) for p in harness_files())]
        used += [str(model.supplied.path)] if model.supplied is not None else []
        pushed = sum(self.pushed_bytes.pop(path, 0) for path in used)
        fingerprint_keys = ("kernel", "os", *self.target.platform.fingerprint_keys())
        fingerprint = {k: self.facts[k] for k in fingerprint_keys if self.facts.get(k)}
        if model.supplied is not None:  # compared only with results of the same engine (its hash)
            fingerprint |= {"engine": "supplied", "engine_sha256": model.supplied.sha256}
        return JobResult(
            board=self.target.name,
            platform=self.target.platform.key,
            model=model.name,
            precision=precision,
            clip=clip.name,
            status=status,
            bytes_pushed=pushed,
            model_sha256=model.sha256[precision],
            fingerprint=fingerprint,
            engine_key=model.supplied.key if model.supplied is not None else None,
            budget_notes=list(model.shapes.notes),  # what hil chose for the model (a batch run at 1)
        )

    def finish(
        self, job: Job, status: Outcome, stage: str, error: str, logs: list[JobLog] | None = None
    ) -> None:
        result = self.base(job, status).model_copy(update={"stage": stage, "error": error})
        self.emit(JobDone(result, [], logs or [], self.facts))
        self.pending.remove(job)

    def finish_remaining(self, status: Outcome, stage: str, error: str, detail: str = "") -> None:
        logs = [JobLog(kind="error", command="", text=detail)] if detail else []
        for job in list(self.pending):
            self.finish(job, status, stage, error, logs)
