"""Fixtures for the inventory tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.unit.inventory.inventory_helpers import WriteInventory


@pytest.fixture
def write_inventory(tmp_path: Path) -> WriteInventory:
    """Write a (dedented) YAML text to lab.yaml in a fresh folder and return its path."""

    def write(text: str) -> Path:
        path = tmp_path / "lab.yaml"
        path.write_text(textwrap.dedent(text).lstrip("\n"))
        return path

    return write
