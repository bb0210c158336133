from __future__ import annotations

from rich.console import Console

from hil.records import JobResult, LatencyStats, RunSummary
from hil.report.matrix import render_matrix


def result(precision: str, clip: str, accuracy: float, frames: int, p99: float | None) -> JobResult:
    return JobResult(
        board="qcs-1",
        platform="qcs8255",
        model="dms",
        precision=precision,  # type: ignore[arg-type]
        clip=clip,
        status="pass",
        accuracy=accuracy,
        frames=frames,
        latency_ms=LatencyStats(
            min=1,
            mean=2,
            p50=2,
            p90=3,
            p99=p99,
            max=9,
            n=700 if p99 else 100,
            insufficient=[] if p99 else ["p99"],
        ),
        power_w=3.0,
        power_source="sim-model",
    )


def test_matrix_names_platform_precisions_and_weights_by_frames() -> None:
    summary = RunSummary(
        run_id="r",
        status="pass",
        results=[
            result("int8", "a", 1.0, 300, 5.0),
            result("int8", "b", 0.5, 100, 7.0),
            result("fp32", "a", 0.9, 100, None),
        ],
    )
    console = Console(record=True, width=200)
    render_matrix(summary, console)
    text = console.export_text()
    assert "DSP int8" in text and "CPU fp32" in text
    assert "87.5 %" in text  # (300 * 1.0 + 100 * 0.5) / 400, not the plain mean 75 %
    assert "7.00" in text  # the worst clip's p99
    assert "n<662" in text  # fp32 had too few samples for a p99
    assert "~3.00" in text and "(modelled)" in text  # modelled power, marked compactly


def test_matrix_shows_compression_figures_against_fp32_within_80_columns() -> None:
    summary = RunSummary(
        run_id="r",
        status="pass",
        results=[result("fp32", "a", 0.98, 100, None), result("int8", "a", 0.95, 100, None)],
    )
    summary.results[1].latency_ms = summary.results[1].latency_ms.model_copy(update={"p50": 0.5})  # type: ignore[union-attr]
    console = Console(record=True, width=80)
    render_matrix(summary, console)
    text = console.export_text()
    assert "vs fp32" in text and "-3.0 pp" in text and "4.00×" in text  # 2 ms / 0.5 ms
    assert max(len(line.rstrip()) for line in text.splitlines()) <= 80


def test_several_models_are_compared_with_the_first_one() -> None:
    teacher = [result("fp32", "a", 0.98, 100, None), result("int8", "a", 0.97, 100, None)]
    student = [r.model_copy(update={"model": "dms-student", "accuracy": 0.96}) for r in teacher]
    student[0].latency_ms = student[0].latency_ms.model_copy(update={"p50": 1.0})  # type: ignore[union-attr]
    summary = RunSummary(run_id="r", status="pass", results=[*student, *teacher])
    console = Console(record=True, width=80)
    render_matrix(summary, console, baseline_model="dms")
    text = console.export_text()
    assert "models vs dms" in text
    rows = [line for line in text.splitlines() if line.startswith("dms-student")]
    assert len(rows) == 2 and "-2.0 pp" in rows[0] and "2.00×" in rows[0] and "1.00×" in rows[1]
    assert [line.split()[2] for line in text.splitlines() if line.startswith("dms ")] == ["fp32", "int8"]


def test_noisy_results_are_flagged_with_a_note() -> None:
    hot = result("fp32", "a", 0.9, 100, None).model_copy(
        update={
            "noisy": True,
            "noisy_reason": "board throttled during the replay: cooling device x at state 1/1",
        }
    )
    console = Console(record=True, width=80)
    render_matrix(RunSummary(run_id="r", status="pass", results=[hot]), console)
    text = console.export_text()
    assert "pass!" in text and "! noisy: taken while the board throttled" in text
