"""Emulated vendor tools of the simulated boards (see docs/simulated-rack.md, "Emulated vendor tools").

Each tool is a module here with `COMMAND = "<name on the board>"` (or `COMMANDS` for several names) and
`main(argv) -> int`, run on a simulated board as `python -m <module>` by a wrapper script of that name on the
board's PATH. Adding a tool means adding a module. Tools take the real command lines, print the real output
formats, and do the real work on the host CPU; numbers a host cannot measure are modelled and say so.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache


@cache
def tools() -> dict[str, str]:
    """Command name on the board -> module that implements it."""
    found: dict[str, str] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        names = getattr(module, "COMMANDS", None) or ([module.COMMAND] if hasattr(module, "COMMAND") else [])
        for name in names:
            found[name] = module.__name__
    return found
