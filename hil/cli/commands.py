"""The command modules, in the order `hil --help` lists them. Each has `register(app)`.

The history commands (history, compare, trend, export, store) read SQLite only. When one of them is the
command being run, only their modules are imported: the others pull in ONNX Runtime, OpenCV, numpy and
paramiko at import time (most of a second), which those commands never use.
"""

from __future__ import annotations

import importlib
from types import ModuleType

import typer

NAMES = (
    "run", "show", "history", "compare", "trend", "export", "parse", "importer", "assets", "boards", "sim",
    "store",
)  # fmt: skip
# Command name -> module, for the commands that need nothing but the store.
LIGHT = {"history": "history", "compare": "compare", "trend": "trend", "export": "export", "store": "store"}


def _modules(names: tuple[str, ...]) -> list[ModuleType]:
    return [importlib.import_module(f"hil.cli.{name}") for name in names]


def register(app: typer.Typer, command: str | None = None) -> None:
    """Register every command, or only the light ones when `command` (the one being run) is light."""
    names = tuple(LIGHT.values()) if command in LIGHT else NAMES
    for module in _modules(names):
        module.register(app)
