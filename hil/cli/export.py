"""`hil export`: the results of the store as CSV or JSON Lines."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from hil.cli.common import DEFAULT_DB, DbOption, err

HELP = (
    "Write results as CSV or JSON Lines (one result per line), to a file or stdout.\n\n"
    "Columns are those of the store's `results` table; fingerprint, per-class metrics and the regression "
    "verdict are JSON (text in CSV). Filters match exactly.\n\n"
    "Examples:\n\n"
    "  hil export --format csv -o results.csv\n\n"
    "  hil export -b orin-03 --format jsonl | jq .lat_p50"
)


def export(
    fmt: Annotated[str, typer.Option("--format", "-f", help="csv or jsonl.")] = "jsonl",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default stdout).")
    ] = None,
    board: Annotated[str | None, typer.Option("--board", "-b", help="Only this board.")] = None,
    model: Annotated[str | None, typer.Option("--model", "-m", help="Only this model.")] = None,
    precision: Annotated[str | None, typer.Option("--precision", "-p", help="Only this precision.")] = None,
    clip: Annotated[str | None, typer.Option("--clip", "-c", help="Only this clip.")] = None,
    db: DbOption = DEFAULT_DB,
) -> None:
    from hil.store.export import export_rows, write_csv, write_jsonl

    if fmt not in ("csv", "jsonl"):
        raise typer.BadParameter(f"{fmt!r} is not csv or jsonl", param_hint="--format")
    writer = write_csv if fmt == "csv" else write_jsonl
    filters = {"board": board, "model": model, "precision": precision, "clip": clip}
    from hil.store.reader import StoreReader

    with StoreReader.open(db) as store:
        if output is None:
            count = writer(export_rows(store, filters), sys.stdout)
        else:
            with output.open("w", newline="" if fmt == "csv" else None) as fh:
                count = writer(export_rows(store, filters), fh)
    err.print(f"exported {count} results" + (f" to {output}" if output else ""), highlight=False)


def register(app: typer.Typer) -> None:
    app.command("export", help=HELP)(export)
