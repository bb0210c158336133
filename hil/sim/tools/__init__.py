"""Emulated vendor tools of the simulated boards (see docs/simulated-rack.md, "Emulated vendor tools").

Each tool is a module with `main(argv) -> int`, run on a simulated board as `python -m <module>` by a
wrapper script of the same name on the board's PATH. They take the real command lines, print the real
output formats, and do the real work on the host CPU; numbers a host cannot measure are modelled and
say so, never invented.
"""

from __future__ import annotations

# Command name on the board -> module that implements it.
TOOLS: dict[str, str] = {
    "trtexec": "hil.sim.tools.trtexec",
    "tegrastats": "hil.sim.tools.tegrastats",
    "nvpmodel": "hil.sim.tools.nvpmodel",
}
