"""`hil trend`: a metric over runs, plotted in the terminal, per board x model x precision x clip."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from hil.cli.common import DEFAULT_DB, DbOption, JsonOption, err, out

HELP = (
    "Plot a metric over runs in the terminal, per board x model x precision x clip.\n\n"
    "The default is the median latency with its p99 band (p90 where a "
    "result has too few frames for a p99); --metric picks another. Fingerprint changes (a new toolchain, "
    "power mode or clocks: a new baseline series) are vertical lines, regressions are marked x. When "
    "several series match, each also gets a sparkline.\n\n"
    "Metrics: latency, p99, accuracy, fps, power, energy, memory.\n\n"
    "Examples:\n\n"
    "  hil trend -b orin-03 -m dms-v3 -p int8 -n 30\n\n"
    "  hil trend -m dms-v3 --metric accuracy\n\n"
    "  hil trend -b orin-03 --json | jq '.series[0].points[].value'"
)

BoardOpt = Annotated[str | None, typer.Option("--board", "-b", help="Only this board (exact name).")]
ModelOpt = Annotated[str | None, typer.Option("--model", "-m", help="Only this model (exact name).")]
PrecisionOpt = Annotated[str | None, typer.Option("--precision", "-p", help="fp32, fp16 or int8.")]
ClipOpt = Annotated[str | None, typer.Option("--clip", "-c", help="Only this clip (exact name).")]
LastOpt = Annotated[int | None, typer.Option("--last", "-n", min=1, help="The newest N results.")]


def trend(
    board: BoardOpt = None,
    model: ModelOpt = None,
    precision: PrecisionOpt = None,
    clip: ClipOpt = None,
    metric: Annotated[
        str, typer.Option(help="latency, p99, accuracy, fps, power, energy, memory.")
    ] = "latency",
    last: LastOpt = None,
    json_out: JsonOption = False,
    db: DbOption = DEFAULT_DB,
) -> None:
    from hil.report.trend import METRICS, series, trend_rows
    from hil.store.reader import StoreReader

    if metric not in METRICS:
        raise typer.BadParameter(f"{metric!r} is not one of {', '.join(METRICS)}", param_hint="--metric")
    filters = {"board": board, "model": model, "precision": precision, "clip": clip}
    with StoreReader.open(db) as store:
        rows = trend_rows(store, filters, last)
    found = series(rows, metric)
    if json_out:
        out.print(json.dumps({"series": found}, indent=2), markup=False, highlight=False, emoji=False)
        return
    if not found:
        err.print(f"no results in {db} match", highlight=False)
        return
    show_plot(found)


def show_plot(found: list[dict[str, Any]]) -> None:
    """Print the plot of `found` series, then a sparkline and the boundaries per series."""
    from rich.text import Text

    from hil.report.plot import plot_series, sparkline

    width = max(40, min(out.width, 140))
    canvas = plot_series(found, width=width, height=20, colour=out.is_terminal)
    out.print(Text.from_ansi(canvas))
    for s in found:
        points = s["points"]
        values = [p["value"] for p in points]
        name = " ".join(s["key"].values())
        marks = "".join("x" if p["status"] == "regression" else " " for p in points)
        known = [v for v in values if v is not None]
        last = f"last {known[-1]:.4g}" if known else "no values"
        out.print(f"{name}  {sparkline(values)}  {last}", markup=False, highlight=False)
        if "x" in marks:
            out.print(f"{' ' * len(name)}  {marks}  x = regression", markup=False, highlight=False)
        for b in s["boundaries"]:
            changed = ", ".join(f"{k} {v[0]} -> {v[1]}" for k, v in b["changed"].items())
            out.print(f"  new series from run {b['run_id']}: {changed}", markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    app.command("trend", help=HELP)(trend)
