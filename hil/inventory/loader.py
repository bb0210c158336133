"""`load_inventory`: read the YAML, resolve every board's variables, validate them into `BoardSpec`s.

Every problem becomes an `InventoryError` whose message reads `FILE:LINE: PATH: what is wrong`, with the
line where the offending value is written (for an inherited value, the group's line). All problems of
all boards are reported at once, one per line, so a user fixes a file in one pass.
"""

from __future__ import annotations

import contextlib
import getpass
from collections.abc import Collection
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from hil.inventory.document import Document, Problem, YamlPath, did_you_mean, raise_problems, read_document
from hil.inventory.layout import Layout, Resolved, read_layout
from hil.inventory.spec import BoardSpec, BudgetSpec, Inventory, JumpHostSpec, PowerSpec

# The mappings inside a board, to name their valid keys when one is unknown.
NESTED: dict[str, type[BaseModel]] = {"budgets": BudgetSpec, "power": PowerSpec, "jump_host": JumpHostSpec}
HINTS = {
    "budgets": "budgets: latency_ms, power_w, memory_mb (maxima), accuracy (a fraction: 0.95 is 95 %), "
    "fps_min, map50_min, nme_max, judge_modelled_power",
    "budget_profiles": "budget_profiles: {NAME: {latency_ms, power_w, memory_mb, accuracy, fps_min, ...}}",
    "budget_profile": "budget_profile names a profile: default, in-vehicle, or one of budget_profiles",
    "power": "power: {source: tegrastats|hwmon|command|none, command: ..., hwmon_path: ..., interval_ms: N}",
    "jump_host": "jump_host is written [user@]host[:port], e.g. ops@rack-controller:22",
}


def load_inventory(path: Path, known_platforms: Collection[str]) -> Inventory:
    """Read the inventory at `path`. `known_platforms`: the platform keys a board may name."""
    doc = read_document(path)
    layout = read_layout(doc)
    if not layout.hosts:
        raise doc.error(("all",), "the inventory defines no boards", "add boards under a group's 'hosts'")
    boards: dict[str, BoardSpec] = {}
    resolved: dict[str, Resolved] = {}
    problems: list[Problem] = []
    for name in layout.hosts:
        resolved[name] = layout.resolve(name)
        board = _validate(doc, layout, name, resolved[name], known_platforms, problems)
        if board is not None:
            boards[name] = board
    if not problems:
        boards = _link_build_hosts(doc, boards, resolved, problems)
    raise_problems(problems)
    groups = {name: layout.members(name) for name in layout.groups}
    return Inventory(path=path, boards=boards, groups=groups)


def _validate(
    doc: Document,
    layout: Layout,
    name: str,
    resolved: Resolved,
    known_platforms: Collection[str],
    problems: list[Problem],
) -> BoardSpec | None:
    data = _board_data(name, resolved.values)
    try:
        return BoardSpec.model_validate(data, context={"known_platforms": known_platforms})
    except ValidationError as exc:
        for error in exc.errors():
            where = _where(error, layout.hosts[name].path, resolved)
            problems.append(doc.problem(where, *_describe(error, known_platforms)))
        return None


def _board_data(name: str, values: dict[str, Any]) -> dict[str, Any]:
    """The fields of a board: Ansible's defaults first (host = its name, user = the local user)."""
    data: dict[str, Any] = {"name": name, "ansible_host": name}
    with contextlib.suppress(KeyError, OSError):  # no login name known: ansible_user must be written
        data["ansible_user"] = getpass.getuser()
    ansible_vars: dict[str, Any] = {}
    for key, value in values.items():
        if key.startswith("ansible_") and key not in BoardSpec.model_fields:
            ansible_vars[key] = value
        else:
            data[key] = value
    data["ansible_vars"] = ansible_vars
    return data


def _where(error: ErrorDetails, board_path: YamlPath, resolved: Resolved) -> YamlPath:
    """Map a validation error's location to where the value is written (maybe in a group's vars)."""
    loc = tuple(error["loc"])
    for end in range(len(loc), 0, -1):
        key = tuple(part for part in loc[:end] if isinstance(part, str))
        if len(key) == end and key in resolved.origins:
            return (*resolved.origins[key], *loc[end:])
    return (*board_path, *loc)  # not written anywhere (a missing field): point at the board


def _describe(error: ErrorDetails, known_platforms: Collection[str]) -> tuple[str, str | None]:
    loc, kind = error["loc"], error["type"]
    field = str(loc[0]) if loc else ""
    if field == "platform":
        hint: str | None = f"known platforms: {', '.join(sorted(known_platforms)) or '(none)'}"
    else:
        hint = HINTS.get(field)
    if kind == "extra_forbidden":
        key = str(loc[-1])
        nested = NESTED.get(field)
        valid = list(nested.model_fields) if nested and len(loc) == 2 else []
        return f"unknown key {key!r}{did_you_mean(key, valid)}", hint or f"valid keys: {', '.join(valid)}"
    if kind == "missing":
        if loc == ("platform",):
            return "missing 'platform'", f"set 'platform' on the board or on one of its groups; {hint}"
        return f"missing {str(loc[-1])!r}", hint
    if kind == "value_error":
        return error["msg"].removeprefix("Value error, "), hint
    shown = repr(error["input"])
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return f"{error['msg']} (got {shown})", hint


def _link_build_hosts(
    doc: Document, boards: dict[str, BoardSpec], resolved: dict[str, Resolved], problems: list[Problem]
) -> dict[str, BoardSpec]:
    """Check each build_host names a board (a board named as its own build host converts on itself), and
    tell each build host which boards it converts for."""
    linked: dict[str, BoardSpec] = {}
    for name, board in boards.items():
        if board.build_host == name:
            board = board.model_copy(update={"build_host": None})
        elif board.build_host is not None and board.build_host not in boards:
            where = resolved[name].origins[("build_host",)]
            message = f"build_host {board.build_host!r} is not a board of this inventory"
            suggestion = did_you_mean(board.build_host, boards)
            problems.append(doc.problem(where, message + suggestion, f"boards: {', '.join(boards)}"))
        linked[name] = board
    served: dict[str, list[str]] = {}
    for name, board in linked.items():
        if board.build_host is not None and board.build_host in linked:
            served.setdefault(board.build_host, []).append(name)
    return {name: b.model_copy(update={"build_host_for": served.get(name, [])}) for name, b in linked.items()}
