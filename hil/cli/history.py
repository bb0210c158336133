"""`hil history`: past results from the store, newest first, as a table or JSON."""

from __future__ import annotations

from typing import Annotated, Literal, cast

import typer

from hil.cli.common import DEFAULT_DB, DbOption, JsonOption, err, out, print_json
from hil.report.history import history_json, render_history
from hil.report.trend import boundary_notes
from hil.store.reader import StoreReader

PRECISIONS = ("fp32", "fp16", "int16", "int8")  # hil.records.PRECISIONS, without importing pydantic

HELP = (
    "Past results from the store, newest first.\n\n"
    "Each row is one board x model x precision x clip of a `hil run`, or of `hil import` (marked "
    '"imported"). Filters match exactly and combine with AND. Latency in ms; a p99 shown as `n<662` '
    'had too few frames to mean anything. Power marked "~" is modelled (from a simulated board).\n\n'
    "Examples:\n\n"
    "  hil history --last 20\n\n"
    "  hil history -b orin-03 -m dms-v3 -p int8 -n 30\n\n"
    "  hil history -m dms-v3 --json | jq '.results[].p99'\n\n"
    "  hil history --db nightly.sqlite --source import\n\n"
    "  hil history -b orin-03 -p int8 --plot"
)


def history(
    board: Annotated[str | None, typer.Option("--board", "-b", help="Only this board (exact name).")] = None,
    model: Annotated[str | None, typer.Option("--model", "-m", help="Only this model (exact name).")] = None,
    precision: Annotated[
        str | None, typer.Option("--precision", "-p", help="Only this precision: fp32, fp16 or int8.")
    ] = None,
    last: Annotated[
        int | None, typer.Option("--last", "-n", min=1, help="At most N results (the newest).")
    ] = None,
    source: Annotated[
        str | None, typer.Option("--source", help="Only results from `run` or from `import`.")
    ] = None,
    plot: Annotated[
        bool, typer.Option("--plot", help="Plot median latency per run instead of listing (see hil trend).")
    ] = False,
    json_out: JsonOption = False,
    db: DbOption = DEFAULT_DB,
) -> None:
    if precision is not None and precision.lower() not in PRECISIONS:
        raise typer.BadParameter(
            f"{precision!r} is not one of {', '.join(PRECISIONS)}", param_hint="--precision"
        )
    if source is not None and source not in ("run", "import"):
        raise typer.BadParameter(f"{source!r} is not `run` or `import`", param_hint="--source")
    if plot:
        from hil.cli.trend import show_plot
        from hil.report.trend import series, trend_rows

        filters = {"board": board, "model": model, "precision": precision and precision.lower(), "clip": None}
        with StoreReader.open(db) as store:
            found = series(trend_rows(store, filters, last), "latency")
        if not found:
            err.print(f"no results in {db} match", highlight=False)
            return
        show_plot(found)
        return
    with StoreReader.open(db) as store:
        rows = store.history(
            board=board,
            model=model,
            precision=None if precision is None else precision.lower(),
            last=last,
            source=cast(Literal["run", "import"] | None, source),
        )
        notes = [] if json_out else boundary_notes(store, [r.result_id for r in rows])
    if json_out:
        # Plain text, not rich markup: JSON must reach `jq` byte for byte.
        print_json(history_json(rows))
        return
    if not rows:
        err.print(f"no results in {db} match", highlight=False)
        return
    render_history(rows, out)
    for note in notes:  # a toolchain, power-mode or clock change: results before it are not a baseline
        out.print(note, style="yellow", markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    app.command("history", help=HELP)(history)
