"""`hil store merge`: one history from the stores of several lab controllers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from hil.cli.common import DEFAULT_DB, DbOption, JsonOption, out

store_app = typer.Typer(help="Maintain the results store.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(store_app, name="store")


@store_app.command()
def merge(
    others: Annotated[list[Path], typer.Argument(help="Stores (.sqlite) of other lab controllers.")],
    db: DbOption = DEFAULT_DB,
    json_out: JsonOption = False,
) -> None:
    """Merge other controllers' stores into --db. Idempotent: merging the same store again adds nothing.

    Each run keeps the host it ran on; a run id already used by another run here gets the host's name
    appended (the original id is kept as origin_run_id). The other stores are only read.

    Examples:
      hil store merge lab-a.sqlite lab-b.sqlite --db team.sqlite
    """
    from hil.store.db import Store
    from hil.store.merge import merge_store

    reports = []
    with Store.open(db) as store:
        for other in others:
            reports.append(merge_store(store, other))
    if json_out:
        out.print(json.dumps([r.__dict__ for r in reports], indent=2), markup=False, highlight=False)
        return
    for r in reports:
        line = f"{r.source}: {r.runs_added} runs ({r.results_added} results) added, "
        line += f"{r.runs_present} already here"
        out.print(line, markup=False, highlight=False)
        for old, new in r.renamed.items():
            out.print(f"  run {old} is {new} here (its id was taken)", markup=False, highlight=False)
