"""`hil run`: replay clips through models on boards, score, store, and summarise."""

from __future__ import annotations

import secrets
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from hil.cli import context
from hil.cli.common import DEFAULT_DB, DbOption, InventoryOption, JsonOption, WhereOption, err, out
from hil.records import JobResult, RunSummary, overall_status
from hil.report.junit import write_junit
from hil.report.matrix import render_matrix
from hil.report.payload import run_json
from hil.report.table import render_run
from hil.runs.events import BoardStarted, Event, JobDone, StepDone
from hil.runs.job import plan_jobs
from hil.runs.scheduler import run_suite
from hil.runs.simulated import simulated_boards
from hil.runs.suite import build_suite
from hil.runs.target import target_for
from hil.runs.verdict import judge_results
from hil.store.db import Store

DEFAULT_MODEL = "artifacts/models/dms-small.onnx"
DEFAULT_CLIPS = "artifacts/clips"

EXIT_CODES = {"pass": 0, "skipped": 0, "fail": 1, "regression": 1, "infra_error": 3}


def default_clips() -> list[Path]:
    return sorted(context.bundled(DEFAULT_CLIPS).glob("*.mp4"))


def register(app: typer.Typer) -> None:
    app.command(name="run")(run)


def run(
    inventory: InventoryOption = None,
    where: WhereOption = None,
    model: Annotated[
        list[Path] | None,
        typer.Option("--model", "-m", help=f"ONNX model(s) to test. Default: {DEFAULT_MODEL}."),
    ] = None,
    clip: Annotated[
        list[Path] | None,
        typer.Option("--clip", "-c", help=f"Clip(s) to replay. Default: every .mp4 in {DEFAULT_CLIPS}/."),
    ] = None,
    precision: Annotated[
        str, typer.Option("--precision", "-p", help="Comma-separated: fp32, fp16, int8.")
    ] = "fp32,fp16,int8",
    warmup: Annotated[int, typer.Option(help="Frames replayed first and left out of latency stats.")] = 10,
    max_frames: Annotated[int, typer.Option(help="Replay at most N frames per clip (0: all).")] = 0,
    fps: Annotated[float, typer.Option(help="Camera-paced replay at this rate (0: free run).")] = 0.0,
    db: DbOption = DEFAULT_DB,
    json: JsonOption = False,
    junit: Annotated[Path | None, typer.Option(help="Also write JUnit XML here (for CI servers).")] = None,
) -> None:
    """Replay recorded cabin clips through models on boards and check them against budgets.

    For each selected board: push the model and clips (only what the board lacks), convert with the board's
    own toolchain (cached), replay the clips with hil's harness, sample power during the replay, score
    accuracy/latency/power/memory against the budgets, and store every result in the SQLite store.

    With no --inventory, the simulated rack (inventory/sim.yaml) is started as needed and stopped after.

    Each result is then judged against its last 5 comparable results (same board, model, precision, clip
    and environment fingerprint): a real slowdown or accuracy drop ends as `regression` with its evidence
    (docs/results.md; thresholds via HIL_REGRESSION).

    Exit codes: 0 all pass, 1 some fail or regression, 2 usage or config error, 3 infrastructure errors only.

    Examples:
      hil run
      hil run --precision fp16 --where platform=orin
      hil run -i inventory/lab.yaml --model dms.onnx --clip night.mp4 --json
    """
    inv, boards = context.boards(inventory, where)
    models = model or [context.bundled(DEFAULT_MODEL)]
    suite = build_suite(
        models, clip or default_clips(), [p.strip() for p in precision.split(",") if p.strip()],
        warmup=warmup, max_frames=max_frames, fps=fps,
    )  # fmt: skip
    for note in suite.skipped:
        err.print(f"[yellow]skipped:[/] {note}", highlight=False)
    rack = context.rack()
    builders = {b.name: context.build_host_of(inv, b) for b in boards}
    targets = [target_for(b, context.known_hosts(), rack.client_key, builders[b.name]) for b in boards]
    # Simulated build hosts are started with the boards that need them.
    needed = list({b.name: b for b in [*boards, *(x for x in builders.values() if x)]}.values())
    run_id = time.strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)
    with Store.open(db) as store:
        store.begin_run(run_id, inventory=str(inv.path), argv=sys.argv[1:])
        total = sum(len(plan_jobs(t, suite)) for t in targets)
        with simulated_boards(rack, needed) as started, _progress() as progress:
            if started:
                err.print(f"started simulated boards: {', '.join(started)}")
            overall = progress.add_task("all jobs", total=total)
            tasks: dict[str, TaskID] = {}

            def on_event(event: Event) -> None:
                if isinstance(event, BoardStarted):
                    tasks[event.board] = progress.add_task(event.board, total=event.jobs)
                elif isinstance(event, StepDone):
                    progress.update(
                        tasks[event.board], description=f"{event.board}: {event.step} {event.detail}"
                    )
                elif isinstance(event, JobDone):
                    store.record_job(run_id, event.result, event.samples, event.logs)
                    if event.facts:
                        store.record_board(event.result.board, event.result.platform, event.facts)
                    progress.advance(tasks[event.result.board])
                    progress.advance(overall)

            results = run_suite(targets, suite, on_event)
        results = judge_results(store, run_id, results)  # history verdicts: status `regression` where due
        summary = RunSummary(run_id=run_id, status=overall_status(results), results=_ordered(results))
        store.finish_run(run_id, summary.status)
    if junit is not None:
        write_junit(summary, junit)
    if json:
        out.print(run_json(summary), highlight=False, soft_wrap=True)
    else:
        render_run(summary, out)
        render_matrix(summary, out)
        out.print(f"stored as run {run_id} in {db}  (hil history --last 10)", style="dim")
    raise typer.Exit(EXIT_CODES[summary.status])


def _ordered(results: list[JobResult]) -> list[JobResult]:
    order = {"fp32": 0, "fp16": 1, "int8": 2}
    return sorted(results, key=lambda r: (r.board, r.model, order[r.precision], r.clip))


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
