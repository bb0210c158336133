"""Vendor conformance data of the simulated platforms: one YAML file per platform and toolchain release.

Each file (`<platform>-<toolchain>.yaml` here) lists the vendor's tools with `where: board | host | both`,
their accepted flags, output file names and required environment variables, each line citing the vendor
document it follows. The simulated rack is built from it: a tool the vendor ships for an x86_64 host only
is absent from a simulated board and present on a simulated build host (hil.sim.rack, hil.sim.tidl).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent
BOARD, HOST = "board", "host"  # the two roles of a simulated machine


@cache
def tables(platform: str) -> tuple[dict[str, Any], ...]:
    """Every conformance table of `platform` (none: the platform's tools are not split)."""
    found = []
    for path in sorted(HERE.glob(f"{platform}-*.yaml")):
        data = yaml.safe_load(path.read_text())
        assert isinstance(data, dict) and data.get("platform") == platform, path
        found.append(data)
    return tuple(found)


def host_only(platform: str) -> frozenset[str]:
    """Tools (commands, ONNX Runtime providers) the vendor ships for an x86_64 host only."""
    names = set()
    for table in tables(platform):
        for name, entry in (table.get("tools") or {}).items():
            if (entry or {}).get("where") == HOST:
                names.add(str(name))
    return frozenset(names)


def absent(platform: str, role: str) -> frozenset[str]:
    """What a simulated machine of `role` does not have: a board lacks the host-only tools."""
    return host_only(platform) if role == BOARD else frozenset()
