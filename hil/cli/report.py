"""`hil report html`: a stored run as one self-contained HTML page (for a CI artifact or an e-mail)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from hil.cli.common import DEFAULT_DB, DbOption, JsonOption, out, print_json

report_app = typer.Typer(
    help="Write a stored run as a report: one self-contained HTML page for a browser.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")


@report_app.command()
def html(
    run_id: Annotated[str, typer.Argument(help="Run id (see `hil history`), or 'last'.")] = "last",
    out_path: Annotated[Path, typer.Option("--out", "-o", help="The HTML file to write.")] = Path(
        "report.html"
    ),
    last: Annotated[int, typer.Option("--last", "-n", help="Results per series in the trends.")] = 30,
    db: DbOption = DEFAULT_DB,
    json_out: JsonOption = False,
) -> None:
    """Write one HTML page of a stored run that opens in any browser with no server and no network.

    The page holds: the run's header (when, inventory, suite, hil and model versions, fingerprints, exit
    code) and a verdict summary; per board the model x precision x clip matrix coloured by outcome, each
    cell linking to its result's details (every figure, budgets and regression checks, failure message,
    commands and the last lines of each log, its power trace; modelled power marked); per series p50/p99
    latency and accuracy over the last N results with regressions and noisy results marked and the
    baseline shaded; the compression table per board; for each regression, the frame-time distributions
    of the result and of its baseline side by side. Charts are drawn by uPlot, inlined in the page.

    Examples:
      hil report html last --out report.html
      hil report html 20261207-213625-85b6 -o nightly.html --last 60 --db nightly.sqlite
    """
    from hil.errors import ConfigError
    from hil.report.html import write_html
    from hil.store.reader import StoreReader

    with StoreReader.open(db) as store:
        rid = store.latest_run_id() if run_id == "last" else run_id
        if rid is None:
            raise ConfigError(f"no run in {db}", hint="run `hil run` first, or pass --db with a store")
        size = write_html(store, rid, out_path, last)
    if json_out:
        print_json(json.dumps({"run_id": rid, "path": str(out_path), "bytes": size}))
        return
    out.print(f"wrote {out_path} ({size / 1024:.0f} kB) for run {rid}", markup=False, highlight=False)
