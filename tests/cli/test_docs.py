"""Docs that are true: every command in a shell block of README.md and docs/*.md parses as written.

Each `hil ...` line is parsed by hil's own command tree (the same click parser `hil` uses: unknown options,
missing arguments, bad choices and bad numbers fail), `make TARGET` must name a Makefile target and
`python bench/run.py NAME` a benchmark. To check more kinds of lines, add a checker to CHECKERS; to check more
files, add them to DOC_FILES (others' new docs under docs/ are picked up by themselves).
"""

from __future__ import annotations

import functools
import re
import shlex
from collections.abc import Callable

import pytest
from typer._click import exceptions as click_exc
from typer._click.core import Command

from hil.cli.main import command
from tests.conftest import REPO

DOC_FILES = sorted([REPO / "README.md", *(REPO / "docs").glob("*.md")])
SHELL_LANGS = {"sh", "bash", "shell", "console", "shell-session"}
UNLABELLED_COMMANDS = ("hil ", "make ", ".venv/bin/hil ")
FENCE = re.compile(r"^(\s*)```+\s*([\w-]*)\s*$")


def shell_lines(text: str) -> list[tuple[int, str]]:
    """(line number, command) for each command in the file's shell blocks, continuations joined."""
    found: list[tuple[int, str]] = []
    lang: str | None = None
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        fence = FENCE.match(raw)
        if fence:
            lang = None if lang is not None else fence.group(2).lower()  # "" for an unlabelled block
            continue
        if lang is None or (lang and lang not in SHELL_LANGS):
            continue
        line = raw.strip()
        if line.startswith("$ "):
            line = line[2:]
        elif lang == "" and not pending and not line.startswith(UNLABELLED_COMMANDS):
            continue  # an unlabelled block: only the lines that are plainly hil or make commands
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        if line and not line.startswith("#"):
            found.append((start, line))
    return found


def commands_of(line: str) -> list[list[str]]:
    """The simple commands of a shell line: split at pipes and lists, comments and VAR=value prefixes
    removed."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|()<>")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    words: list[str] = []
    commands: list[list[str]] = []
    redirect = False
    for token in lexer:
        if token and set(token) <= set(";&|()"):
            commands.append(words)
            words = []
            continue
        if token and set(token) <= set("<>"):
            redirect = True
            continue
        if redirect:  # the file a redirection names
            redirect = False
            continue
        if not words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", token):
            continue  # an environment assignment before the command
        words.append(token)
    commands.append(words)
    return [c for c in commands if c]


@functools.cache
def _tree() -> Command:
    return command()


def check_hil(args: list[str]) -> str | None:
    """None if `hil ARGS` parses; else click's complaint. A line asking for --help parses by definition."""
    if "--help" in args:
        args = args[: args.index("--help")]
    cmd: Command = _tree()
    ctx = None
    name = "hil"
    try:
        while True:
            ctx = cmd.make_context(name, list(args), parent=ctx, resilient_parsing=False)
            rest = [*getattr(ctx, "_protected_args", []), *ctx.args]
            if not hasattr(cmd, "commands") or not rest:
                return None
            name, sub, args = cmd.resolve_command(ctx, rest)  # type: ignore[attr-defined]
            if sub is None:
                return f"no command {rest[0]!r}"
            cmd = sub
    except click_exc.BadParameter as exc:
        # A file the docs name as an example (bench.log, night.mp4) need not exist here, and a synopsis
        # names its values with placeholders (`hil parse KIND FILE`).
        message = exc.format_message()
        placeholder = any(re.fullmatch(r"[A-Z][A-Z0-9_]*", w) and f"'{w}'" in message for w in args)
        return None if "does not exist" in message or placeholder else message
    except click_exc.ClickException as exc:
        return exc.format_message()


def check_make(args: list[str]) -> str | None:
    targets = set(re.findall(r"^([\w.-]+):", (REPO / "Makefile").read_text(), re.MULTILINE))
    missing = [t for t in args[1:] if not t.startswith("-") and "=" not in t and t not in targets]
    return f"no Makefile target {', '.join(missing)}" if missing else None


def check_python(args: list[str]) -> str | None:
    if len(args) >= 2 and args[1] == "bench/run.py":
        names = [a for a in args[2:] if not a.startswith("-")]
        missing = [n for n in names if not (REPO / "bench" / f"bench_{n}.py").is_file()]
        return f"no benchmark bench/bench_{missing[0]}.py" if missing else None
    if len(args) >= 2 and args[1].startswith(("bench/", "artifacts/", "tests/")):
        return None if (REPO / args[1]).is_file() else f"no script {args[1]}"
    return None  # a script on a board (H/snpe_replay.py) is documentation of the board's side


CHECKERS: dict[str, Callable[[list[str]], str | None]] = {
    "hil": lambda args: check_hil(args[1:]),
    ".venv/bin/hil": lambda args: check_hil(args[1:]),
    "make": check_make,
    "python": check_python,
    "python3": check_python,
    ".venv/bin/python": check_python,
}


def documented() -> list[tuple[str, list[str]]]:
    cases = []
    for path in DOC_FILES:
        for number, line in shell_lines(path.read_text()):
            for words in commands_of(line):
                if words[0] in CHECKERS:
                    cases.append((f"{path.relative_to(REPO)}:{number}", words))
    return cases


CASES = documented()


def test_the_docs_show_hil_commands() -> None:
    assert sum(1 for _, words in CASES if words[0].endswith("hil")) >= 15


@pytest.mark.parametrize(("where", "words"), CASES, ids=[f"{w}:{' '.join(c)[:40]}" for w, c in CASES])
def test_documented_command_parses(where: str, words: list[str]) -> None:
    problem = CHECKERS[words[0]](words)
    assert problem is None, f"{where}: `{shlex.join(words)}`: {problem}"


def test_the_checker_catches_what_is_not_there() -> None:
    assert check_hil(["run", "--no-such-option"]) is not None
    assert check_hil(["frobnicate"]) is not None
    assert check_hil(["history", "--last", "many"]) is not None
    assert check_hil(["parse", "trtexecc", "x.log"]) is not None
    assert check_hil(["parse", "KIND", "FILE"]) is None  # a synopsis
    assert check_hil(["show", "last", "--result", "2"]) is None
    assert check_make(["make", "no-such-target"]) is not None
    assert commands_of("HIL_DEBUG=1 hil run --json | jq . && make bench # note") == [
        ["hil", "run", "--json"],
        ["jq", "."],
        ["make", "bench"],
    ]
