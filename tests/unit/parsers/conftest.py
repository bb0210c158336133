"""Where the parser tests find their texts: the project's own fixtures and the shared real captures."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "parsers"
# Real captures live beside the repository (../shared/real-logs, or beside a folder above it when the
# checkout is a git worktree such as wt/NAME); a user's clone does not have them.
_REPO = Path(__file__).resolve().parents[3]
REAL_LOGS = next(
    (d / "shared" / "real-logs" for d in _REPO.parents if (d / "shared" / "real-logs").is_dir()),
    _REPO.parent / "shared" / "real-logs",
)


@pytest.fixture
def fixture_text() -> Callable[[str], str]:
    """Read one of the project's own fixture files in tests/fixtures/parsers."""

    def read(name: str) -> str:
        return (FIXTURES / name).read_text()

    return read


@pytest.fixture
def real_log() -> Callable[[str], tuple[str, dict[str, Any]]]:
    """Read a real capture and its hand-read `expected` values; skip the test when it is absent."""

    def read(name: str) -> tuple[str, dict[str, Any]]:
        path = REAL_LOGS / name
        sidecar = path.with_name(name + ".json")
        if not path.is_file() or not sidecar.is_file():
            pytest.skip(f"real capture {name} not found in {REAL_LOGS.resolve()} (it lives beside the repo)")
        return path.read_text(), json.loads(sidecar.read_text())["expected"]

    return read
