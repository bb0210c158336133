"""Entry point of the `hil` command: assembles the sub-commands and maps errors to exit codes.

Exit codes (also in README.md): 0 all pass; 1 some result failed a budget or regressed; 2 usage or config
error; 3 infrastructure errors only; 4 an internal error (a bug in hil: the message says what to report);
130 interrupted.
"""

from __future__ import annotations

import os
import signal
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.text import Text
from typer._click.core import Command  # typer vendors its own click

import hil
from hil.cli.common import debug_enabled, err
from hil.errors import HilError
from hil.thirdparty import silence_deprecations

EXIT_INTERNAL = 4
EXIT_INTERRUPTED = 130

app = typer.Typer(
    name="hil",
    help=(
        "Hardware-in-the-loop testing and fleet deployment of in-cabin DMS/OMS models on edge boards.\n\n"
        "With no --inventory, hil drives its simulated rack: real OpenSSH servers on loopback whose "
        "vendor tools are emulated and really compute with ONNX Runtime.\n\n"
        "Exit codes: 0 all pass, 1 some fail or regression, 2 usage or config error, 3 infrastructure "
        "errors only, 4 internal error (a bug in hil), 130 interrupted."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _options(
    debug: Annotated[
        bool,
        typer.Option(
            "--debug", help="Show the traceback of any error (same as HIL_DEBUG=1).", envvar="HIL_DEBUG"
        ),
    ] = False,
) -> None:
    if debug:
        os.environ["HIL_DEBUG"] = "1"


_registered: list[bool] = []


def _register(argv: list[str] | None = None) -> None:
    # Each command module adds its own commands; importing here keeps `hil --help` the one place to look.
    if _registered:
        return
    from hil.cli import commands

    # Commands that only read the store (history, compare, ...) and the top-level help register without
    # the modules that import ONNX Runtime, OpenCV, numpy or paramiko: they start in a fraction of the time.
    if argv is None:  # every command (the docs test, tools that inspect the command tree)
        commands.register(app)
        _registered.append(True)
        return
    args = argv
    words = [a for a in args if not a.startswith("-")]
    help_only = not words and (not args or set(args) <= {"--help", "-h"})
    commands.register(app, words[0] if words else None, help_only=help_only)
    _registered.append(True)


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


def reflow(text: str | None) -> str | None:
    """Docstring paragraphs as one line each, so the help wraps at the terminal's width and not at the
    source's. Paragraphs with indented lines (examples, lists) keep their line breaks."""
    if not text:
        return text
    paragraphs = []
    for block in text.split("\n\n"):
        lines = block.split("\n")
        if any(line.startswith((" ", "\t")) for line in lines[1:]) or block.startswith(" "):
            paragraphs.append(block)
        else:
            paragraphs.append(" ".join(line.strip() for line in lines))
    return "\n\n".join(paragraphs)


def _reflow_tree(command: Command) -> None:
    import inspect

    command.help = reflow(inspect.cleandoc(command.help)) if command.help else command.help
    subcommands: dict[str, Command] = getattr(command, "commands", {})  # a group's
    for sub in subcommands.values():
        _reflow_tree(sub)


def command() -> Command:
    """The whole `hil` command tree as click sees it (the docs test parses every documented line with it)."""
    _register()
    cmd = typer.main.get_command(app)
    _reflow_tree(cmd)
    return cmd


def _terminate(signum: int, _frame: object) -> None:
    # A CI server stops jobs with SIGTERM: unwind like Ctrl-C so simulated boards this run started are
    # stopped and finished results are already stored.
    raise KeyboardInterrupt


def _internal_error(exc: BaseException) -> None:
    if debug_enabled():
        sys.stderr.write("".join(traceback.format_exception(exc)))
    name = type(exc).__name__
    err.print(Text.assemble(("internal error: ", "bold red"), f"{name}: {exc}"), highlight=False)
    hint = (
        f"this is a bug in hil {hil.__version__}, not in your model or boards. Please report it to hil's "
        "maintainers with the command line, this message and the traceback"
    )
    if not debug_enabled():
        hint += " (rerun with --debug or HIL_DEBUG=1 to see it)"
    err.print(Text.assemble(("hint: ", "yellow"), hint), highlight=False)


def main() -> None:
    silence_deprecations()
    signal.signal(signal.SIGTERM, _terminate)
    if "--debug" in sys.argv[1:]:
        os.environ["HIL_DEBUG"] = "1"  # before the command runs, for errors raised while it parses
    try:
        _register(sys.argv[1:])  # only what this command line needs (command() then adds nothing)
        command()(prog_name="hil")
    except HilError as exc:
        if debug_enabled():
            sys.stderr.write("".join(traceback.format_exception(exc)))
        # Messages quote user input and tool output: print them as text, never as rich markup.
        err.print(Text.assemble(("error: ", "bold red"), exc.message), highlight=False)
        if exc.hint:
            err.print(Text.assemble(("hint: ", "yellow"), exc.hint), highlight=False)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted", style="red")
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:
        # `hil history | head`: the reader left; say nothing more and do not fail on flushing stdout.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(141)
    except Exception as exc:  # the last resort: every other error is a bug in hil
        _internal_error(exc)
        sys.exit(EXIT_INTERNAL)


if __name__ == "__main__":
    main()
