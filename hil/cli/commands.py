"""The command modules, in the order `hil --help` lists them. Each has `register(app)`."""

from __future__ import annotations

import typer

from hil.cli import assets, boards, deploy, history, importer, keys, parse, run, show, sim

MODULES = (run, show, history, parse, importer, assets, boards, sim, deploy, keys)


def register(app: typer.Typer) -> None:
    for module in MODULES:
        module.register(app)
