"""Tables that fit the terminal: columns carry a priority, and the lowest ones drop until the table fits.

Every hil table goes through `fit_table`. Priority 0 columns (identity, status, accuracy, p50, p99, power,
the failed budget) are never dropped; the others drop highest number first, rightmost first among equals.
What was dropped is named below the table, with where to see it (`hil show RUN --result N`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rich import box
from rich.console import Console, RenderableType
from rich.measure import Measurement
from rich.segment import Segments
from rich.table import Table
from rich.text import Text

# Off a terminal (CI logs, files, pipes) hil writes lines of at most this many columns.
OFF_TERMINAL_WIDTH = 120
_UNBOUNDED = 10_000

Cell = Text | str


@dataclass(frozen=True)
class Column:
    name: str
    priority: int = 0  # 0: always shown; a higher number drops earlier
    justify: Literal["left", "center", "right"] = "left"
    fold: bool = False  # may wrap inside its cell (long free text) instead of widening the table
    short: str | None = None  # the header in a narrow terminal
    max_width: int | None = None  # a fold column wraps at this width (its natural width for fitting)


@dataclass(frozen=True)
class Fitted:
    table: Table
    dropped: list[str]


def _build(
    title: str | None,
    columns: Sequence[Column],
    rows: Sequence[Sequence[Cell]],
    keep: list[int],
    compact: int = 0,
) -> Table:
    """compact 0: full headers, two spaces between columns; 1: short headers; 2: and one space."""
    # Cells and titles hold user data (board, model and clip names): plain Text, never rich markup, so a
    # clip named "night[b17]" shows as named and "[/x]" cannot raise.
    table = Table(
        title=Text(title) if title is not None else None,
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, 1) if compact < 2 else (0, 0),
        collapse_padding=True,
    )
    for i in keep:
        col = columns[i]
        header = col.short if compact and col.short else col.name
        table.add_column(
            header, justify=col.justify, no_wrap=not col.fold, overflow="fold", max_width=col.max_width
        )
    for row in rows:
        table.add_row(*(_plain(row[i]) for i in keep))
    return table


def _plain(cell: Cell) -> Text:
    return Text(cell) if isinstance(cell, str) else cell


def natural_width(console: Console, renderable: RenderableType) -> int:
    return Measurement.get(console, console.options.update_width(_UNBOUNDED), renderable).maximum


def fit_table(
    console: Console,
    columns: Sequence[Column],
    rows: Sequence[Sequence[Cell]],
    title: str | None = None,
) -> Fitted:
    """The table with as many columns as fit `console.width`, dropping by priority."""
    keep = list(range(len(columns)))
    # Drop order: highest priority number first; among equals, the rightmost first.
    order = sorted(
        (i for i, c in enumerate(columns) if c.priority > 0), key=lambda i: (-columns[i].priority, -i)
    )
    dropped: list[str] = []
    table = _build(title, columns, rows, keep)
    for i in order:
        if natural_width(console, table) <= console.width:
            return Fitted(table, dropped)
        keep.remove(i)
        dropped.append(columns[i].name)
        table = _build(title, columns, rows, keep)
    for compact in (1, 2):
        if natural_width(console, table) <= console.width:
            break
        table = _build(title, columns, rows, keep, compact)
    return Fitted(table, dropped)


def print_table(console: Console, table: Table) -> None:
    """Print a table within the console's width; off a terminal never cut a cell to "…".

    Columns marked `fold` wrap inside their cells to fit. A table that cannot fit even so is printed at its
    natural width when the console is not a terminal (a CI log wraps rather than loses a number); on a
    terminal rich shrinks it.
    """
    least = Measurement.get(console, console.options.update_width(_UNBOUNDED), table).minimum
    if console.is_terminal or least <= console.width:
        console.print(table, soft_wrap=False)
        return
    natural = natural_width(console, table)
    lines = console.render_lines(table, console.options.update_width(natural), new_lines=True)
    console.print(Segments([segment for line in lines for segment in line]), crop=False)


def dropped_note(dropped: list[str], where: str) -> Text | None:
    """One dim line naming the columns a narrow terminal left out, and where to read them."""
    if not dropped:
        return None
    return Text(f"hidden at this width: {', '.join(dropped)}; {where}", style="dim")
