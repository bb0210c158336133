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
    assert "~3.00" in text  # modelled power, marked compactly
