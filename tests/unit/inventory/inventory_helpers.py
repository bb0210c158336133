"""Shared by the inventory tests (a unique module name, so it never clashes with other test folders)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

PLATFORMS = frozenset({"orin", "qcs8255", "tda4vm"})
EXAMPLE = Path(__file__).resolve().parents[3] / "inventory" / "example-lab.yaml"

WriteInventory = Callable[[str], Path]


def line_of(path: Path, snippet: str, occurrence: int = 1) -> int:
    """The 1-based line of the `occurrence`-th line of `path` that contains `snippet`."""
    hits = [number for number, line in enumerate(path.read_text().splitlines(), 1) if snippet in line]
    return hits[occurrence - 1]
