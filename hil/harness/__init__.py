"""The programs hil pushes to a board and runs there. They must not import hil.

board_harness.py is the entry point; every other module in this folder travels with it (a platform's own
runtime backend or replay steps), pushed together as one content-addressed bundle.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

HARNESS_DIR = Path(__file__).parent
ENTRY = "board_harness.py"


def harness_files() -> list[Path]:
    return sorted(p for p in HARNESS_DIR.glob("*.py") if p.name != "__init__.py")


def bundle_sha256() -> str:
    """One hash over every harness file: the bundle's folder name on the board."""
    digest = hashlib.sha256()
    for path in harness_files():
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()
