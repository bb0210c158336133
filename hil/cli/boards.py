"""`hil boards list | trust | check | release | health | set-state`: the boards of an inventory, their SSH
host keys, their run leases and their health."""

from __future__ import annotations

import json as jsonlib
import sys
from typing import Annotated

import typer
from rich.text import Text

from hil.cli import context
from hil.cli.common import (
    DEFAULT_DB,
    DbOption,
    InventoryOption,
    JsonOption,
    WhereOption,
    err,
    out,
    print_json,
)
from hil.errors import ConfigError, HilError
from hil.inventory import Inventory
from hil.inventory.spec import BoardSpec, BudgetSpec
from hil.platforms import get as get_platform
from hil.report.layout import Cell, Column, dropped_note, fit_table, print_table
from hil.runs.context import facts_of
from hil.runs.doctor import Finding, as_json, diagnose
from hil.runs.lease import break_lease, describe, holder_is_dead, read_holder
from hil.runs.run import Run, RunOptions
from hil.runs.suite import build_suite
from hil.runs.target import allowances, target_for
from hil.sim.keys import add_known_host
from hil.store.db import Store
from hil.transport.ssh import BoardConnection, fetch_host_key

boards_app = typer.Typer(help="The boards of an inventory, and their SSH host keys.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(boards_app, name="boards")


@boards_app.command("list")
def list_boards(
    inventory: InventoryOption = None, where: WhereOption = None, json: JsonOption = False
) -> None:
    """List the selected boards with their platform, address, tags and budgets."""
    _, boards = context.boards(inventory, where)
    if json:
        rows = [b.model_dump(mode="json", exclude={"ansible_vars"}) for b in boards]
        print_json(jsonlib.dumps(rows, indent=2))
        return
    columns = [
        Column("board"), Column("platform"), Column("address", 1), Column("user", 3), Column("sim", 2),
        Column("tags", 2, fold=True), Column("budgets", 1, fold=True, max_width=40),
    ]  # fmt: skip
    cells: list[list[Cell]] = []
    for b in boards:
        bud = b.budgets
        cells.append([
            b.name, b.platform, f"{b.ansible_host}:{b.ansible_port}", b.ansible_user, "yes" if b.sim else "",
            ",".join(b.tags),
            _budget_text(b.budget_profile, bud, get_platform(b.platform).precisions),
        ])  # fmt: skip
    _print_fitted(columns, cells, "every column: hil boards list --json")


def _budget_text(profile: str, bud: BudgetSpec, offered: tuple[str, ...]) -> str:
    """The budgets and loss allowances that will judge this board's results (docs/results.md)."""
    parts = [f"{profile}: <{bud.latency_ms:g} ms, <{bud.power_w:g} W, <{bud.memory_mb:g} MB"]
    parts.append(f"acc >={bud.accuracy:.0%}")
    parts += [f"fps >={bud.fps_min:g}"] if bud.fps_min is not None else []
    parts += [f"AP50 >={bud.map50_min:g}"] if bud.map50_min is not None else []
    parts += [f"NME <={bud.nme_max:g}"] if bud.nme_max is not None else []
    parts += [f"recall[{k}] >={v:g}" for k, v in bud.recall_min.items()]
    loss = allowances(bud.loss)
    if not loss.enabled:
        parts.append("loss vs fp32 off")
    else:
        points = ", ".join(f"{p} {v:g}" for p, v in loss.points.items() if p in offered)
        parts.append(f"loss vs fp32 (pt): {points}; NME +{loss.nme_pct:g} %; error +{loss.error_pct:g} %")
        parts += ["events found at fp32 kept"] if loss.events else []
    return ", ".join(parts)


@boards_app.command()
def trust(
    name: Annotated[str, typer.Argument(help="Board name from the inventory.")],
    inventory: InventoryOption = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Record the host key a board presents now as trusted (after a re-image, or for a new board).

    Check the fingerprint against the board's console (`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub`)
    before you accept it: trusting a key blindly defeats the check.
    """
    inv = context.load(inventory)
    board = context.board_named(inv, name)
    endpoint = target_for(board, context.known_hosts(), context.rack().client_key).endpoint
    key = fetch_host_key(endpoint)
    err.print(f"{name} ({endpoint.host}:{endpoint.port}) presents {key.get_name()} {key.fingerprint}")
    if not yes and not typer.confirm("Trust this key?", err=True):
        raise typer.Exit(1)
    known = endpoint.known_hosts or context.known_hosts()
    add_known_host(known, endpoint.host, endpoint.port, f"{key.get_name()} {key.get_base64()}")
    err.print(f"recorded in {known}")


@boards_app.command()
def check(
    name: Annotated[list[str] | None, typer.Argument(help="Board names (default: all selected).")] = None,
    inventory: InventoryOption = None,
    where: WhereOption = None,
    json: JsonOption = False,
) -> None:
    """A first-board doctor: connect (strict host keys), read each board's facts and say what hil found:
    toolchain and version, Python and the harness's modules, tools that belong on a build host, power rails
    and which is the total, clocks and governor, temperature, free disk. Each problem comes with its fix.
    Exit 3 if any board cannot be reached or has a problem a run would fail on.

    Simulated boards must be up (`hil sim up`) for this; `hil run` starts them by itself.
    """
    inv, boards = context.boards(inventory, where)
    if name:
        boards = [context.board_named(inv, n) for n in name]
    rack = context.rack()
    checked: list[tuple[str, list[Finding] | HilError, dict[str, str]]] = []
    for b in boards:
        build_host = context.board_named(inv, b.build_host) if b.build_host else None
        target = target_for(b, context.known_hosts(), rack.client_key, build_host)
        try:
            with BoardConnection(target.endpoint) as conn:
                facts = facts_of(target.platform, conn)
                checked.append((b.name, diagnose(target, conn, facts), facts))
        except HilError as exc:
            checked.append((b.name, exc, {}))
    failures = [r for _, r, _ in checked if isinstance(r, HilError)]
    troubled = [
        n for n, r, _ in checked if not isinstance(r, HilError) and any(f.status == "problem" for f in r)
    ]
    if json:
        rows = [
            {"board": n, "ok": False, "error": r.message, "hint": r.hint}
            if isinstance(r, HilError)
            else {"board": n, "ok": n not in troubled, "findings": as_json(r), "facts": facts}
            for n, r, facts in checked
        ]
        print_json(jsonlib.dumps(rows, indent=2, ensure_ascii=False))
    else:
        cells: list[list[Cell]] = []
        styles = {"ok": "green", "problem": "red", "note": "yellow"}
        for n, r, _ in checked:  # plain Text: an error message's "[errno 111]" is not markup
            if isinstance(r, HilError):
                cells.append([n, "ssh", Text("unusable", style="red"), r.message, r.hint or ""])
                continue
            for f in r:
                cells.append([n, f.area, Text(f.status, style=styles[f.status]), f.detail, f.fix])
        columns = [Column("board"), Column("area"), Column("state"), Column("found", fold=True),
                   Column("fix", fold=True)]  # fmt: skip
        _print_fitted(columns, cells, "")
    for failure in failures:
        err.print(Text.assemble(("error: ", "red"), failure.message), highlight=False)
        if failure.hint:
            err.print(Text.assemble(("hint: ", "yellow"), failure.hint), highlight=False)
    for board in troubled:
        err.print(Text.assemble(("error: ", "red"), f"{board}: problems a run would fail on (see fix)"))
    if failures:
        raise typer.Exit(max(f.exit_code for f in failures))
    if troubled:
        raise typer.Exit(3)


@boards_app.command()
def release(
    name: Annotated[str, typer.Argument(help="Board name from the inventory.")],
    inventory: InventoryOption = None,
    force: Annotated[
        bool, typer.Option("--force", help="Break the lease even if its holder may be alive.")
    ] = False,
) -> None:
    """Break a board's run lease and say who held it.

    A lease whose holder died on this host is broken without --force (hil run does that by itself too);
    a live holder's, or one from another host, needs --force: that run then stops the board's jobs as
    infra_error when it notices.
    """
    inv = context.load(inventory)
    board = context.board_named(inv, name)
    target = target_for(board, context.known_hosts(), context.rack().client_key)
    with BoardConnection(target.endpoint) as conn:
        lease = read_holder(conn)
        if lease is None:
            err.print(f"{name}: no lease; the board is free")
            return
        holder, left = lease
        who = describe(holder)
        dead = holder_is_dead(holder)
        if not (dead or force):
            err.print(f"{name}: leased by {who} for {left} s more; that holder may still be running")
            err.print(f"hint: stop that run, or break the lease anyway: hil boards release {name} --force")
            raise typer.Exit(1)
        if not break_lease(conn, holder):
            err.print(f"{name}: the lease changed while releasing it; run the command again")
            raise typer.Exit(1)
    err.print(f"{name}: released the lease of {who}" + (" (that process is gone)" if dead else " (forced)"))


@boards_app.command()
def health(
    name: Annotated[list[str] | None, typer.Argument(help="Board names (default: all selected).")] = None,
    inventory: InventoryOption = None,
    where: WhereOption = None,
    db: DbOption = DEFAULT_DB,
    json: JsonOption = False,
    check: Annotated[
        bool,
        typer.Option(
            "--check", help="First run the bundled model on a short clip there; a board that works is good."
        ),
    ] = False,
) -> None:
    """Each board's health as runs recorded it: good, suspect, bad (quarantined) or maintenance.

    A board becomes suspect after an infrastructure error, bad after N in a row (hil run
    --quarantine-after) or when its recovery ladder fails; runs skip bad and maintenance boards until
    `hil boards set-state NAME good`.
    """
    inv, boards = context.boards(inventory, where)
    names = name or [b.name for b in boards]
    for n in names:
        context.board_named(inv, n)
    with Store.open(db) as store:
        if check:
            _health_check(inv, [context.board_named(inv, n) for n in names], store)
        rows = [store.health(n) for n in names]
    if json:
        typer.echo(jsonlib.dumps(rows, indent=2))
        return
    colours = {"good": "green", "suspect": "yellow", "bad": "red", "maintenance": "blue"}
    columns = [
        Column("board"), Column("state"), Column("consecutive infra errors", 0, "right", short="infra errs"),
        Column("reason", fold=True), Column("since", 1),
    ]  # fmt: skip
    cells: list[list[Cell]] = [
        [r["name"], Text(r["state"], style=colours[r["state"]]), str(r["consecutive_infra"]), r["reason"],
         r["updated_at"] or ""]
        for r in rows
    ]  # fmt: skip
    _print_fitted(columns, cells, "every column: hil boards health --json")


@boards_app.command("set-state")
def set_state(
    name: Annotated[str, typer.Argument(help="Board name from the inventory.")],
    state: Annotated[str, typer.Argument(help="maintenance (runs skip it) or good (back in service).")],
    inventory: InventoryOption = None,
    db: DbOption = DEFAULT_DB,
    reason: Annotated[str, typer.Option(help="Why, for the next person.")] = "",
) -> None:
    """Take a board out of service (maintenance) or put it back (good), e.g. after fixing a bad one."""
    if state not in ("maintenance", "good"):
        raise ConfigError(f"cannot set state {state!r}", hint="choose maintenance or good")
    context.board_named(context.load(inventory), name)
    with Store.open(db) as store:
        before = store.health(name)["state"]
        store.set_health(
            name, "good" if state == "good" else "maintenance", reason or "set by hand", consecutive=0
        )
    err.print(f"{name}: {before} -> {state}")


def _health_check(inv: Inventory, boards: list[BoardSpec], store: Store) -> None:
    """A known-good model on a short reference clip, run even on quarantined boards; the run's outcome
    updates each board's health (a board that ran it, pass or fail, works)."""
    from hil.cli.run import DEFAULT_MODEL, default_clips

    suite = build_suite(
        [context.bundled(DEFAULT_MODEL)], default_clips()[:1], ["fp32"], warmup=2, max_frames=8
    )
    rack = context.rack()
    builders = {b.name: context.build_host_of(inv, b) for b in boards}
    targets = [target_for(b, context.known_hosts(), rack.client_key, builders[b.name]) for b in boards]
    sims = [b for b in [*boards, *(x for x in builders.values() if x)] if b.sim]
    options = RunOptions(include_quarantined=True, retries=0)
    run = Run(targets, suite, store, options=options, rack=rack, sim_specs=sims, inventory=str(inv.path),
              argv=sys.argv[1:])  # fmt: skip
    outcome = run.execute()
    for r in outcome.summary.results:
        err.print(
            f"health check {r.board}: {r.status}" + (f" ({r.error})" if r.error else ""), highlight=False
        )


def _print_fitted(columns: list[Column], rows: list[list[Cell]], where: str) -> None:
    """A table that fits the terminal (plain Text cells), naming any columns a narrow one left out."""
    fitted = fit_table(out, columns, rows)
    print_table(out, fitted.table)
    note = dropped_note(fitted.dropped, where) if where else None
    if note is not None:
        out.print(note, highlight=False, soft_wrap=False)
