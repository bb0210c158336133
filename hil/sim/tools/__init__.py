"""Emulated vendor tools of the simulated boards (see docs/simulated-rack.md, "Emulated vendor tools").

Each tool is a module here with `COMMAND = "<name on the board>"` (or `COMMANDS = [...]` for several names)
and `main(argv) -> int`, run on a simulated board as `python -m <module>` by a wrapper script of that name on
the board's PATH. Adding a tool means adding a module. Tools take the real command lines, print the real
output formats, and do the real work on the host CPU; numbers a host cannot measure are modelled and say so.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path


def _declared_commands(source: str) -> list[str]:
    """The module's COMMAND / COMMANDS, read without importing it (tools import heavy runtimes)."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            if node.targets[0].id == "COMMAND":
                return [str(ast.literal_eval(node.value))]
            if node.targets[0].id == "COMMANDS":
                return [str(name) for name in ast.literal_eval(node.value)]
    return []


@cache
def tools() -> dict[str, str]:
    """Command name on the board -> module that implements it."""
    found: dict[str, str] = {}
    for path in sorted(Path(__file__).parent.glob("*.py")):
        for name in _declared_commands(path.read_text()):
            found[name] = f"{__name__}.{path.stem}"
    return found
