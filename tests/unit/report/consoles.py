"""A rich console that records what a table prints at a given width, as plain lines."""

from __future__ import annotations

import io

from rich.console import Console


def recording_console(width: int) -> Console:
    # Not a terminal (a StringIO): the strictest case, where hil must not let rich cut cells to "…".
    return Console(file=io.StringIO(), width=width, record=True)


def printed_lines(console: Console) -> list[str]:
    return [line.rstrip() for line in console.export_text().splitlines()]
