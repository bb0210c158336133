"""`--help` that teaches: paragraphs wrap at the terminal's width, examples keep their lines."""

from __future__ import annotations

from hil.cli.main import reflow
from tests.conftest import Hil


def test_reflow_joins_paragraph_lines_and_keeps_examples() -> None:
    text = "First line\nof the summary.\n\nA paragraph\nwrapped in the source.\n\n"
    text += "Examples:\n  hil run\n  hil show"
    assert reflow(text) == (
        "First line of the summary.\n\nA paragraph wrapped in the source.\n\nExamples:\n  hil run\n  hil show"
    )


def test_run_help_wraps_at_the_terminal_not_at_the_source(hil: Hil) -> None:
    hil.env["COLUMNS"] = "100"
    shown = hil("run", "--help")
    assert shown.returncode == 0
    lines = shown.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("For each selected board"))
    paragraph = []
    for line in lines[start:]:
        if not line.strip():
            break
        paragraph.append(line.rstrip())
    assert len(paragraph) >= 2
    # Every line but the last is filled to near the width: no break where the docstring had one.
    assert all(len(line) > 80 for line in paragraph[:-1]), paragraph
    assert "  hil run --precision fp16 --where platform=orin" in shown.stdout  # examples keep their lines
    assert max(len(line) for line in lines) <= 100
    assert "4 internal error" in " ".join(shown.stdout.split())
