"""Emulated vendor tools of the simulated boards (see docs/simulated-rack.md, "Emulated vendor tools").

Each tool is a module here with `COMMAND = "<name on the board>"` (or `COMMANDS = [...]` for several names),
`PLATFORMS = (...)` (the simulated platforms whose boards have it; all when absent) and `main(argv) -> int`,
run on a simulated board as `python -m <module>` by a wrapper script of that name on the board's PATH.
Adding a tool means adding a module. Tools take the real command lines, print the real output formats, and
do the real work on the host CPU; numbers a host cannot measure are modelled and say so.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path


def _declared(source: str) -> dict[str, object]:
    """COMMAND, COMMANDS and PLATFORMS of a tool, read without importing it (tools import heavy runtimes)."""
    found: dict[str, object] = {}
    for node in ast.parse(source).body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id in ("COMMAND", "COMMANDS", "PLATFORMS")
        ):
            found[node.targets[0].id] = ast.literal_eval(node.value)
    return found


@cache
def tools(platform: str | None = None) -> dict[str, str]:
    """Command name on a board of `platform` (any platform when None) -> module that implements it."""
    found: dict[str, str] = {}
    for path in sorted(Path(__file__).parent.glob("*.py")):
        declared = _declared(path.read_text())
        platforms = declared.get("PLATFORMS")
        if platform is not None and isinstance(platforms, (list, tuple)) and platform not in platforms:
            continue
        names = declared.get("COMMANDS") or ([declared["COMMAND"]] if "COMMAND" in declared else [])
        assert isinstance(names, (list, tuple))
        for name in names:
            found[str(name)] = f"{__name__}.{path.stem}"
    return found
