"""render_run / render_history: the cells a user reads, recorded from a real rich Console."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from rich.console import Console

from hil.records import BudgetVerdicts, JobResult, LatencyStats, RunSummary, overall_status
from hil.report import render_history, render_run
from hil.store import HistoryRow


def _result(**changes: object) -> JobResult:
    base = JobResult(
        board="orin-01",
        platform="orin",
        model="dms-v3",
        precision="int8",
        clip="night-glasses",
        status="pass",
        accuracy=0.9712,
        latency_ms=LatencyStats(min=8.0, mean=9.5, p50=9.25, p90=11.5, p99=14.75, max=20.0, n=900),
        fps=104.2,
        power_w=3.21,
        power_source="tegrastats",
        memory_peak_mb=312.0,
        conversion_s=42.4,
        engine_bytes=3 * 1024 * 1024 // 2,
        bytes_pushed=2048,
        budgets=BudgetVerdicts(latency=True, power=True, memory=True, accuracy=True),
    )
    return base.model_copy(update=changes)


def _render(results: list[JobResult]) -> str:
    console = Console(record=True, width=200)
    summary = RunSummary(run_id="20240501-0200", status=overall_status(results), results=results)
    render_run(summary, console)
    return console.export_text()


def test_pass_row_shows_every_measurement_with_units() -> None:
    text = _render([_result()])
    for cell in ("orin-01", "orin", "dms-v3", "int8", "night-glasses", "pass", "97.1 %", "9.25", "14.75"):
        assert cell in text
    for cell in ("104.2", "3.21", "312", "42.4 s", "1.5 MiB", "2.0 KiB", "✓"):
        assert cell in text
    assert "~3.21" not in text and "(modelled)" not in text
    assert "1 pass" in text and "0 fail" in text


def test_small_n_names_the_threshold_instead_of_a_number() -> None:
    lat = LatencyStats(min=8, mean=9, p50=9, p90=10, p99=None, max=12, n=100, insufficient=["p99"])
    text = _render([_result(latency_ms=lat)])
    assert "n<662" in text
    assert "n<64" not in text


def test_simulated_power_is_marked_modelled() -> None:
    text = _render([_result(power_w=1.4, power_source="sim-model")])
    assert "~1.40" in text
    assert "~ power (modelled)" in text  # the legend says what the mark means


def test_budgets_show_pass_fail_and_not_judged() -> None:
    budgets = BudgetVerdicts(latency=False, power=None, memory=True, accuracy=None)
    text = _render([_result(status="fail", budgets=budgets, accuracy=None)])
    row = next(line for line in text.splitlines() if "orin-01" in line and "fail" in line)
    assert "✗ lat" in row and "✓" not in row  # the failed budget, by its short name
    assert "budgets failed: latency" in text
    assert "✓" in _render([_result(budgets=BudgetVerdicts(latency=True))])
    untested = _render([_result(budgets=BudgetVerdicts())])
    assert "✓" not in untested and "✗" not in untested


def test_problems_listed_below_the_table_with_their_stage() -> None:
    results = [
        _result(),
        _result(
            board="qcs-02",
            platform="qcs8255",
            status="infra_error",
            stage="connect",
            error="board unreachable: ssh timed out after 30 s",
            latency_ms=None,
            fps=None,
            power_w=None,
            power_source=None,
            engine_bytes=None,
            budgets=BudgetVerdicts(),
        ),
        _result(board="tda-01", platform="tda4vm", status="skipped", error="no TIDL SDK"),
    ]
    text = _render(results)
    table_end = text.index("problems:")
    assert "infra_error qcs-02 dms-v3/int8/night-glasses [connect] board unreachable" in text[table_end:]
    assert "tda-01" not in text[table_end:]  # skipped is not a problem
    assert "1 pass" in text and "1 infra_error" in text and "1 skipped" in text


def test_render_history_marks_imported_rows() -> None:
    def row(source: str, run_id: str) -> HistoryRow:
        return HistoryRow(
            result_id=1,
            run_id=run_id,
            created_at=datetime(2024, 5, 1, 2, 0, tzinfo=UTC),
            board="orin-03",
            platform="orin",
            model="dms-v3",
            precision="int8",
            clip="day",
            status="pass",
            accuracy=0.95,
            p50=9.0,
            p99=None,
            n=200,
            fps=100.0,
            power_w=2.0,
            power_source="sim-model",
            memory_peak_mb=100.0,
            source=source,
            imported=source == "import",
        )

    console = Console(record=True, width=200)
    render_history([row("run", "run-a"), row("import", "import-b")], console)
    text = console.export_text()
    lines = text.splitlines()
    assert "imported" in next(line for line in lines if "import-b" in line)
    assert "imported" not in next(line for line in lines if "run-a" in line)
    assert "n<662" in text and "(modelled)" in text and "2024-05-01 02:00:00" in text


def test_off_a_terminal_the_table_is_never_truncated() -> None:
    # CI logs are not terminals: rich would cut cells to "…"; hil drops low-priority columns instead.
    console = Console(file=io.StringIO(), width=80, record=True)
    render_run(RunSummary(run_id="r", status="pass", results=[_result()]), console)
    text = console.export_text()
    assert "…" not in text
    assert "night-glasses" in text and "9.25" in text and "14.75" in text
    assert "hidden at this width:" in text and "pushed" in text


def test_history_lifts_constant_columns_into_the_title() -> None:
    rows = [
        HistoryRow(
            result_id=i,
            run_id=f"night-{i}",
            created_at=datetime(2024, 5, i, 2, 0, tzinfo=UTC),
            board="orin-03",
            platform="orin",
            model="dms-v3",
            precision="int8",
            clip=clip,
            status="pass",
            accuracy=None,
            p50=9.0,
            p99=12.5,
            n=1000,
            fps=None,
            power_w=None,
            power_source=None,
            memory_peak_mb=None,
            source="run",
            imported=False,
        )
        for i, clip in ((2, "day"), (1, "night"))
    ]
    console = Console(record=True, width=200)
    render_history(rows, console)
    text = console.export_text()
    lines = text.splitlines()
    assert lines[0].strip() == "orin-03 · orin · dms-v3 · int8"
    assert "clip" in lines[1] and "board" not in lines[1]
    assert "12.50" in text
