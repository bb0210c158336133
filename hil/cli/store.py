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


@store_app.command()
def prune(
    keep_days: Annotated[
        float, typer.Option("--keep-days", help="Keep every frame and log of results newer than this.")
    ] = 90,
    keep_baseline: Annotated[
        int,
        typer.Option(
            "--keep-baseline",
            help="Results per series that stay whole as its baseline (the regression check's k, default 5).",
        ),
    ] = 5,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be freed; change nothing.")
    ] = False,
    db: DbOption = DEFAULT_DB,
    json_out: JsonOption = False,
) -> None:
    """Delete the per-frame samples and logs of old results; keep every summary and every baseline.

    A result older than --keep-days loses its frames and logs unless it is one of the last --keep-baseline
    results of its series that a regression check compares with (pass or fail, not noisy), which stay
    whole whatever their age. Every result's row (figures, budgets, verdict) is kept for ever: history,
    trend, compare and the HTML report's trends still show it. The file shrinks (VACUUM) afterwards.

    Examples:
      hil store prune --dry-run
      hil store prune --keep-days 30 --db nightly.sqlite
    """
    import sqlite3

    from hil.errors import ConfigError
    from hil.store.prune import prune as prune_store
    from hil.store.reader import StoreReader

    if keep_days < 0 or keep_baseline < 1:
        raise typer.BadParameter("--keep-days must be >= 0 and --keep-baseline >= 1")
    StoreReader.open(db).close()  # an older store is migrated first; a foreign file is refused
    conn = sqlite3.connect(db, timeout=30)
    try:
        report = prune_store(conn, Path(db), keep_days, dry_run=dry_run, k=keep_baseline)
    except sqlite3.OperationalError as exc:
        raise ConfigError(
            f"cannot prune {db}: {exc}", hint="is another hil writing it? try again later"
        ) from exc
    finally:
        conn.close()
    if json_out:
        doc = {k: v for k, v in report.__dict__.items() if k != "ids"}
        out.print(json.dumps(doc, indent=2), markup=False, highlight=False)
        return
    verb = "would free" if dry_run else "freed"
    out.print(
        f"{verb} {report.bytes_freed / 1e6:.1f} MB: the samples and logs of {report.results_pruned} results "
        f"older than {keep_days:g} days ({report.packs} sample packs, {report.logs} logs); "
        f"{report.baselines_kept} older results kept whole (still a baseline); every result's summary kept",
        markup=False,
        highlight=False,
    )
    if report.file_bytes_after is not None:
        out.print(
            f"{db}: {report.file_bytes_before / 1e6:.1f} MB -> {report.file_bytes_after / 1e6:.1f} MB",
            markup=False,
            highlight=False,
        )


@store_app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="Address to listen on. Loopback by default: only this machine can connect.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0: any free one; the URL printed says which).")] = 8001,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Open the results store read-only in a browser, through Datasette (the optional extra 'web').

    Every table with the units and meaning of each column (docs/results.md), and canned queries: the
    latest result per board, the regressions of the last 7 days, one series' history, one result's logs.
    The store is opened immutable: nothing is ever written to it. A store being migrated or still being
    written by a run, or at another schema version, is refused. Ctrl-C stops the server.

    Examples:
      hil store serve
      hil store serve --db nightly.sqlite --port 0
      hil store serve --host 0.0.0.0 --port 8001   (anyone who can reach this machine can read the store)
    """
    import socket

    from hil.errors import ConfigError
    from hil.store.web import app

    application = app(db)
    import uvicorn  # installed with datasette (the 'web' extra), which app() has just checked

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(
            f"cannot listen on {host}:{port}: {exc.strerror}", hint="pass another --port"
        ) from exc
    sock.listen(128)
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    out.print(
        f"serving {db} read-only at http://{shown}:{bound}/ (Ctrl-C stops)", markup=False, highlight=False
    )
    server = uvicorn.Server(uvicorn.Config(application, log_level="warning"))
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
