"""`hil show RUN`: one stored run in detail, with the exact command lines and logs behind each result."""

from __future__ import annotations

import json as jsonlib
from typing import Annotated

import typer
from rich.text import Text

from hil.cli.common import DEFAULT_DB, DbOption, JsonOption, err, out, print_json
from hil.errors import ConfigError
from hil.records import RunSummary, overall_status
from hil.report.detail import render_result
from hil.report.matrix import render_matrix
from hil.report.payload import with_compression
from hil.report.table import order_results, render_run
from hil.store.db import Store


def register(app: typer.Typer) -> None:
    app.command(name="show")(show)


def show(
    run_id: Annotated[str, typer.Argument(help="Run id (see `hil history`), or 'last'.")] = "last",
    board: Annotated[str | None, typer.Option(help="Only this board.")] = None,
    result: Annotated[
        int | None,
        typer.Option(
            "--result", "-r", min=1, help="Every figure of result N (the # column of the run's table)."
        ),
    ] = None,
    log: Annotated[
        str | None,
        typer.Option(
            help="Print the logs of this kind: convert, replay, power, thermal, perf_stats, parity, "
            "reference, error."
        ),
    ] = None,
    db: DbOption = DEFAULT_DB,
    json: JsonOption = False,
) -> None:
    """Show a stored run: its results table, one result in full, or the logs behind it.

    --result N shows every figure of row N; --log KIND prints the exact commands and what they printed.

    A narrow terminal hides the less important columns of the table; --result N shows all of them for
    row N, and --json prints everything.

    Examples:
      hil show last
      hil show last --result 3
      hil show 20261123-020000-ab12 --board orin-01 --log convert
    """
    if not db.exists():
        raise ConfigError(f"no results store at {db}", hint="run `hil run` first, or pass --db")
    with Store.open(db, create=False) as store:
        rid = store.latest_run_id() if run_id == "last" else run_id
        if rid is None:
            raise ConfigError(f"{db} holds no runs yet", hint="run `hil run` first")
        # Rows are numbered over the whole run, so `--result N` means the same row with or without --board.
        stored = dict(zip(store.result_ids(rid), store.run_results(rid), strict=True))
        result_id = {id(r): key for key, r in stored.items()}  # the store id of each shown result
        numbered = [(i, r) for i, r in enumerate(order_results(list(stored.values())), 1)]
        if result is not None:
            if result > len(numbered):
                raise ConfigError(
                    f"run {rid} has {len(numbered)} results; there is no result {result}",
                    hint=f"N is the # column of `hil show {rid}`",
                )
            numbered = [numbered[result - 1]]
        numbered = [(i, r) for i, r in numbered if board is None or r.board == board]
        results = [r for _, r in numbered]
        if not results:
            raise ConfigError(
                f"no results for run {rid}" + (f" on board {board}" if board else ""),
                hint="list runs with `hil history`; `hil show last` is the newest",
            )
        # A conversion serves every clip of its model and precision: show each distinct log once.
        # With --result N, only that result's logs (its conversion, replay, power...).
        only = result_id[id(results[0])] if result is not None else None
        logs = store.job_logs(rid, board=board, kind=log, result_id=only) if log else []
        logs = list({(x.board, x.kind, x.command, x.text): x for x in logs}.values())
    if log:
        if json:
            print_json(jsonlib.dumps([x.model_dump() for x in logs], indent=2, ensure_ascii=False))
            return
        if not logs:
            err.print(f"no {log} logs in run {rid}", markup=False)
        for entry in logs:
            out.rule(Text(f"{entry.board} · {entry.kind}"), characters="─")
            out.print(f"$ {entry.command}", style="bold", highlight=False, markup=False)
            out.print(entry.text, highlight=False, markup=False)
        return
    if result is not None:
        if json:
            print_json(results[0].model_dump_json(indent=2))
        else:
            render_result(rid, result, results[0], out)
        return
    summary = RunSummary(run_id=rid, status=overall_status(results), results=results)
    if json:
        print_json(with_compression(summary).model_dump_json(indent=2))
    else:
        render_run(summary, out, numbers=[i for i, _ in numbered])
        render_matrix(summary, out)
