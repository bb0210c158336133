"""Rich tables for a finished run (the history table is in hil.report.history).

The renderers write to the Console they are given and nothing else, so the CLI decides where output goes
(stdout for data) and tests can record it.
"""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.text import Text

from hil.records import JobResult, RunSummary
from hil.report import cells
from hil.report.layout import Cell, Column, dropped_note, fit_table, print_table

__all__ = ["footer", "order_results", "print_table", "render_run"]

OUTCOMES = ("pass", "fail", "regression", "infra_error", "skipped")
_PRECISION_ORDER = {"fp32": 0, "fp16": 1, "int16": 2, "int8": 3}


def order_results(results: list[JobResult]) -> list[JobResult]:
    """The order a run's results are shown and numbered in (`hil show RUN --result N` counts from 1)."""
    return sorted(results, key=lambda r: (r.board, r.model, _PRECISION_ORDER.get(r.precision, 9), r.clip))


# The run table, most important first within each priority: 0 never drops; higher numbers drop earlier.
_RUN_COLUMNS = {
    "#": Column("#", 0, "right"),
    "board": Column("board"),
    "platform": Column("platform", 2),
    "model": Column("model", 0),
    "precision": Column("precision", short="prec"),
    "clip": Column("clip", fold=True),
    "status": Column("status", short="stat"),
    "accuracy": Column("accuracy", 0, "right", short="acc"),
    "p50 ms": Column("p50 ms", 0, "right", short="p50ms"),
    "p99 ms": Column("p99 ms", 0, "right", short="p99ms"),
    "power W": Column("power W", 0, "right", short="pwr W"),
    "budgets": Column("budgets", fold=True, short="budget"),
    "fps": Column("fps", 3, "right"),
    "mem MB": Column("mem MB", 3, "right"),
    "convert": Column("convert", 4, "right"),
    "engine": Column("engine", 5, "right"),
    "pushed": Column("pushed", 5, "right"),
}
# Shown in the title instead of a column when every row has the same value.
_LIFTED = ("platform", "model")


def _run_cells(index: int, r: JobResult) -> dict[str, Cell]:
    lat = r.latency_ms
    n = None if lat is None else lat.n
    return {
        "#": str(index),
        "board": r.board,
        "platform": r.platform,
        "model": r.model,
        "precision": r.precision,
        "clip": r.clip,
        "status": cells.status(r.status),
        "accuracy": cells.headline(r.task, r.accuracy, r.task_metrics),
        "p50 ms": cells.percentile(None if lat is None else lat.p50, "p50", n),
        "p99 ms": cells.percentile(None if lat is None else lat.p99, "p99", n),
        "power W": cells.power(r.power_w, r.power_source),
        "budgets": cells.budgets(r.budgets),
        "fps": cells.number(r.fps),
        "mem MB": cells.number(r.memory_peak_mb, 0),
        "convert": "supplied" if _supplied(r) else cells.seconds(r.conversion_s),
        "engine": cells.size(r.engine_bytes),
        "pushed": cells.size(r.bytes_pushed),
    }


def _supplied(r: JobResult) -> bool:
    """An engine given with `hil run --engine`: pushed as it is, never converted by hil."""
    return r.fingerprint.get("engine") == "supplied"


def _render_run_table(summary: RunSummary, console: Console, numbers: list[int] | None) -> None:
    results = summary.results
    constant = {k: getattr(results[0], k) for k in _LIFTED if len({getattr(r, k) for r in results}) == 1}
    title = " · ".join([f"run {summary.run_id}", *constant.values()])
    names = [name for name in _RUN_COLUMNS if name not in constant]
    rows = [_run_cells(i, r) for i, r in zip(numbers or range(1, len(results) + 1), results, strict=True)]
    fitted = fit_table(
        console, [_RUN_COLUMNS[n] for n in names], [[row[n] for n in names] for row in rows], title
    )
    print_table(console, fitted.table)
    _notes(console, results, fitted.dropped, f"all of row N: hil show {summary.run_id} --result N")


def _notes(console: Console, results: list[JobResult], dropped: list[str], where: str) -> None:
    if any(r.power_source == "sim-model" and r.power_w is not None for r in results):
        console.print(cells.MODELLED_LEGEND, highlight=False, soft_wrap=False)
    engines = sorted({r.fingerprint.get("engine_sha256", "")[:12] for r in results if _supplied(r)})
    if engines:
        line = f"engine: supplied (pushed as it is, not converted by hil), sha256 {', '.join(engines)}"
        console.print(line, highlight=False, soft_wrap=False)
    note = dropped_note(dropped, where)
    if note is not None:
        console.print(note, highlight=False, soft_wrap=False)


def _problems(results: list[JobResult]) -> list[Text]:
    """One line per job that did not pass: what went wrong and at which stage."""
    lines = []
    for r in results:
        if r.status not in ("fail", "regression", "infra_error"):
            continue
        line = Text("  ")
        line.append_text(cells.status(r.status))
        line.append(f" {r.board} {r.model}/{r.precision}/{r.clip}")
        if r.stage:
            line.append(f" [{r.stage}]", style="cyan")
        failed = r.budgets.failed()
        if failed:
            line.append(" budgets failed: " + ", ".join(failed))
        if r.error:
            line.append(f" {r.error}")
        for reg in r.regressions:
            p = "" if reg.p_value is None else f", p={reg.p_value:.2g}"
            line.append(
                f" {reg.metric} {reg.baseline:.4g} -> {reg.new:.4g} (x{reg.ratio:.2f}{p}, "
                f"n={reg.n.get('baseline', 0)}/{reg.n.get('new', 0)})"
            )
        lines.append(line)
    return lines


def footer(results: list[JobResult], status: str) -> Text:
    """Counts per outcome, then the run's overall status."""
    counts: Counter[str] = Counter(r.status for r in results)
    line = Text()
    for outcome in OUTCOMES:
        if line:
            line.append("  ")
        line.append(f"{counts.get(outcome, 0)} ")
        line.append_text(cells.status(outcome) if counts.get(outcome) else Text(outcome, style="dim"))
    line.append("  →  run ")
    line.append_text(cells.status(status))
    return line


def render_run(summary: RunSummary, console: Console, numbers: list[int] | None = None) -> None:
    """The summary of one run: a row per result, problems below it, counts per outcome last.

    Rows are numbered 1.. in order (or with `numbers`, when showing part of a run): `hil show RUN
    --result N` shows every figure of row N.
    """
    if summary.results:
        _render_run_table(summary, console, numbers)
    else:
        console.print(Text(f"run {summary.run_id}: no results"), soft_wrap=False)
    problems = _problems(summary.results)
    if problems:
        console.print(Text("problems:", style="bold"), soft_wrap=False)
        for line in problems:
            console.print(line, highlight=False, soft_wrap=False)
    if any(note.startswith("power modelled") for r in summary.results for note in r.budget_notes):
        console.print(Text("modelled power is not judged against the power budget", style="dim"))
    console.print(footer(summary.results, summary.status), highlight=False, soft_wrap=False)
