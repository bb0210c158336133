"""The lock's guard: is requirements.lock still the resolution of pyproject.toml's dependencies?

`make lock` writes the digest of every dependency field of pyproject.toml into the lock's header;
`make run`/`make test` recompute it and stop with a clear message when the two disagree, so a
dependency edited by hand never installs silently. Only dependency fields count: a ruff setting
or a new console script does not make the lock stale.

    python3 .ci/lock.py digest              # the digest of pyproject.toml's dependency fields
    python3 .ci/lock.py check LOCK          # exit 2 with a message when LOCK is stale or missing
    python3 .ci/lock.py stamp LOCK          # write the digest into LOCK's header (make lock)
    python3 .ci/lock.py build-requires      # the build back-end's requirements, one a line
    python3 .ci/lock.py diff LOCK FREEZE    # packages FREEZE (pip freeze) has at other versions
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
CONSTRAINTS = ROOT / ".ci" / "lock-constraints.txt"  # lock-time only: see the file
MARK = "# pyproject-dependencies-sha256: "
HEADER = (
    "# Made by `make lock` (uv pip compile --universal --generate-hashes): every package hil and its\n"
    "# tests install, one exact version per Python, with every platform's file hashes. Never edit by hand.\n"
)
# Installed on demand by `make assets`, never part of the lock: see the Makefile.
UNLOCKED_EXTRAS = {"train", "latest"}


def _fields() -> dict[str, object]:
    data = tomllib.loads(PYPROJECT.read_text())
    project = data.get("project", {})
    extras = {k: v for k, v in project.get("optional-dependencies", {}).items() if k not in UNLOCKED_EXTRAS}
    return {
        "build-system.requires": data.get("build-system", {}).get("requires", []),
        "requires-python": project.get("requires-python"),
        "dependencies": project.get("dependencies", []),
        "optional-dependencies": extras,
        "lock-constraints": [
            line.split("#")[0].strip()
            for line in (CONSTRAINTS.read_text().splitlines() if CONSTRAINTS.exists() else [])
            if line.split("#")[0].strip()
        ],
    }


def digest() -> str:
    return hashlib.sha256(json.dumps(_fields(), sort_keys=True).encode()).hexdigest()


def recorded(lock: Path) -> str | None:
    for line in lock.read_text().splitlines():
        if line.startswith(MARK):
            return line[len(MARK) :].strip()
    return None


def check(lock: Path) -> int:
    if not lock.exists():
        print(
            f"{lock.name} is missing: run `make lock` to resolve pyproject.toml's dependencies.",
            file=sys.stderr,
        )
        return 2
    if recorded(lock) != digest():
        print(
            f"{lock.name} is stale: pyproject.toml's dependencies (or .ci/lock-constraints.txt) changed"
            " since it was made.\n"
            "Run `make lock` (resolves and hash-pins every package again), then commit both files.",
            file=sys.stderr,
        )
        return 2
    return 0


def stamp(lock: Path) -> int:
    lines = [
        line
        for line in lock.read_text().splitlines()
        if not line.startswith(MARK) and line + "\n" not in HEADER.splitlines(keepends=True)
    ]
    lock.write_text(HEADER + "\n".join([MARK + digest(), *lines]) + "\n")
    return 0


def pins(lock: Path) -> dict[str, set[str]]:
    """name -> versions pinned (a universal lock may pin one package per Python version)."""
    found: dict[str, set[str]] = {}
    for line in lock.read_text().splitlines():
        head = line.split(";")[0].split("\\")[0].strip()
        if "==" in head and not head.startswith(("#", "-")):
            name, version = head.split("==", 1)
            found.setdefault(re.sub(r"[-_.]+", "-", name.strip()).lower(), set()).add(version.strip())
    return found


def diff(lock: Path, freeze: Path) -> int:
    """What a newest-releases environment (pip freeze) runs that the lock does not pin."""
    locked, latest = pins(lock), pins(freeze)
    rows = [
        f"  {name}: {', '.join(sorted(locked.get(name, {'(not locked)'})))} -> {', '.join(sorted(v))}"
        for name, v in sorted(latest.items())
        if not v <= locked.get(name, set())
    ]
    print("\n".join(rows) if rows else "  nothing: the lock is the newest resolution")
    return 0


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "diff":
        return diff(Path(argv[1]), Path(argv[2]))
    if argv[:1] == ["digest"]:
        print(digest())
        return 0
    if argv[:1] == ["build-requires"]:
        print("\n".join(_fields()["build-system.requires"]))  # type: ignore[arg-type]
        return 0
    if len(argv) == 2 and argv[0] in ("check", "stamp"):
        return (check if argv[0] == "check" else stamp)(Path(argv[1]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
