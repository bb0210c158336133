"""Rendering of results: rich tables for the terminal, JSON for --json, JUnit XML for CI."""

from hil.report.junit import write_junit
from hil.report.payload import history_json, run_json
from hil.report.table import render_history, render_run

__all__ = ["history_json", "render_history", "render_run", "run_json", "write_junit"]
