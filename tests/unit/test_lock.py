"""requirements.lock: the venv that runs these tests is exactly the lock, and a stale lock is refused."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LOCK = REPO / "requirements.lock"
GUARD = REPO / ".ci" / "lock.py"


def _guard():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("lockguard", GUARD)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_lock_matches_pyproject() -> None:
    res = subprocess.run([sys.executable, str(GUARD), "check", str(LOCK)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


@pytest.mark.skipif(
    os.environ.get("HIL_UNLOCKED") == "1", reason="make test-latest runs the newest releases on purpose"
)
def test_this_environment_is_exactly_the_lock(tmp_path: Path) -> None:
    """`pip freeze` of the venv equals the lock, apart from hil itself (make setup installs nothing else)."""
    if Path(sys.prefix) != REPO / ".venv":
        pytest.skip(f"not the venv make setup builds ({sys.prefix})")
    freeze = subprocess.run(
        [sys.executable, "-m", "pip", "freeze", "--all", "--exclude-editable"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    guard = _guard()
    (tmp_path / "freeze.txt").write_text(freeze)
    installed = {k: v for k, v in guard.pins(tmp_path / "freeze.txt").items()}
    locked = guard.pins(LOCK)
    strays = {k: v for k, v in installed.items() if not v <= locked.get(k, set())}
    assert not strays, f"installed but not locked (or at another version): {strays}"
    markers = {"colorama"}  # locked for Windows only
    missing = set(locked) - set(installed) - markers
    assert not missing, f"locked but not installed: {missing}"


def test_a_dependency_edited_without_make_lock_is_refused(tmp_path: Path) -> None:
    """Copy the guard, pyproject.toml and the lock; bump one range: the guard says to run `make lock`.
    A change that is not about dependencies (a ruff setting) keeps the lock valid."""
    (tmp_path / ".ci").mkdir()
    shutil.copy(GUARD, tmp_path / ".ci" / "lock.py")
    shutil.copy(REPO / ".ci" / "lock-constraints.txt", tmp_path / ".ci")
    shutil.copy(LOCK, tmp_path / "requirements.lock")
    text = (REPO / "pyproject.toml").read_text()
    check = [sys.executable, str(tmp_path / ".ci" / "lock.py"), "check", str(tmp_path / "requirements.lock")]

    (tmp_path / "pyproject.toml").write_text(text.replace("line-length = 110", "line-length = 100"))
    assert subprocess.run(check, capture_output=True, text=True).returncode == 0

    (tmp_path / "pyproject.toml").write_text(text.replace('"rich>=13.7"', '"rich>=14"'))
    res = subprocess.run(check, capture_output=True, text=True)
    assert res.returncode == 2
    assert "stale" in res.stderr and "make lock" in res.stderr

    (tmp_path / "requirements.lock").unlink()
    res = subprocess.run(check, capture_output=True, text=True)
    assert res.returncode == 2 and "missing" in res.stderr


def test_make_stops_on_a_stale_lock_before_installing(tmp_path: Path) -> None:
    """`make setup` in a copy whose pyproject.toml changed: exit 2 with the message, and no venv made."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    for name in ("Makefile", "pyproject.toml", "requirements.lock"):
        shutil.copy(REPO / name, tmp_path / name)
    shutil.copytree(REPO / ".ci", tmp_path / ".ci")
    text = (tmp_path / "pyproject.toml").read_text()
    (tmp_path / "pyproject.toml").write_text(text.replace('"typer>=0.12"', '"typer>=0.13"'))
    res = subprocess.run(
        ["make", "setup", f"PYTHON={sys.executable}"], cwd=tmp_path, capture_output=True, text=True
    )
    assert res.returncode != 0
    assert "make lock" in res.stderr
    assert not (tmp_path / ".venv").exists()
