"""Detection and landmark results in the run table, history, detail view and precision matrix: each kind's
headline figure labelled (AP50, NME), Δ vs fp32 per kind, models of different kinds never compared, and
every table still within 80 columns."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest
from rich.console import Console

from hil.records import BudgetVerdicts, JobResult, LatencyStats, RunSummary
from hil.report import render_history, render_run
from hil.report.detail import render_result
from hil.report.matrix import render_matrix
from hil.store import HistoryRow
from tests.unit.report.consoles import printed_lines, recording_console

WIDTHS = (80, 120)


def _result(model: str, precision: str, board: str = "orin-01", **changes: object) -> JobResult:
    base = JobResult(
        board=board,
        platform="orin",
        model=model,
        precision=precision,
        clip="cabin-01",
        status="pass",
        frames=300,
        latency_ms=LatencyStats(min=8.0, mean=9.5, p50=10.0, p90=11.5, p99=14.75, max=20.0, n=900),
        fps=104.2,
        power_w=3.21,
        power_source="sim-model",
        memory_peak_mb=312.0,
        budgets=BudgetVerdicts(latency=True, memory=True),
    )
    return base.model_copy(update=changes)


def _fast(precision: str) -> LatencyStats:
    p50 = {"fp32": 10.0, "fp16": 5.0, "int8": 4.0}[precision]
    return LatencyStats(min=1.0, mean=p50, p50=p50, p90=None, p99=None, max=30.0, n=300)


def _mixed() -> list[JobResult]:
    results = []
    for precision, acc, ap, nme in (("fp32", 0.97, 0.93, 0.041), ("fp16", 0.97, 0.93, 0.041),
                                    ("int8", 0.95, 0.90, 0.052)):  # fmt: skip
        results += [
            _result("dms-small", precision, accuracy=acc, task="classification", latency_ms=_fast(precision)),
            _result("dms-face", precision, task="detection", latency_ms=_fast(precision),
                    task_metrics={"map50": ap, "f1": 0.9, "per_class": {"face": {"ap50": ap, "tp": 10}}}),
            _result("dms-eyes", precision, task="landmarks", latency_ms=_fast(precision),
                    task_metrics={"nme": nme, "failure_rate": 0.0, "frames": 300, "skipped_frames": 0}),
        ]  # fmt: skip
    return results


@pytest.mark.parametrize("width", WIDTHS)
def test_run_table_labels_each_kinds_headline_and_fits(width: int) -> None:
    results = _mixed()
    console = recording_console(width)
    render_run(RunSummary(run_id="20261130-024500-ab12", status="pass", results=results), console)
    lines = printed_lines(console)
    assert max(len(line) for line in lines) <= width
    assert not any("…" in line for line in lines)
    rows = [line for line in lines if re.match(r"\s*\d+ +orin", line)]
    assert len(rows) == 9
    # Three models in one run: the model column stays, even at 80 columns (which row is which kind).
    assert all(any(m in r for m in ("dms-small", "dms-face", "dms-eyes")) for r in rows)
    assert sum("97.0 %" in r for r in rows) == 2 and sum("AP50 0.930" in r for r in rows) == 2
    assert sum("NME 0.041" in r for r in rows) == 2 and sum("NME 0.052" in r for r in rows) == 1


def test_a_task_result_without_labels_shows_no_figure() -> None:
    console = recording_console(120)
    render_run(
        RunSummary(run_id="r", status="pass", results=[_result("dms-face", "fp32", task="detection")]),
        console,
    )
    (row,) = [line for line in printed_lines(console) if re.match(r"\s*1 +orin", line)]
    assert "AP50" not in row and "–" in row


@pytest.mark.parametrize("width", WIDTHS)
def test_matrix_shows_the_delta_of_each_kinds_headline_vs_fp32(width: int) -> None:
    console = recording_console(width)
    render_matrix(RunSummary(run_id="r", status="pass", results=_mixed()), console)
    lines = printed_lines(console)
    assert max(len(line) for line in lines) <= width
    text = "\n".join(lines)
    assert "Δ AP50" in text and "Δ NME" in text and "Δ acc" in text
    int8 = [line for line in lines if "int8" in line and not line.lstrip().startswith("figure")]
    assert len(int8) == 3
    assert any("-2.0 pp" in line and "2.50×" in line for line in int8)  # accuracy 0.97 -> 0.95
    assert any("0.900" in line and "-3.0 pp" in line for line in int8)  # AP50 0.93 -> 0.90
    assert any("0.0520" in line and "+0.0110" in line for line in int8)  # NME 0.041 -> 0.052
    # Three models of three kinds: no "models vs" table compares a detector with a classifier.
    assert "models vs" not in text


def test_models_of_one_kind_are_compared_with_each_other_only() -> None:
    student = _result("face-student", "fp32", task="detection", task_metrics={"map50": 0.88})
    results = [*_mixed(), student.model_copy(update={"latency_ms": _fast("fp16")})]
    console = recording_console(120)
    render_matrix(RunSummary(run_id="r", status="pass", results=results), console)
    text = "\n".join(printed_lines(console))
    (title,) = [line for line in text.splitlines() if "models vs" in line]
    assert "models vs dms-face" in title
    (row,) = [line for line in text.splitlines() if line.startswith("face-student")]
    assert "-5.0 pp" in row and "2.00×" in row


def test_detail_lists_the_task_metrics_and_box_parity() -> None:
    from hil.records import OutputParity, ParityResult

    parity = ParityResult(
        frames=32,
        outputs={"boxes": OutputParity(max_abs=0.01, mean_abs=0.001, cosine=0.9999, top1_agreement=None)},
        boxes={"pairs": 40, "mean_iou": 0.987, "mean_score_diff": 0.002, "unpaired_reference": 1,
               "unpaired_other": 0},
    )  # fmt: skip
    result = _mixed()[1].model_copy(update={"parity": parity})
    console = recording_console(80)
    render_result("r", 2, result, console)
    lines = printed_lines(console)
    assert max(len(line) for line in lines) <= 80
    text = "\n".join(lines)
    assert "AP50 0.930" in text and "detection" in text
    assert "map50" in text and "per_class face" in text and "ap50 0.93" in text
    assert "mean_iou 0.987" in text and "pairs 40" in text


@pytest.mark.parametrize("width", WIDTHS)
def test_history_labels_the_headline(width: int) -> None:
    def row(
        i: int, model: str, task: str | None, metrics: dict[str, object] | None, acc: float | None
    ) -> HistoryRow:
        return HistoryRow(
            result_id=i, run_id="20261130-024500-ab12", created_at=datetime(2026, 11, 30, 2, i, tzinfo=UTC),
            board="orin-01", platform="orin", model=model, precision="int8", clip="cabin-01", status="pass",
            accuracy=acc, task=task, task_metrics=metrics, p50=9.0, p99=None, n=300, fps=100.0, power_w=None,
            power_source=None, memory_peak_mb=100.0, source="run", imported=False,
        )  # fmt: skip

    rows = [
        row(1, "dms-small", "classification", None, 0.95),
        row(2, "dms-face", "detection", {"map50": 0.912}, None),
        row(3, "dms-eyes", "landmarks", {"nme": 0.0412}, None),
    ]
    console = recording_console(width)
    render_history(rows, console)
    lines = printed_lines(console)
    assert max(len(line) for line in lines) <= width
    text = "\n".join(lines)
    assert "95.0 %" in text and "AP50 0.912" in text and "NME 0.041" in text
    assert "dms-face" in text and "dms-eyes" in text  # which row is which model, at any width


def test_a_skipped_fp32_row_does_not_turn_a_detectors_ap50_into_a_percentage() -> None:
    # TDA4VM offers no fp32: its row is `skipped`, never ran, and carries no task.
    skipped = _result("dms-face", "fp32", status="skipped", latency_ms=None, frames=0, power_w=None)
    ran = _result(
        "dms-face", "fp16", task="detection", task_metrics={"map50": 0.757, "f1": 0.5, "per_class": {}}
    )
    console = Console(file=io.StringIO(), width=80, record=True)
    render_matrix(RunSummary(run_id="r1", status="pass", results=[skipped, ran]), console)
    text = console.export_text()
    assert "AP50" in text and "0.757" in text and "75.7 %" not in text


@pytest.mark.parametrize("width", [80, 100])
def test_the_compression_table_has_every_figure_against_fp32_and_fits(width: int) -> None:
    from hil.measure.compression import compression_tables

    results = _mixed()
    console = recording_console(width)
    render_matrix(RunSummary(run_id="r", status="pass", results=results), console)
    lines = printed_lines(console)
    assert max(len(line) for line in lines) <= width
    text = "\n".join(lines)
    assert "compression vs fp32" in text
    for label in ("engine MB", "p50 ms", "worst p99 ms", "peak mem MB", "power W"):
        assert label in text, label
    tables = compression_tables(results)
    assert tables and all(t["baseline"] == "fp32" for t in tables)
    for t in tables:
        for precision, changes in t["changes"].items():
            base, value = t["figures"]["fp32"]["p50_ms"], t["figures"][precision]["p50_ms"]
            if base and value:
                assert changes["p50_ms"] == pytest.approx((value - base) / base * 100, abs=1e-3)
