"""Rendering of results: rich tables for the terminal, JSON for --json, JUnit XML for CI.

The names below load on first use, so that the history commands import only hil.report.history.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hil.lazy import lazy_attributes

if TYPE_CHECKING:
    from hil.report.history import history_json, render_history
    from hil.report.junit import write_junit
    from hil.report.payload import run_json
    from hil.report.table import render_run

__all__ = ["history_json", "render_history", "render_run", "run_json", "write_junit"]
_HOME = {
    "history_json": "hil.report.history",
    "render_history": "hil.report.history",
    "run_json": "hil.report.payload",
    "render_run": "hil.report.table",
    "write_junit": "hil.report.junit",
}

__getattr__ = lazy_attributes(__name__, _HOME)
