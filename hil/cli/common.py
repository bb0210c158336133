"""Options and helpers shared by every command: consoles, inventory/db options, error reporting."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

# Off a terminal (CI logs, files, pipes): lines of at most this many columns. The same figure as
# hil.report.layout.OFF_TERMINAL_WIDTH, repeated so that `hil --help` need not import the report package.
OFF_TERMINAL_WIDTH = 120


def _width(stream: object) -> int | None:
    """None lets rich decide (the terminal's width, or $COLUMNS); off a terminal, CI-log width."""
    if os.environ.get("COLUMNS", "").strip().isdigit():
        return None
    isatty = getattr(stream, "isatty", None)
    return None if callable(isatty) and isatty() else OFF_TERMINAL_WIDTH


# Data goes to stdout, progress and messages to stderr, so `--json | jq` always works.
out = Console(soft_wrap=True, width=_width(sys.stdout))
# Messages quote user input (board, model, clip names, paths): never parsed as rich markup; style them
# with `style=` or rich Text instead.
err = Console(stderr=True, width=_width(sys.stderr), markup=False, highlight=False)


def print_json(text: str) -> None:
    """Write a JSON document to stdout byte for byte: never through rich, whose markup would eat `[b17]`
    and fail on `[/x]` inside values, and whose wrapping would break long strings."""
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()


def debug_enabled() -> bool:
    """`hil --debug ...` or HIL_DEBUG=1: show tracebacks of errors."""
    return os.environ.get("HIL_DEBUG", "").strip().lower() in ("1", "true", "yes", "on")


DEFAULT_DB = Path("hil.sqlite")

InventoryOption = Annotated[
    Path | None,
    typer.Option(
        "--inventory",
        "-i",
        help="Inventory YAML (Ansible layout). Default: the simulated rack, inventory/sim.yaml.",
        envvar="HIL_INVENTORY",
    ),
]
DbOption = Annotated[
    Path,
    typer.Option("--db", help="SQLite results store.", envvar="HIL_DB"),
]
WhereOption = Annotated[
    list[str] | None,
    typer.Option(
        "--where",
        "-w",
        help="Select boards by KEY=VALUE (name, platform, group, tag, sim); repeat to AND. Globs in VALUE.",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]


def hil_home() -> Path:
    """Where hil keeps its local state (simulated rack, known_hosts): $HIL_HOME or ./.hil."""
    return Path(os.environ.get("HIL_HOME", ".hil")).absolute()
