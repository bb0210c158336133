"""The list of command modules. Each module has `register(app)`; add a line here to add a command group."""

from __future__ import annotations

import importlib

import typer

# Modules are registered when present so that parts of the CLI can be developed independently.
MODULES = ("run", "show", "history", "boards", "sim", "parse", "importer", "assets")


def register(app: typer.Typer) -> None:
    for name in MODULES:
        try:
            module = importlib.import_module(f"hil.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"hil.cli.{name}":
                continue
            raise
        module.register(app)
