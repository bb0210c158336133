"""`hil history`: the table and the JSON of past results.

Kept apart from the run table so that `hil history` imports neither pydantic nor the run's records (see
hil.cli.commands on light commands).
"""

from __future__ import annotations

import json

from rich.console import Console
from rich.text import Text

from hil.report import cells
from hil.report.layout import Cell, Column, dropped_note, fit_table, print_table
from hil.store.history_row import HistoryRow


def history_json(rows: list[HistoryRow]) -> str:
    """`hil history --json`: {"results": [row, ...]}, newest first; `imported` marks `hil import` rows."""
    return json.dumps({"results": [row.as_json() for row in rows]}, indent=2, ensure_ascii=False)


_KEYS = ("board", "platform", "model", "precision", "clip")
_KEY_PRIORITY = {"board": 0, "platform": 2, "model": 0, "precision": 0, "clip": 0}
_HISTORY_TAIL = (
    Column("status"),
    Column("accuracy", 0, "right", short="acc"),
    Column("p50 ms", 0, "right", short="p50ms"),
    Column("p99 ms", 0, "right", short="p99ms"),
    Column("power W", 0, "right", short="pwr W"),
    Column("fps", 3, "right"),
    Column("mem MB", 3, "right"),
    Column("source", 2),
)


def render_history(rows: list[HistoryRow], console: Console) -> None:
    """Past results, newest first, as the store returned them; imported rows say so.

    A column whose value is the same in every row (the usual case after --board/--model/--precision)
    moves into the title, which keeps the numbers that do change readable in a narrow terminal.
    """
    constant = {k: getattr(rows[0], k) for k in _KEYS if rows and len({getattr(r, k) for r in rows}) == 1}
    title = " · ".join(constant.values()) or None
    varying = [k for k in _KEYS if k not in constant]
    columns = [
        Column("when (UTC)"),
        Column("run", 2),
        *(
            Column(k, _KEY_PRIORITY[k], fold=k == "clip", short="prec" if k == "precision" else None)
            for k in varying
        ),
        *_HISTORY_TAIL,
    ]
    # A narrow terminal gets the short form of the time (the year is rarely what tells two results apart).
    when = "%Y-%m-%d %H:%M:%S" if console.width >= 110 else "%m-%d %H:%M"
    cell_rows: list[list[Cell]] = [
        [
            row.created_at.strftime(when),
            row.run_id,
            *[getattr(row, k) for k in varying],
            _noisy(cells.status(row.status), row.noisy),
            cells.headline(row.task, row.accuracy, row.task_metrics),
            cells.percentile(row.p50, "p50", row.n),
            cells.percentile(row.p99, "p99", row.n),
            cells.power(row.power_w, row.power_source),
            cells.number(row.fps),
            cells.number(row.memory_peak_mb, 0),
            _source(row),
        ]
        for row in rows
    ]
    fitted = fit_table(console, columns, cell_rows, title)
    print_table(console, fitted.table)
    if any(r.power_source == "sim-model" and r.power_w is not None for r in rows):
        console.print(cells.MODELLED_LEGEND, highlight=False, soft_wrap=False)
    note = dropped_note(fitted.dropped, "every column: hil history --json")
    if note is not None:
        console.print(note, highlight=False, soft_wrap=False)


def _source(row: HistoryRow) -> Text:
    """`run`, or `imported` naming the tool whose percentiles these are (hil did not compute them)."""
    if not row.imported:
        return Text("run", style="dim")
    by = f" ({row.percentiles_from} %iles)" if row.percentiles_from else ""
    return Text("imported" + by, style="cyan")


def _noisy(status: Text, noisy: bool) -> Text:
    """`pass!`: the result was taken while the board throttled (see noisy_reason in `hil show`)."""
    if noisy:
        status.append("!", style="bold yellow")
    return status
