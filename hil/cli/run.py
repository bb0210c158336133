"""`hil run`: replay clips through models on boards, score, store, and summarise."""

from __future__ import annotations

import secrets
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from hil.artifacts.shapes import parse_input_shapes
from hil.cli import context
from hil.cli.common import (
    DEFAULT_DB,
    DbOption,
    InventoryOption,
    JsonOption,
    WhereOption,
    err,
    out,
    print_json,
)
from hil.records import JobResult, RunSummary, overall_status
from hil.report.junit import write_junit
from hil.report.matrix import render_matrix
from hil.report.payload import run_json
from hil.report.progress import RunProgress
from hil.report.table import render_run
from hil.runs.events import Event, JobDone
from hil.runs.plan import check_work, unoffered
from hil.runs.scheduler import run_suite
from hil.runs.simulated import simulated_boards
from hil.runs.suite import build_suite
from hil.runs.target import target_for
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
        str | None,
        typer.Option(
            "--precision",
            "-p",
            help="Comma-separated: fp32, fp16, int8. Default: every precision each board offers; a named "
            "precision a board does not offer is a skipped result with the reason.",
        ),
    ] = None,
    warmup: Annotated[
        int, typer.Option(help="Frames replayed first and left out of every statistic (>= 0).")
    ] = 10,
    max_frames: Annotated[int, typer.Option(help="Replay at most N frames per clip (0: all).")] = 0,
    fps: Annotated[
        float,
        typer.Option(
            help="Camera-paced replay at this rate: frames arrive every 1/FPS s, late frames are dropped, "
            "deadline misses counted (0: free run, fps is the peak rate)."
        ),
    ] = 0.0,
    input_shape: Annotated[
        list[str] | None,
        typer.Option(
            "--input-shape",
            help="Fix a dynamic model input: NAME=1x240x320x3 (repeatable; beats the card).",
        ),
    ] = None,
    db: DbOption = DEFAULT_DB,
    json: JsonOption = False,
    junit: Annotated[Path | None, typer.Option(help="Also write JUnit XML here (for CI servers).")] = None,
) -> None:
    """Replay recorded cabin clips through models on boards and check them against budgets.

    For each selected board: push the model and clips (only what the board lacks), convert with the board's
    own toolchain (cached), replay the clips with hil's harness, sample power during the replay, score
    accuracy/latency/power/memory against the budgets, and store every result in the SQLite store.

    With no --inventory, the simulated rack (inventory/sim.yaml) is started as needed and stopped after.

    Figures (docs/results.md): fps is timed frames / measured replay time; energy is integrated over the
    replay window with an idle baseline; parity compares every output with the host FP32 reference;
    modelled power (simulated boards) is shown but never judged.

    Exit codes: 0 all pass, 1 some fail, 2 usage or config error (nothing stored), 3 infrastructure
    errors only, 4 internal error (a bug in hil).

    Examples:
      hil run
      hil run --precision fp16 --where platform=orin
      hil run -i inventory/lab.yaml --model dms.onnx --clip night.mp4 --json
      hil run --model face.onnx --input-shape input=1x240x320x3   (a model with dynamic input dims)
    """
    inv, boards = context.boards(inventory, where)
    models = model or [context.bundled(DEFAULT_MODEL)]
    named = None if precision is None else [p.strip() for p in precision.split(",") if p.strip()]
    suite = build_suite(
        models, clip or default_clips(), named, warmup=warmup, max_frames=max_frames, fps=fps,
        input_shapes=parse_input_shapes(input_shape or []),
    )  # fmt: skip
    for note in suite.skipped:
        err.print(Text.assemble(("skipped: ", "yellow"), note))
    rack = context.rack()
    builders = {b.name: context.build_host_of(inv, b) for b in boards}
    targets = [target_for(b, context.known_hosts(), rack.client_key, builders[b.name]) for b in boards]
    # Simulated build hosts are started with the boards that need them.
    needed = list({b.name: b for b in [*boards, *(x for x in builders.values() if x)]}.values())
    total = check_work(targets, suite)  # nothing to test: exit 2 before anything is stored
    skipped = unoffered(targets, suite)
    run_id = time.strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)
    with Store.open(db) as store:
        store.begin_run(run_id, inventory=str(inv.path), argv=sys.argv[1:])
        try:
            with simulated_boards(rack, needed) as started:
                if started:
                    err.print(f"started simulated boards: {', '.join(started)}")
                with RunProgress(err, total) as progress:

                    def on_event(event: Event) -> None:
                        if isinstance(event, JobDone):
                            store.record_job(run_id, event.result, event.samples, event.logs)
                            if event.facts:
                                store.record_board(event.result.board, event.result.platform, event.facts)
                        progress(event)

                    results = run_suite(targets, suite, on_event)
            for result in skipped:
                store.record_job(run_id, result, [], [])
            results += skipped
            summary = RunSummary(run_id=run_id, status=overall_status(results), results=_ordered(results))
            store.finish_run(run_id, summary.status)
        except BaseException as exc:
            # A failed store write (disk full, read-only), a board that would not start, or an interrupt:
            # never leave the run `running`. The error itself is reported by the CLI.
            store.abandon_run(run_id, "interrupted" if isinstance(exc, KeyboardInterrupt) else "infra_error")
            raise
    if junit is not None:
        write_junit(summary, junit)
    if json:
        print_json(run_json(summary))
    else:
        render_run(summary, out)
        render_matrix(summary, out, baseline_model=suite.models[0].name if suite.models else None)
        out.print(
            f"stored as run {run_id} in {db}  (hil history --last 10)",
            style="dim",
            markup=False,
            soft_wrap=False,
        )
    raise typer.Exit(EXIT_CODES[summary.status])


def _ordered(results: list[JobResult]) -> list[JobResult]:
    order = {"fp32": 0, "fp16": 1, "int8": 2}
    return sorted(results, key=lambda r: (r.board, r.model, order[r.precision], r.clip))
