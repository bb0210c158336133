"""Platform registry: every module here that defines `PLATFORM` is a platform, keyed by PLATFORM.key."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from hil.errors import ConfigError
from hil.platforms.base import Platform


@cache
def registry() -> dict[str, Platform]:
    found: dict[str, Platform] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        platform = getattr(module, "PLATFORM", None)
        if isinstance(platform, Platform):
            found[platform.key] = platform
    return found


def names() -> list[str]:
    return sorted(registry())


def get(key: str) -> Platform:
    try:
        return registry()[key]
    except KeyError:
        raise ConfigError(f"unknown platform {key!r}; known platforms: {', '.join(names())}") from None
