"""Rich tables for a finished run and for the history of past results.

The renderers write to the Console they are given and nothing else, so the CLI decides where output goes
(stdout for data) and tests can record it.
"""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.measure import Measurement
from rich.segment import Segments
from rich.table import Table
from rich.text import Text

from hil.records import JobResult, RunSummary
from hil.report import cells
from hil.store import HistoryRow

OUTCOMES = ("pass", "fail", "regression", "infra_error", "skipped")
_UNBOUNDED = 10_000


def print_table(console: Console, table: Table) -> None:
    """Print a table; off a terminal (CI logs, files, pipes) at its natural width, never truncated.

    Rich assumes 80 columns when stdout is not a terminal, which would cut a run summary to "…" in
    exactly the place it is read most: the nightly CI log.
    """
    if console.is_terminal:
        console.print(table)
        return
    natural = Measurement.get(console, console.options.update_width(_UNBOUNDED), table).maximum
    if natural <= console.width:
        console.print(table)
        return
    lines = console.render_lines(table, console.options.update_width(natural), new_lines=True)
    console.print(Segments([segment for line in lines for segment in line]), crop=False)


def _run_table(summary: RunSummary) -> Table:
    table = Table(title=f"run {summary.run_id}", title_justify="left", header_style="bold")
    for name in ("board", "platform", "model", "precision", "clip", "status"):
        table.add_column(name, no_wrap=True)
    for name in ("accuracy", "p50 ms", "p99 ms", "fps", "power W", "mem MB"):
        table.add_column(name, justify="right", no_wrap=True)
    # One narrow column per budget, read "within the latency budget?": ✓ yes, ✗ no, – not judged.
    for name in ("lat?", "pwr?", "mem?", "acc?"):
        table.add_column(name, justify="center", no_wrap=True)
    for name in ("convert", "engine", "pushed"):
        table.add_column(name, justify="right", no_wrap=True)
    for result in summary.results:
        table.add_row(*_run_cells(result))
    return table


def _run_cells(r: JobResult) -> list[Text | str]:
    lat = r.latency_ms
    n = None if lat is None else lat.n
    return [
        r.board,
        r.platform,
        r.model,
        r.precision,
        r.clip,
        cells.status(r.status),
        cells.percent(r.accuracy),
        cells.percentile(None if lat is None else lat.p50, "p50", n),
        cells.percentile(None if lat is None else lat.p99, "p99", n),
        cells.number(r.fps),
        cells.power(r.power_w, r.power_source),
        cells.number(r.memory_peak_mb, 0),
        cells.verdict(r.budgets.latency),
        cells.verdict(r.budgets.power),
        cells.verdict(r.budgets.memory),
        cells.verdict(r.budgets.accuracy),
        cells.seconds(r.conversion_s),
        cells.size(r.engine_bytes),
        cells.size(r.bytes_pushed),
    ]


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


def render_run(summary: RunSummary, console: Console) -> None:
    """The summary of one run: a row per result, problems below it, counts per outcome last."""
    if summary.results:
        print_table(console, _run_table(summary))
    else:
        console.print(f"run {summary.run_id}: no results")
    problems = _problems(summary.results)
    if problems:
        console.print(Text("problems:", style="bold"))
        for line in problems:
            console.print(line, highlight=False)
    console.print(footer(summary.results, summary.status), highlight=False)


_KEYS = ("board", "platform", "model", "precision", "clip")


def render_history(rows: list[HistoryRow], console: Console) -> None:
    """Past results, newest first, as the store returned them; imported rows say so.

    A column whose value is the same in every row (the usual case after --board/--model/--precision)
    moves into the title, which keeps the numbers that do change readable in a narrow terminal.
    """
    constant = {k: getattr(rows[0], k) for k in _KEYS if rows and len({getattr(r, k) for r in rows}) == 1}
    title = " · ".join(constant.values()) or None
    table = Table(title=title, title_justify="left", header_style="bold")
    varying = [k for k in _KEYS if k not in constant]
    for name in ("when (UTC)", "run", *varying, "status"):
        table.add_column(name, no_wrap=True)
    for name in ("accuracy", "p50 ms", "p99 ms", "fps", "power W", "mem MB"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("source", no_wrap=True)
    for row in rows:
        table.add_row(
            row.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            row.run_id,
            *[getattr(row, k) for k in varying],
            cells.status(row.status),
            cells.percent(row.accuracy),
            cells.percentile(row.p50, "p50", row.n),
            cells.percentile(row.p99, "p99", row.n),
            cells.number(row.fps),
            cells.power(row.power_w, row.power_source),
            cells.number(row.memory_peak_mb, 0),
            Text("imported", style="cyan") if row.imported else Text("run", style="dim"),
        )
    print_table(console, table)
