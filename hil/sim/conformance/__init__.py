"""Vendor conformance data of the simulated platforms: one YAML file per platform and toolchain release.

Each file (`<platform>-<toolchain>.yaml` here) lists the vendor's tools with `where: board | host | both |
unknown`, their accepted flags, output file names and required environment variables, each line citing the
vendor document it follows. `releases` are the versions (the board's `sim_toolchain` value for the file's
`toolchain` key) the file applies to; `sim_release` (or `sim_releases`) names them for `hil sim up
--toolchain`. The simulated rack is built from it: a tool the vendor ships for an x86_64 host only is absent
from a simulated board and present on a simulated build host (hil.sim.rack, hil.sim.tidl); an emulated tool
whose file lists its complete flag set (`flags`, unless `flags_complete: false`) accepts exactly those flags
at the board's release and refuses any other as the real tool does (`flag_rules`, `unknown_flags`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
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


def host_only(platform: str, every_toolchain: bool = False) -> frozenset[str]:
    """Tools (commands, ONNX Runtime providers) the vendor ships for an x86_64 host only, of the toolchains
    hil uses (a file with `used_by_hil: false`, e.g. QNN, only with `every_toolchain`)."""
    names = set()
    for table in tables(platform):
        if table.get("used_by_hil") is False and not every_toolchain:
            continue
        for name, entry in (table.get("tools") or {}).items():
            if (entry or {}).get("where") == HOST:
                names.add(str(name))
    return frozenset(names)


def absent(platform: str, role: str) -> frozenset[str]:
    """What a simulated machine of `role` does not have: a board lacks the host-only tools."""
    return host_only(platform, every_toolchain=True) if role == BOARD else frozenset()


def release_names(platform: str) -> dict[str, dict[str, str]]:
    """`hil sim up --toolchain` names of `platform` -> the sim_toolchain versions each sets (the files)."""
    names: dict[str, dict[str, str]] = {}
    for table in tables(platform):
        key = str(table["toolchain"])
        releases = [str(r) for r in table.get("releases") or []]
        if "sim_release" in table:
            names[str(table["sim_release"])] = {key: releases[0]}
        for name, version in (table.get("sim_releases") or {}).items():
            names[str(name)] = {key: str(version)}
    return names


def table_for(platform: str, toolchain: str, version: str) -> dict[str, Any] | None:
    """The file of `platform` whose `toolchain` is `toolchain` and whose releases include `version`."""
    for table in tables(platform):
        if table.get("toolchain") == toolchain and version in [str(r) for r in table.get("releases") or []]:
            return table
    return None


@dataclass(frozen=True)
class FlagRules:
    """What a vendor tool accepts at one release, from its conformance file."""

    tool: str
    release: str
    accepted: frozenset[str]
    deprecated: dict[str, str] = field(default_factory=dict)  # flag -> the warning the real tool prints
    message: str = "Unknown option: {name} {value}"  # how the real tool reports an unknown flag
    exit_code: int = 1

    def unknown(self, names: list[str]) -> list[str]:
        """The names of `names` this release of the tool does not accept, in order."""
        return [n for n in names if n not in self.accepted]


def flag_rules(platform: str, toolchain: str, version: str, tool: str) -> FlagRules | None:
    """The flags `tool` accepts at `version`; None when no file lists its complete set (then the emulation's
    own parser decides, and a unit test keeps hil's command lines within the documented flags)."""
    table = table_for(platform, toolchain, version)
    entry = ((table or {}).get("tools") or {}).get(tool) or {}
    if not entry.get("flags") or entry.get("flags_complete") is False:
        return None
    refusal = entry.get("unknown_flag") or {}
    return FlagRules(
        tool=tool,
        release=version,
        accepted=frozenset(str(f) for f in entry["flags"]),
        deprecated={str(k): str(v) for k, v in (entry.get("deprecated") or {}).items()},
        message=str(refusal.get("message", FlagRules.message)),
        exit_code=int(refusal.get("exit", FlagRules.exit_code)),
    )


def documented_flags(platform: str, tool: str) -> frozenset[str]:
    """Every flag any file of `platform` documents for `tool` (any release)."""
    found: set[str] = set()
    for table in tables(platform):
        found |= {str(f) for f in (((table.get("tools") or {}).get(tool) or {}).get("flags") or [])}
    return frozenset(found)


def documented_options(platform: str, tool: str, version: str, toolchain: str) -> frozenset[str]:
    """The provider options (`options:`) a file documents for `tool` at `version` (TIDL's providers)."""
    table = table_for(platform, toolchain, version) or {}
    return frozenset(str(o) for o in (((table.get("tools") or {}).get(tool) or {}).get("options") or []))
