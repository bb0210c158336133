"""docs/nightly.md: every hil command line in its examples (cron, systemd, GitLab CI, GitHub Actions, ...)
is one the installed CLI accepts, and every file it names exists."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer.main

from hil.cli.main import _register, app
from hil.runs.control import parse_duration

DOC = Path(__file__).resolve().parents[2] / "docs" / "nightly.md"
REPO = DOC.parents[1]


def _command_lines() -> list[str]:
    lines = []
    for block in re.findall(r"```[a-z]*\n(.*?)```", DOC.read_text(), flags=re.S):
        for line in block.splitlines():
            found = re.search(r"(?:^|[\s=/])(hil (?:run|boards|sim|history|show)\b[^>#\n]*)", line)
            if found:
                lines.append(found.group(1).strip())
    return lines


def _parse(args: list[str]) -> tuple[str, dict[str, object]]:
    """Parse like `hil ARGS` would, without running anything (typer's own click: duck-typed)."""
    _register()
    cmd: Any = typer.main.get_command(app)
    ctx = cmd.make_context("hil", list(args))
    while hasattr(cmd, "resolve_command"):
        name, sub, rest = cmd.resolve_command(ctx, [*ctx._protected_args, *ctx.args])
        assert sub is not None and name is not None
        cmd, ctx = sub, sub.make_context(name, rest, parent=ctx)
    return cmd.name or "", ctx.params


LINES = _command_lines()


def test_the_doc_has_the_scheduler_examples() -> None:
    text = DOC.read_text()
    for section in ("### cron", "### systemd timer", "### GitLab CI", "### GitHub Actions"):
        assert section in text
    assert len(LINES) >= 15


@pytest.mark.parametrize("line", LINES)
def test_every_command_line_parses_and_names_real_files(line: str) -> None:
    args = shlex.split(line)[1:]
    name, params = _parse(args)  # raises a usage error on an unknown option or a bad value
    assert name == (args[1] if args[0] in ("boards", "sim") else args[0])
    for key in ("suite_file", "inventory"):
        value = params.get(key)
        if value is not None:
            assert (REPO / str(value)).exists(), f"{line}: {value} does not exist"
    for key in ("deadline", "job_timeout"):
        if params.get(key) is not None:
            parse_duration(str(params[key]))
