"""`select_boards`: pick boards with `--where KEY=VALUE` terms, ANDed; VALUE may be a glob."""

from __future__ import annotations

from collections.abc import Callable
from fnmatch import fnmatchcase

from hil.errors import InventoryError
from hil.inventory.spec import BoardSpec, Inventory

KEYS = ("name", "platform", "group", "tag", "sim")
BOOLEANS = {"true": True, "false": False}
HINT = "terms are KEY=VALUE with KEY one of name, platform, group, tag, sim; VALUE may be a glob (orin-*)"


def select_boards(inv: Inventory, where: list[str]) -> list[BoardSpec]:
    """The boards matching every term, in file order. No terms: every board."""
    tests = [_term(inv, term) for term in where]
    chosen = [board for board in inv.boards.values() if all(test(board) for test in tests)]
    if not chosen:
        raise InventoryError(
            f"{inv.path}: no board matches {' '.join(where)}",
            hint=f"boards: {', '.join(_describe(inv, board) for board in inv.boards.values())}",
        )
    return chosen


def _term(inv: Inventory, term: str) -> Callable[[BoardSpec], bool]:
    key, equals, pattern = term.partition("=")
    key, pattern = key.strip(), pattern.strip()
    if not equals or not key or not pattern:
        hint = f"to select the board {term}: --where name={term}" if term in inv.boards else HINT
        raise InventoryError(f"malformed selection {term!r}: expected KEY=VALUE", hint=hint)
    if key == "name":
        return lambda board: fnmatchcase(board.name, pattern)
    if key == "platform":
        return lambda board: fnmatchcase(board.platform, pattern)
    if key == "tag":
        return lambda board: any(fnmatchcase(tag, pattern) for tag in board.tags)
    if key == "group":
        groups = [name for name in inv.groups if fnmatchcase(name, pattern)]
        members = {board for name in groups for board in inv.groups[name]}
        return lambda board: board.name in members
    if key == "sim":
        wanted = BOOLEANS.get(pattern.lower())
        if wanted is None:
            raise InventoryError(f"bad selection {term!r}: sim is true or false", hint=HINT)
        return lambda board: board.sim is wanted
    raise InventoryError(
        f"unknown selection key {key!r} in {term!r} (valid keys: {', '.join(KEYS)})", hint=HINT
    )


def _describe(inv: Inventory, board: BoardSpec) -> str:
    """`orin-01 (orin; rack; nightly,agx)`: what a user needs to write a term that matches."""
    groups = ",".join(group for group in inv.groups_of(board.name) if group != "all")
    details = [board.platform, groups, ",".join(board.tags)]
    return f"{board.name} ({'; '.join(part for part in details if part)})"
