"""Package attributes that load their module on first use (PEP 562): light commands stay light."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_attributes(package: str, home: dict[str, str]) -> Callable[[str], Any]:
    """A module `__getattr__` for `package` that imports `home[name]` when `name` is first asked for."""

    def __getattr__(name: str) -> Any:
        if name not in home:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(home[name]), name)

    return __getattr__
