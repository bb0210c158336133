"""`hil import`: store a trtexec run or tegrastats power log made by hand as a result in the history."""

from __future__ import annotations

import secrets
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from hil.cli import context
from hil.cli.common import DEFAULT_DB, DbOption, InventoryOption, JsonOption, err, print_json
from hil.errors import ConfigError, HilError
from hil.measure.budgets import Budgets
from hil.parsers.tegrastats import parse_tegrastats
from hil.parsers.trtexec import parse_trtexec
from hil.records import PRECISIONS, Precision
from hil.runs.importer import from_tegrastats, from_trtexec
from hil.store.db import Store

KINDS = ("trtexec", "tegrastats")


def register(app: typer.Typer) -> None:
    app.command(name="import")(import_result)


def _budgets(inventory: Path | None, board: str) -> tuple[str | None, Budgets]:
    """The board's platform and budgets when the inventory knows it; else the field's defaults."""
    try:
        inv = context.load(inventory)
    except HilError:
        if inventory is not None:
            raise
        return None, Budgets()
    spec = inv.boards.get(board)
    if spec is None:
        return None, Budgets()
    b = spec.budgets
    return spec.platform, Budgets(b.latency_ms, b.power_w, b.memory_mb, b.accuracy)


def import_result(
    kind: Annotated[str, typer.Argument(help="What FILE is: trtexec (a log) or tegrastats (a --logfile).")],
    file: Annotated[Path, typer.Argument(help="The tool's output, as it printed it.")],
    board: Annotated[str, typer.Option("--board", "-b", help="The board it was measured on.")],
    model: Annotated[str, typer.Option("--model", "-m", help="The model's name, as in hil history.")],
    precision: Annotated[
        str | None,
        typer.Option("--precision", "-p", help="fp32, fp16 or int8 (trtexec: read from the log if absent)."),
    ] = None,
    platform: Annotated[
        str, typer.Option(help="Platform when the inventory does not know the board.")
    ] = "orin",
    inventory: InventoryOption = None,
    db: DbOption = DEFAULT_DB,
    json: JsonOption = False,
) -> None:
    """Store a measurement made by hand so it joins the board's history, marked as imported.

    trtexec: the last PASSED run's GPU compute time becomes the (device) latency, its throughput the fps.
    The percentiles are trtexec's own (stored as such, `percentiles_from: trtexec`); how many queries
    they cover is not printed, so n is stored as unknown (null), and a percentile trtexec did not print
    stays empty (never the mean).
    tegrastats: the mean total input power over the samples (VDD_IN, or the board's total rail).
    Budgets are the board's from the inventory when it lists the board, else the defaults.

    Examples:
      hil import trtexec bench.log --board orin-03 --model dms-v3
      hil import tegrastats power.log --board orin-03 --model dms-v3 --precision int8
    """
    if kind not in KINDS:
        raise ConfigError(f"cannot import {kind!r}", hint=f"KIND is one of: {', '.join(KINDS)}")
    if precision is not None and precision not in PRECISIONS:
        raise ConfigError(f"unknown precision {precision!r}; choose from {', '.join(PRECISIONS)}")
    if not file.is_file():
        raise ConfigError(f"{file} does not exist")
    text = file.read_text(errors="replace")
    known_platform, budgets = _budgets(inventory, board)
    chosen: Precision | None = precision
    if kind == "trtexec":
        result = from_trtexec(parse_trtexec(text), board, known_platform or platform, model, chosen, budgets)
    else:
        if chosen is None:
            raise ConfigError("a tegrastats log does not say the precision", hint="pass --precision")
        result = from_tegrastats(
            parse_tegrastats(text), board, known_platform or platform, model, chosen, budgets
        )
    run_id = time.strftime("import-%Y%m%d-%H%M%S-") + secrets.token_hex(2)
    with Store.open(db) as store:
        store.begin_run(run_id, inventory="", argv=sys.argv[1:])
        store.record_job(run_id, result, [], [])
        store.finish_run(run_id, result.status)
    if json:
        print_json(result.model_dump_json(indent=2))
    else:
        err.print(
            f"imported {kind} {file.name} as {board}/{model}/{result.precision} into {db} (run {run_id})"
        )
    lat = result.latency_ms
    if lat is not None and lat.percentiles_from:  # on stderr, so `--json | jq` still works
        missing = [name for name in ("p50", "p90", "p99") if getattr(lat, name) is None]
        err.print(
            f"latency statistics are {lat.percentiles_from}'s own, over an unknown sample count (n: null)"
            + (f"; not printed, so left empty: {', '.join(missing)}" if missing else ""),
            style="dim",
            markup=False,
        )
