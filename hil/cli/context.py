"""Resolving what a command works on: the inventory file, the selected boards, the simulated rack."""

from __future__ import annotations

from pathlib import Path

import hil
from hil.cli.common import hil_home
from hil.errors import ConfigError
from hil.inventory import Inventory, load_inventory, select_boards
from hil.inventory.spec import BoardSpec
from hil.platforms import names
from hil.sim import conformance
from hil.sim.rack import SimRack

REPO = Path(hil.__file__).resolve().parents[1]


def bundled(relative: str) -> Path:
    """A file of the repository (inventory/sim.yaml, artifacts/...): from the working folder if it has one,
    else from the checkout hil was installed from."""
    here = Path(relative)
    return here if here.exists() else REPO / relative


def inventory_path(given: Path | None) -> Path:
    return given if given is not None else bundled("inventory/sim.yaml")


def load(given: Path | None) -> Inventory:
    return load_inventory(inventory_path(given), names())


def boards(given: Path | None, where: list[str] | None) -> tuple[Inventory, list[BoardSpec]]:
    inv = load(given)
    return inv, select_boards(inv, where or [])


def rack() -> SimRack:
    home = hil_home()
    return SimRack(home / "sim", known_hosts())


def known_hosts() -> Path:
    return hil_home() / "known_hosts"


def build_host_of(inv: Inventory, board: BoardSpec) -> BoardSpec | None:
    """The board that converts for `board`, or None when it converts on itself."""
    if board.build_host is None or board.build_host == board.name:
        return None
    return board_named(inv, board.build_host)


def targets_only(inv: Inventory, boards: list[BoardSpec]) -> list[BoardSpec]:
    """The boards without those another board names as its build_host (hosts convert, they are not tested)."""
    hosts = {b.build_host for b in inv.boards.values() if b.build_host and b.build_host != b.name}
    return [b for b in boards if b.name not in hosts]


def require_build_hosts(inv: Inventory, boards: list[BoardSpec]) -> None:
    """A board whose vendor converts on an x86_64 host only (SNPE, TIDL: hil/sim/conformance) must name a
    build_host: a ConfigError naming every such board, before any board is touched. Simulated boards too:
    like the real ones, they have none of those tools."""
    missing = []
    for b in boards:
        tools = conformance.host_only(b.platform)
        if tools and build_host_of(inv, b) is None:
            missing.append(f"{b.name} ({b.platform}: {', '.join(sorted(tools))})")
    if missing:
        raise ConfigError(
            f"{inv.path}: no build_host for {'; '.join(missing)} - these run on an x86_64 host only",
            hint="add `build_host: NAME` to each board, NAME an x86_64 machine of the inventory with the "
            "vendor SDK (docs/real-boards.md; on the simulated rack a `sim: true` machine of the same "
            "platform, as inventory/sim.yaml has); `hil boards check` shows it per board",
        )


def board_named(inv: Inventory, name: str) -> BoardSpec:
    if name not in inv.boards:
        raise ConfigError(f"no board {name!r} in {inv.path}", hint="boards: " + ", ".join(inv.boards))
    return inv.boards[name]
