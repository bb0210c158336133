"""Entry point of the `hil` command: assembles the sub-commands and maps errors to exit codes."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.text import Text

from hil.cli.common import err
from hil.errors import HilError

app = typer.Typer(
    name="hil",
    help=(
        "Hardware-in-the-loop testing and fleet deployment of in-cabin DMS/OMS models on edge boards.\n\n"
        "With no --inventory, hil drives its simulated rack: real OpenSSH servers on loopback whose "
        "vendor tools are emulated and really compute with ONNX Runtime."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _register() -> None:
    # Each command module adds its own commands; importing here keeps `hil --help` the one place to look.
    from hil.cli import commands

    args = sys.argv[1:]
    words = [a for a in args if not a.startswith("-")]
    help_only = not words and (not args or set(args) <= {"--help", "-h"})
    if words and words[0] in commands.LIGHT:
        with _without("numpy"):
            import sqlite_utils  # noqa: F401  (its optional numpy type mapping is unused by these commands)
    commands.register(app, words[0] if words else None, help_only=help_only)


@contextmanager
def _without(module: str) -> Iterator[None]:
    """Make `import module` fail inside the block (libraries that use it optionally then skip it)."""
    missing = object()
    saved = sys.modules.get(module, missing)
    sys.modules[module] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        if saved is missing:
            del sys.modules[module]
        else:
            sys.modules[module] = saved  # type: ignore[assignment]


def _terminate(signum: int, _frame: object) -> None:
    # A CI server stops jobs with SIGTERM: unwind like Ctrl-C so simulated boards this run started are
    # stopped and finished results are already stored.
    raise KeyboardInterrupt


def main() -> None:
    signal.signal(signal.SIGTERM, _terminate)
    _register()
    try:
        app()
    except HilError as exc:
        # Messages quote user input and tool output: print them as text, never as rich markup.
        err.print(Text.assemble(("error: ", "bold red"), exc.message), highlight=False)
        if exc.hint:
            err.print(Text.assemble(("hint: ", "yellow"), exc.hint), highlight=False)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("[red]interrupted[/]")
        sys.exit(130)


if __name__ == "__main__":
    main()
