"""Entry point of the `hil` command: assembles the sub-commands and maps errors to exit codes."""

from __future__ import annotations

import signal
import sys

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

    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    commands.register(app, args[0] if args else None)


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
