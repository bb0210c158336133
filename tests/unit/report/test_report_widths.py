"""Tables that fit: at 80, 100 and 120 columns every line fits and the cells a user reads stay whole."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from hil.records import BudgetVerdicts, JobResult, LatencyStats, RunSummary
from hil.report import render_history, render_run
from hil.report.detail import render_result
from hil.report.matrix import render_matrix
from hil.store import HistoryRow
from tests.unit.report.consoles import printed_lines, recording_console

WIDTHS = (80, 100, 120)
BOARDS = (("orin-01", "orin"), ("qcs8255-01", "qcs8255"), ("tda4vm-01", "tda4vm"))


def _result(board: str, platform: str, precision: str, clip: str, **changes: object) -> JobResult:
    base = JobResult(
        board=board,
        platform=platform,
        model="dms-small",
        precision=precision,  # type: ignore[arg-type]
        clip=clip,
        status="pass",
        accuracy=0.9712,
        latency_ms=LatencyStats(min=8.0, mean=9.5, p50=9.25, p90=11.5, p99=14.75, max=20.0, n=900),
        fps=104.2,
        power_w=3.21,
        power_source="sim-model",
        memory_peak_mb=312.0,
        conversion_s=42.4,
        engine_bytes=1536 * 1024,
        bytes_pushed=2048,
        budgets=BudgetVerdicts(latency=True, power=True, memory=True, accuracy=True),
    )
    return base.model_copy(update=changes)


def _demo_results() -> list[JobResult]:
    results = [
        _result(b, p, precision, clip)
        for b, p in BOARDS
        for precision in ("fp32", "fp16", "int8")
        for clip in ("day-driver", "night-glasses")
    ]
    results[-1] = results[-1].model_copy(
        update={"status": "fail", "budgets": BudgetVerdicts(latency=False, power=True, memory=False)}
    )
    results[0] = results[0].model_copy(
        update={"status": "infra_error", "latency_ms": None, "power_w": None, "accuracy": None}
    )
    return results


@pytest.mark.parametrize("width", WIDTHS)
def test_run_table_fits_and_keeps_what_a_user_reads(width: int) -> None:
    results = _demo_results()
    console = recording_console(width)
    render_run(RunSummary(run_id="20261130-024500-ab12", status="fail", results=results), console)
    lines = printed_lines(console)
    assert max(len(line) for line in lines) <= width
    assert not any("…" in line for line in lines)
    rows = [line for line in lines if re.match(r"\s*\d+ +(orin|qcs|tda)", line)]
    assert len(rows) == len(results)
    for row, r in zip(rows, results, strict=True):
        for cell in (r.board, r.precision, r.status):
            assert cell in row, (cell, row)
        if r.status != "infra_error":
            assert "9.25" in row and "14.75" in row and "97.1 %" in row and "~3.21" in row
    assert "✗ lat,mem" in rows[-1]
    assert "infra_error" in rows[0] and "–" in rows[0]
    # The clip names are whole, even where the clip column has to wrap.
    text = "\n".join(lines)
    assert "day-driver" in text or "day-" in text
    if width >= 100:
        assert "night-glasses" in text


def test_dropped_columns_are_named_with_the_detail_view() -> None:
    console = recording_console(80)
    render_run(RunSummary(run_id="r1", status="fail", results=_demo_results()), console)
    text = "\n".join(printed_lines(console))
    assert "hidden at this width:" in text
    for name in ("pushed", "engine", "convert"):
        assert name in text
    assert "--result N" in text


def test_a_wide_console_shows_every_column() -> None:
    console = recording_console(200)
    render_run(RunSummary(run_id="r1", status="fail", results=_demo_results()), console)
    text = "\n".join(printed_lines(console))
    assert "hidden at this width" not in text
    for cell in ("42.4 s", "1.5 MiB", "2.0 KiB", "104.2", "312"):
        assert cell in text


@pytest.mark.parametrize("width", WIDTHS)
def test_history_fits(width: int) -> None:
    rows = [
        HistoryRow(
            result_id=i,
            run_id=f"20261130-0{i % 10}4500-ab12",
            created_at=datetime(2026, 11, 30, 2, i % 60, tzinfo=UTC),
            board=b,
            platform=p,
            model="dms-small",
            precision=precision,  # type: ignore[arg-type]
            clip=clip,
            status="pass",
            accuracy=0.95,
            p50=9.0,
            p99=12.5,
            n=900,
            fps=100.0,
            power_w=2.0,
            power_source="sim-model",
            memory_peak_mb=100.0,
            source="run",
            imported=False,
        )
        for i, ((b, p), precision, clip) in enumerate(
            (
                (bp, pr, c)
                for bp in BOARDS
                for pr in ("fp32", "int8")
                for c in ("day-driver", "night-glasses")
            ),
            1,
        )
    ]
    console = recording_console(width)
    render_history(rows[:10], console)
    lines = printed_lines(console)
    assert max(len(line) for line in lines) <= width
    assert not any("…" in line for line in lines)
    data = [line for line in lines if "pass" in line]
    assert len(data) == 10
    assert all("9.00" in line and "12.50" in line and "~2.00" in line for line in data)


@pytest.mark.parametrize("width", WIDTHS)
def test_matrix_and_detail_fit(width: int) -> None:
    results = _demo_results()
    console = recording_console(width)
    summary = RunSummary(run_id="r1", status="fail", results=results)
    render_matrix(summary, console)
    render_result("r1", 18, results[-1], console)
    lines = printed_lines(console)
    assert max(len(line) for line in lines) <= width
    text = "\n".join(lines)
    assert "TensorRT int8" in text
    # The detail view has what the narrow table hid, and every budget's verdict.
    for cell in ("42.4 s", "1.5 MiB", "2.0 KiB", "104.2", "312", "FAILED", "within budget", "not judged"):
        assert cell in text


def test_energy_from_modelled_power_is_marked_modelled() -> None:
    modelled = _result("orin-01", "orin", "fp32", "day", energy_mj_per_frame=4.64)
    measured = _result("orin-02", "orin", "fp32", "day", energy_mj_per_frame=4.64, power_source="tegrastats")
    for result, expected in ((modelled, "~4.64  (from modelled power)"), (measured, "4.64")):
        console = recording_console(100)
        render_result("r1", 1, result, console)
        [line] = [x for x in printed_lines(console) if x.startswith("energy mJ/frame")]
        assert line.split(None, 2)[2] == expected
