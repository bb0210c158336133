"""Options and helpers shared by every command: consoles, inventory/db options, error reporting."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

# Data goes to stdout, progress and messages to stderr, so `--json | jq` always works.
out = Console(soft_wrap=True)
err = Console(stderr=True)

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
