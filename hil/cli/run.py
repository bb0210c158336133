"""`hil run`: replay clips through models on boards, score, store, and summarise.

The run itself is `hil.runs.run.Run`; this module parses options (or a suite file, or a stored run to
resume), shows progress, renders the summary and maps the outcome to an exit code.
"""

from __future__ import annotations

import json as jsonlib
import signal
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

import hil
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
from hil.errors import ConfigError
from hil.inventory.spec import BoardSpec
from hil.platforms.supplied import read_supplied
from hil.records import RunSummary
from hil.report.junit import write_junit
from hil.report.matrix import render_matrix
from hil.report.payload import with_compression
from hil.report.progress import RunProgress
from hil.report.table import render_run
from hil.runs.control import parse_duration
from hil.runs.events import RecoveryRung, RunStopping
from hil.runs.plan import check_work
from hil.runs.recovery import reachable
from hil.runs.run import Run, RunOptions, RunOutcome
from hil.runs.suite import Suite, build_suite, check_options
from hil.runs.suitefile import load_suite_file
from hil.runs.supplied import check_fit, engine_boards, engine_precision, supplied_suite
from hil.runs.target import BoardTarget, target_for
from hil.sim.rack import SimRack
from hil.store.db import Store

DEFAULT_MODEL = "artifacts/models/dms-small.onnx"
# The demo's face detector and eye-landmark model: run by default beside the classifier where they exist.
DEFAULT_TASK_MODELS = ("artifacts/models/dms-face.onnx", "artifacts/models/dms-eyes.onnx")
DEFAULT_CLIPS = "artifacts/clips"

EXIT_CODES = {"pass": 0, "skipped": 0, "fail": 1, "regression": 1, "infra_error": 3}
EXIT_INTERNAL = 4  # a bug in hil (as hil.cli.main exits for one raised outside a board worker)
OUTCOMES = ("pass", "fail", "regression", "infra_error", "skipped")


def default_models() -> list[Path]:
    """The classifier, then each demo task model (detection, landmarks) that exists."""
    tasks = [context.bundled(m) for m in DEFAULT_TASK_MODELS]
    return [context.bundled(DEFAULT_MODEL), *(m for m in tasks if m.exists())]


def default_clips() -> list[Path]:
    return sorted(context.bundled(DEFAULT_CLIPS).glob("*.mp4"))


def register(app: typer.Typer) -> None:
    app.command(name="run")(run)


def run(
    inventory: InventoryOption = None,
    where: WhereOption = None,
    model: Annotated[
        list[Path] | None,
        typer.Option(
            "--model",
            "-m",
            help=f"ONNX model(s) to test. Default: {DEFAULT_MODEL}, and dms-face.onnx and dms-eyes.onnx "
            "beside it where they exist.",
        ),
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
            help="Comma-separated: fp32, fp16, int16, int8 (int16: TDA4VM TIDL 16-bit fixed point). Default: "
            "every precision each board offers; a named "
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
    engine: Annotated[
        Path | None,
        typer.Option(
            "--engine",
            help="Run this engine, built elsewhere, instead of converting --model: a TensorRT plan (orin), "
            "an SNPE DLC (qcs8255) or a TIDL artifacts folder (tda4vm). Pushed as it is after checking the "
            "boards' toolchain version matches (exit 2 naming both, before any push); --model stays the "
            "parity and accuracy reference. Results say engine: supplied and are compared only with "
            "results of the same engine (its sha256).",
        ),
    ] = None,
    keep: Annotated[
        str | None,
        typer.Option(
            "--keep",
            help="int8: keep these layers (LAYER[,LAYER], node names as `hil diagnose` prints them) at the "
            "higher precision with the converter's own mechanism (TIDL: 16-bit names lists); beats the "
            "card's `keep`.",
        ),
    ] = None,
    db: DbOption = DEFAULT_DB,
    json: JsonOption = False,
    junit: Annotated[Path | None, typer.Option(help="Also write JUnit XML here (for CI servers).")] = None,
    html: Annotated[
        Path | None,
        typer.Option(
            help="Also write the run's HTML report here (as `hil report html`; wins over the suite's)."
        ),
    ] = None,
    suite_file: Annotated[
        Path | None,
        typer.Option(
            "--suite", help="Suite file (YAML): models, clips, precisions, boards, budgets, limits."
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the plan and check reachability; change nothing.")
    ] = False,
    resume: Annotated[
        str | None,
        typer.Option(help="Finish run RUN_ID (or 'last'): only its jobs without a final result, same id."),
    ] = None,
    deadline: Annotated[
        str | None, typer.Option(help="End the whole run by then (90s, 15m, 2h); unstarted jobs are skipped.")
    ] = None,
    job_timeout: Annotated[
        str | None, typer.Option(help="Stop a job running longer than this (infra_error).")
    ] = None,
    retries: Annotated[
        int, typer.Option(help="Retries of a board's infra errors, each after a recovery rung worked.")
    ] = 1,
    quarantine_after: Annotated[
        int, typer.Option(help="Consecutive infra errors that make a board bad (quarantined).")
    ] = 3,
) -> None:
    """Replay recorded cabin clips through models on boards and check them against budgets.

    For each selected board: take its lease, check it (toolchain, disk, temperature), push the model and
    clips (only what the board lacks), convert with the board's own toolchain (cached), replay the clips
    with hil's harness, sample power, score against the budgets, and store every result.

    With no --inventory, the simulated rack (inventory/sim.yaml) is started as needed and stopped after
    (unless another run still uses it). Ctrl-C or SIGTERM stops the run cleanly: finished results are
    kept, the rest is skipped ('interrupted'); `--resume last` finishes it later. See docs/nightly.md.

    Figures (docs/results.md): fps is timed frames / measured replay time; energy is integrated over the
    replay window with an idle baseline; parity compares every output with the host FP32 reference;
    modelled power (simulated boards) is shown but never judged.

    Each result is then judged against its last 5 comparable results (same board, model, precision, clip
    and environment fingerprint): a real slowdown or accuracy drop ends as `regression` with its evidence
    (docs/results.md; thresholds via HIL_REGRESSION).

    Exit codes: 0 all pass, 1 some fail or regression, 2 usage or config error (nothing stored),
    3 infrastructure errors only, 4 internal error (a bug in hil), 130 / 143 interrupted by SIGINT / SIGTERM.

    Examples:
      hil run
      hil run --precision fp16 --where platform=orin
      hil run --suite suites/nightly.yaml --deadline 2h --junit report.xml --html report.html
      hil run --resume last --json
      hil run --model face.onnx --input-shape input=1x240x320x3   (a model with dynamic input dims)
      hil run --engine dms.int8.engine --model dms.onnx   (an engine your own pipeline built)
    """
    if resume is not None:
        with Store.open(db, create=False) as store:
            run_id = store.latest_run_id() if resume == "last" else resume
            plan = store.plan_of(run_id) if run_id else None
            if plan is None:
                raise ConfigError(
                    f"no run {resume!r} to resume in {db}" if run_id else f"no run in {db} to resume",
                    hint="hil history --last 10 lists runs; only runs of this hil version can be resumed",
                )
        # The resumed part has its own time limits (those of this command line), not the original's.
        plan = {**plan, "deadline": deadline, "job_timeout": job_timeout}
    else:
        run_id = None
        plan = {
            "inventory": str(inventory) if inventory else None, "where": list(where or []),
            "suite": str(suite_file.absolute()) if suite_file else None,
            "models": [str(m.absolute()) for m in model or []],
            "clips": [str(c.absolute()) for c in clip or []],
            "precision": precision, "input_shapes": list(input_shape or []),
            "engine": str(engine.absolute()) if engine else None,
            "keep": [k.strip() for k in keep.split(",") if k.strip()] if keep is not None else None,
            "warmup": warmup, "max_frames": max_frames, "fps": fps,
            "deadline": deadline, "job_timeout": job_timeout, "retries": retries,
            "quarantine_after": quarantine_after,
        }  # fmt: skip
    prepared = _prepare(plan, resumed=run_id is not None)  # bad input: exit 2 before anything is stored
    if dry_run and not Path(db).exists():  # a dry run changes nothing, not even by creating the store
        with tempfile.TemporaryDirectory() as scratch, Store.open(Path(scratch) / "dry-run.sqlite") as store:
            _dry_run(prepared.run(store, run_id), json)
        return
    with Store.open(db) as store:
        the_run = prepared.run(store, run_id)
        if dry_run:
            _dry_run(the_run, json)
            return
        with the_run.signals_handled():
            outcome = _execute(the_run, json)
    html = html or prepared.html
    _report(outcome, db, junit, json, the_run.suite.models[0].name if the_run.suite.models else None, html)


@dataclass(frozen=True)
class _Prepared:
    """Everything a Run needs but the store: resolved before the store is opened, so that bad input
    stores nothing."""

    targets: list[BoardTarget]
    suite: Suite
    options: RunOptions
    rack: SimRack
    sims: list[BoardSpec]
    inventory: str
    plan: dict[str, Any]
    html: Path | None = None  # the suite file's `html:` (the report to write after the run)

    def run(self, store: Store, run_id: str | None) -> Run:
        return Run(
            self.targets, self.suite, store, run_id=run_id, options=self.options, rack=self.rack,
            sim_specs=self.sims, inventory=self.inventory, argv=sys.argv[1:], plan=self.plan,
            resume=run_id is not None,
        )  # fmt: skip


def _prepare(plan: dict[str, Any], resumed: bool) -> _Prepared:
    check_options(plan["warmup"], plan["max_frames"], plan["fps"])  # also when a suite file gives the rest
    inventory = Path(plan["inventory"]) if plan.get("inventory") else None
    inv, boards = context.boards(inventory, None)
    where = list(plan.get("where") or [])
    options = RunOptions(retries=plan["retries"], quarantine_after=plan["quarantine_after"])
    deadline, job_timeout = plan.get("deadline"), plan.get("job_timeout")
    profile: dict[str, Any] = {}
    html: Path | None = None
    supplied = read_supplied(Path(plan["engine"])) if plan.get("engine") else None
    if supplied is not None and plan.get("suite"):
        raise ConfigError("--engine runs with --model and --clip, not with --suite")
    if plan.get("suite"):
        sf = load_suite_file(Path(plan["suite"]))
        where = [*sf.spec.boards, *where]
        suite: Suite = sf.build()
        profile = sf.budget_profile
        html = Path(sf.spec.html) if sf.spec.html else None
        deadline = deadline or sf.spec.limits.deadline
        job_timeout = job_timeout or sf.spec.limits.job_timeout
        # Options given on the command line (not at their defaults) win over the file.
        limits = sf.spec.limits
        options.retries = plan["retries"] if plan["retries"] != 1 else limits.retries
        options.quarantine_after = (
            plan["quarantine_after"] if plan["quarantine_after"] != 3 else limits.quarantine_after
        )
        given = {
            "warmup": plan["warmup"] != 10,
            "max_frames": plan["max_frames"] != 0,
            "fps": plan["fps"] != 0,
        }
        suite = replace(suite, **{k: plan[k] for k, on in given.items() if on})
    else:
        models = [Path(m) for m in plan["models"]] or default_models()
        clips = [Path(c) for c in plan["clips"]] or default_clips()
        named_text: str | None = plan.get("precision")
        named = None if named_text is None else [p.strip() for p in named_text.split(",") if p.strip()]
        if supplied is not None:
            if not plan["models"]:
                raise ConfigError("--engine needs --model: the ONNX it was built from (the reference)")
            wanted = engine_precision(supplied, named)
        suite = build_suite(
            models, clips, named if supplied is None else ["fp32"], warmup=plan["warmup"],
            max_frames=plan["max_frames"], fps=plan["fps"],
            input_shapes=parse_input_shapes(plan.get("input_shapes") or []), keep=plan.get("keep"),
        )  # fmt: skip
        if supplied is not None:
            suite = supplied_suite(suite, supplied, wanted)
    options.deadline_s = parse_duration(deadline) if deadline else None
    options.job_timeout_s = parse_duration(job_timeout) if job_timeout else None
    _, boards = context.boards(inventory, where)
    boards = context.targets_only(inv, boards)  # a build host converts for boards; it is not tested itself
    if supplied is not None:  # only boards whose toolchain loads the engine's format
        boards, notes = engine_boards(boards, supplied)
        for note in notes:
            err.print(Text.assemble(("--engine: ", "yellow"), note))
    context.require_build_hosts(inv, boards)  # before any board is touched
    for note in suite.skipped:
        err.print(Text.assemble(("skipped: ", "yellow"), note))
    if profile:
        boards = [b.model_copy(update={"budgets": b.budgets.model_copy(update=profile)}) for b in boards]
    rack = context.rack()
    builders = {b.name: context.build_host_of(inv, b) for b in boards}
    targets = [target_for(b, context.known_hosts(), rack.client_key, builders[b.name]) for b in boards]
    needed = list({b.name: b for b in [*boards, *(x for x in builders.values() if x)]}.values())
    if not resumed:
        check_work(targets, suite)  # nothing to test: a ConfigError that says why
    sims = [b for b in needed if b.sim]
    if supplied is not None and not resumed:  # each board's toolchain read: a misfit is exit 2, no push
        for note in check_fit(targets, supplied, rack, sims):
            err.print(Text.assemble(("--engine: ", "yellow"), note))
    return _Prepared(targets, suite, options, rack, sims, str(inv.path), plan, html)


def _execute(the_run: Run, json: bool) -> RunOutcome:
    # Progress goes to stderr, also with --json: stdout carries the JSON document alone.
    progress = RunProgress(err, sum(len(j) for j in the_run.jobs().values()))
    progress.on(RecoveryRung, lambda e: progress.console.print(_recovery_line(e), highlight=False))
    progress.on(RunStopping, lambda e: progress.console.print(_stopping_line(e), highlight=False))
    the_run.subscribers.append(progress)
    with progress:
        return the_run.execute()


def _recovery_line(event: RecoveryRung) -> Text:
    state = ("ok", "green") if event.ok else ("failed", "red")
    return Text.assemble(f"{event.board}: recovery {event.rung} ", state, f" ({event.seconds:.1f} s)")


def _stopping_line(event: RunStopping) -> Text:
    return Text(f"stopping ({event.reason}): no new jobs; stopping running ones", style="yellow")


def _dry_run(the_run: Run, json: bool) -> None:
    jobs = the_run.jobs()
    health = the_run.store.all_health()
    rows = []
    for t in the_run.targets:
        rows.append({
            "board": t.name, "platform": t.platform.key, "jobs": len(jobs[t.name]),
            "health": health.get(t.name, {}).get("state", "good"), "reachable": _reach(the_run, t),
            "plan": [f"{m.name}/{p}/{c.name}" for m, p, c in jobs[t.name]],
        })  # fmt: skip
    if json:
        typer.echo(jsonlib.dumps({"boards": rows, "jobs": sum(r["jobs"] for r in rows)}, indent=2))
        return
    from hil.report.layout import Column, fit_table, print_table

    columns = [Column("board"), Column("platform", 1), Column("jobs", 0, "right"), Column("health"),
               Column("reachable", fold=True)]  # fmt: skip
    cells = [[r["board"], r["platform"], str(r["jobs"]), r["health"], r["reachable"]] for r in rows]
    print_table(out, fit_table(out, columns, cells).table)
    out.print(
        f"{sum(r['jobs'] for r in rows)} jobs on {len(rows)} boards; nothing was run or changed (--dry-run)"
    )


def _reach(the_run: Run, target: BoardTarget) -> str:
    if target.sim and the_run.rack is not None and the_run.rack.pid(target.name) is None:
        return "simulated, not running (a run starts it)"
    problem = reachable(target)
    return "yes" if not problem else f"no: {problem}"


def _write_html(db: Path, run_id: str, html: Path) -> None:
    """The run's HTML report; a page that cannot be written is said loudly but does not change the run's
    exit code (its results are stored: `hil report html RUN` writes the page later)."""
    from hil.errors import HilError
    from hil.report.html import write_html
    from hil.store.reader import StoreReader

    try:
        with StoreReader.open(db) as reader:
            write_html(reader, run_id, html)
    except HilError as exc:
        err.print(Text.assemble(("error: ", "bold red"), exc.message), highlight=False)
        err.print(
            Text.assemble(("hint: ", "yellow"), f"hil report html {run_id} --out FILE"), highlight=False
        )


def _report(
    outcome: RunOutcome,
    db: Path,
    junit: Path | None,
    json: bool,
    baseline: str | None = None,
    html: Path | None = None,
) -> None:
    summary: RunSummary = outcome.summary
    if junit is not None:
        write_junit(summary, junit, outcome.times)
    if html is not None:
        _write_html(db, summary.run_id, html)
    counts = {k: sum(r.status == k for r in summary.results) for k in OUTCOMES}
    if json:
        document = with_compression(summary).model_dump(mode="json")
        payload = {**document, "counts": counts, "stopped": outcome.stopped or None}
        if outcome.internal_errors:
            payload["internal_errors"] = len(outcome.internal_errors)
        print_json(jsonlib.dumps(payload, indent=2, ensure_ascii=False))
    else:
        render_run(summary, out)
        render_matrix(summary, out, baseline_model=baseline)
        out.print(
            f"stored as run {summary.run_id} in {db}  (hil history --last 10)",
            style="dim",
            markup=False,
            soft_wrap=False,
        )
    if outcome.sims_stopped:
        err.print(f"stopped simulated boards: {', '.join(outcome.sims_stopped)}")
    if outcome.stopped:
        left = counts["skipped"]
        err.print(
            Text.assemble(
                (f"run {summary.run_id} {outcome.stopped}", "yellow"),
                f": {left} jobs skipped; finish it with: hil run --resume {summary.run_id}",
            ),
            highlight=False,
        )
    if outcome.signal is not None:
        raise typer.Exit(128 + outcome.signal)
    if outcome.internal_errors:
        _report_internal(summary.run_id, outcome.internal_errors, db)
        raise typer.Exit(EXIT_INTERNAL)
    raise typer.Exit(EXIT_CODES[summary.status])


def _report_internal(run_id: str, tracebacks: list[str], db: Path) -> None:
    """A bug in hil met during the run: exit 4 with what to report, the tracebacks kept in a file."""
    folder = db.parent / "internal-errors"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{run_id}.txt"
    path.write_text(f"hil {hil.__version__}\n" + "\n".join(tracebacks))
    first = tracebacks[0].strip().splitlines()[-1]
    err.print(
        Text.assemble(("internal error: ", "bold red"), f"{first} ({len(tracebacks)} board(s))"),
        highlight=False,
    )
    err.print(
        Text.assemble(
            ("hint: ", "yellow"),
            f"this is a bug in hil {hil.__version__}, not in your model or boards: the jobs it stopped are "
            f"skipped, no board was blamed. Please report it to hil's maintainers with the command line "
            f"and {path} (the tracebacks)",
        ),
        highlight=False,
    )


__all__ = ["EXIT_CODES", "run", "signal"]
