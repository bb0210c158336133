"""Per-platform profiles of simulated boards, one module per platform key (hil/sim/boards/<key>.py).

A profile module may define:
    populate(root: Path) -> None     the files the board shows under $HIL_BOARD_ROOT (release files, sysfs)
    environment(root: Path) -> dict[str, str]   extra variables of the board's sessions (e.g. PYTHONPATH
                                      for an emulated vendor Python package); HIL_*, HOME, PATH are set by hil
    SIDECARS: tuple[str, ...]         modules run as background processes while the board is up (e.g. a
                                      process that keeps emulated hwmon files current)
    POWER_MODELS: dict[str, PowerModel]  modelled power per power mode, for hil.sim.power_model
Facts commands read `${HIL_BOARD_ROOT:-}/etc/...`, so the same command line works on a real board (variable
unset) and a simulated one. Files written here are the emulated board's identity (its software release),
never measurements.
"""

from __future__ import annotations

import importlib
import json
import os
from pathlib import Path
from types import ModuleType

from hil.sim import sysfs


def profile(platform: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"{__name__}.{platform}")
    except ModuleNotFoundError as exc:
        if exc.name == f"{__name__}.{platform}":
            return None
        raise


TOOLCHAIN_FILE = "etc/hil-sim-toolchain.json"


def write_toolchain(root: Path, versions: dict[str, str]) -> None:
    """Record the board's toolchain overrides (inventory `sim_toolchain`); none: the emulation's defaults."""
    path = root / TOOLCHAIN_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    if versions:
        path.write_text(json.dumps(versions, sort_keys=True) + "\n")
    else:
        path.unlink(missing_ok=True)


def toolchain_version(tool: str, default: str, root: Path | None = None) -> str:
    """The version of `tool` this simulated board reports: its override, else `default`."""
    if root is None:
        env = os.environ.get("HIL_BOARD_ROOT")
        if not env:
            return default
        root = Path(env)
    try:
        versions = json.loads((root / TOOLCHAIN_FILE).read_text())
    except FileNotFoundError:
        return default
    return str(versions.get(tool, default))


def populate(root: Path, platform: str) -> None:
    """Create the board's root folders and the platform's files (existing files are kept)."""
    for sub in ("etc", "run", "home", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    module = profile(platform)
    if module is not None and hasattr(module, "populate"):
        module.populate(root)
    sysfs.populate(root)  # every board: thermal zones, CPU cooling device, cpufreq (hil/sim/sysfs.py)


def environment(platform: str, root: Path) -> dict[str, str]:
    module = profile(platform)
    if module is None or not hasattr(module, "environment"):
        return {}
    extra: dict[str, str] = module.environment(root)
    return extra


def sidecars(platform: str) -> tuple[str, ...]:
    """The platform's own sidecars, and on every board the emulated thermal framework (hil.sim.sysfs)."""
    module = profile(platform)
    own = tuple(getattr(module, "SIDECARS", ())) if module is not None else ()
    return ("hil.sim.sysfs", *own)
