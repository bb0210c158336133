"""The programs hil pushes to a board and runs there. They must not import hil, except the shared decoders.

board_harness.py is the entry point; every other module in this folder travels with it (a platform's own
runtime backend or replay steps), pushed together as one content-addressed bundle. So do the decoders of
hil.measure that the harness runs on each frame (SHARED: standard library and numpy only), at the same
package path (`hil/measure/decoders.py` beside board_harness.py), so host and board run one implementation.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

HARNESS_DIR = Path(__file__).parent
ENTRY = "board_harness.py"
_PACKAGE_ROOT = HARNESS_DIR.parent.parent  # the folder holding the hil package
# hil.measure modules the harness imports on the board, with the (docstring-only) package files above them.
SHARED = (
    "hil/__init__.py",
    "hil/measure/__init__.py",
    "hil/measure/decoders.py",
    "hil/measure/detection.py",
    "hil/measure/landmarks.py",
)


def bundle() -> list[tuple[Path, str]]:
    """(local file, path inside the bundle folder on the board) of every file the harness needs."""
    own = sorted(p for p in HARNESS_DIR.glob("*.py") if p.name != "__init__.py")
    return [(p, p.name) for p in own] + [(_PACKAGE_ROOT / rel, rel) for rel in SHARED]


def harness_files() -> list[Path]:
    return [local for local, _ in bundle()]


def bundle_sha256() -> str:
    """One hash over every harness file: the bundle's folder name on the board."""
    digest = hashlib.sha256()
    for path, rel in bundle():
        digest.update(rel.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()
