"""`hil show RUN`: one stored run in detail, with the exact command lines and logs behind each result."""

from __future__ import annotations

import json as jsonlib
from typing import Annotated

import typer

from hil.cli.common import DEFAULT_DB, DbOption, JsonOption, err, out
from hil.errors import ConfigError
from hil.records import RunSummary, overall_status
from hil.report.matrix import render_matrix
from hil.report.table import render_run
from hil.store.db import Store


def register(app: typer.Typer) -> None:
    app.command(name="show")(show)


def show(
    run_id: Annotated[str, typer.Argument(help="Run id (see `hil history`), or 'last'.")] = "last",
    board: Annotated[str | None, typer.Option(help="Only this board.")] = None,
    log: Annotated[
        str | None, typer.Option(help="Print the logs of this kind: convert, replay, power, error.")
    ] = None,
    db: DbOption = DEFAULT_DB,
    json: JsonOption = False,
) -> None:
    """Show a stored run: its results table, or with --log the exact commands and what they printed.

    Examples:
      hil show last
      hil show 20261123-020000-ab12 --board orin-01 --log convert
    """
    if not db.exists():
        raise ConfigError(f"no results store at {db}", hint="run `hil run` first, or pass --db")
    with Store.open(db, create=False) as store:
        rid = store.latest_run_id() if run_id == "last" else run_id
        if rid is None:
            raise ConfigError(f"{db} holds no runs yet", hint="run `hil run` first")
        results = [r for r in store.run_results(rid) if board is None or r.board == board]
        if not results:
            raise ConfigError(f"no results for run {rid}" + (f" on board {board}" if board else ""))
        # A conversion serves every clip of its model and precision: show each distinct log once.
        logs = store.job_logs(rid, board=board, kind=log) if log else []
        logs = list({(x.board, x.kind, x.command, x.text): x for x in logs}.values())
    if log:
        if json:
            out.print(jsonlib.dumps([x.model_dump() for x in logs], indent=2), highlight=False)
            return
        if not logs:
            err.print(f"no {log} logs in run {rid}")
        for entry in logs:
            out.rule(f"{entry.board} · {entry.kind}")
            out.print(f"$ {entry.command}", style="bold", highlight=False, markup=False)
            out.print(entry.text, highlight=False, markup=False)
        return
    summary = RunSummary(run_id=rid, status=overall_status(results), results=results)
    if json:
        out.print(summary.model_dump_json(indent=2), highlight=False)
    else:
        render_run(summary, out)
        render_matrix(summary, out)
