"""`hil boards list | trust`: the boards of an inventory, and recording a board's SSH host key on purpose."""

from __future__ import annotations

import json as jsonlib
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from hil.cli import context
from hil.cli.common import InventoryOption, JsonOption, WhereOption, err, out, print_json
from hil.errors import HilError
from hil.runs.context import read_facts
from hil.runs.target import target_for
from hil.sim.keys import add_known_host
from hil.transport.ssh import fetch_host_key

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
    table = Table("board", "platform", "address", "user", "sim", "tags", "budgets")
    for b in boards:
        bud = b.budgets
        table.add_row(
            b.name, b.platform, f"{b.ansible_host}:{b.ansible_port}", b.ansible_user, "yes" if b.sim else "",
            ",".join(b.tags),
            f"<{bud.latency_ms:g} ms, <{bud.power_w:g} W, <{bud.memory_mb:g} MB, >={bud.accuracy:.0%}",
        )  # fmt: skip
    out.print(table)


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
    """Connect to boards (strict host keys) and read their facts; exit 3 if any cannot be used.

    Simulated boards must be up (`hil sim up`) for this; `hil run` starts them by itself.
    """
    inv, boards = context.boards(inventory, where)
    if name:
        boards = [context.board_named(inv, n) for n in name]
    rack = context.rack()
    checked: list[tuple[str, dict[str, str] | HilError]] = []
    for b in boards:
        target = target_for(b, context.known_hosts(), rack.client_key)
        try:
            checked.append((b.name, read_facts(target)))
        except HilError as exc:
            checked.append((b.name, exc))
    failures = [r for _, r in checked if isinstance(r, HilError)]
    if json:
        rows = [
            {"board": n, "ok": False, "error": r.message, "hint": r.hint}
            if isinstance(r, HilError)
            else {"board": n, "ok": True, "facts": r}
            for n, r in checked
        ]
        print_json(jsonlib.dumps(rows, indent=2))
    else:
        table = Table("board", "state", "facts")
        for n, r in checked:
            if isinstance(r, HilError):
                table.add_row(n, "[red]unusable[/]", r.message)
            else:
                shown = ", ".join(f"{k}={v}" for k, v in r.items() if k != "home" and v)
                table.add_row(n, "[green]ok[/]", shown)
        out.print(table)
    for failure in failures:
        err.print(Text.assemble(("error: ", "red"), failure.message), highlight=False)
        if failure.hint:
            err.print(Text.assemble(("hint: ", "yellow"), failure.hint), highlight=False)
    if failures:
        raise typer.Exit(max(f.exit_code for f in failures))
