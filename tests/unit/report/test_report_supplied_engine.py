"""The run table says which results ran a supplied engine (`hil run --engine`) and which engine."""

from __future__ import annotations

from rich.console import Console

from hil.report.detail import render_result
from tests.unit.report.test_report_table import _render, _result


def test_supplied_engine_is_named_in_the_run_table() -> None:
    fingerprint = {"tensorrt": "10.3.0", "engine": "supplied", "engine_sha256": "ab12" * 16}
    text = _render([_result(conversion_s=None, fingerprint=fingerprint)])
    row = next(line for line in text.splitlines() if "orin-01" in line)
    assert "supplied" in row and "42.4 s" not in row
    assert "engine: supplied (pushed as it is, not converted by hil), sha256 ab12ab12ab12" in text
    built = _render([_result()])
    assert "supplied" not in built


def test_result_detail_names_the_supplied_engine() -> None:
    fingerprint = {"tensorrt": "10.3.0", "engine": "supplied", "engine_sha256": "ab12" * 16}
    key = "supplied-" + "ab12" * 4
    result = _result(conversion_s=None, fingerprint=fingerprint, engine_key=key, engine="supplied")
    assert result.engine == "supplied"
    console = Console(record=True, width=200)
    render_result("20240501-0200", 1, result, console)
    text = console.export_text()
    assert "none: engine supplied" in text and "supplied, sha256 " + "ab12" * 16 in text
    assert "board tensorrt" in text and "board engine" not in text
