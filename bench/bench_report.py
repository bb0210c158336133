"""The HTML report: build time and size of `hil report html` for a 72-result run with 30 nights of history,
against writing the same run's JSON (what `hil run --json` prints), in the same run.

    .venv/bin/python bench/bench_report.py [--quick] [--json]
    .venv/bin/python bench/run.py report --write

Builds a store with hil's own schema and writer (Store.record_job: compressed packs and logs) holding
30 nightly runs of 72 results each (3 boards x 3 models x 2-3 precisions x 3 clips, as the simulated rack's
`make run`: 27 + 27 + 18 jobs), each result with 720 frames at the harness's resolution (one night's frames
reused every night, to build quickly) and the four logs a job stores (a trtexec-like convert log of ~7 kB,
a 10 Hz tegrastats power log over 4 s, replay and thermal lines). Every board is an Orin here: tegrastats
is the slowest of the three power logs to parse, so this is the worst case.
Then times report_data + render + write of the newest run (the library call behind `hil report html`) and,
as the anchor, the run's JobResults read from the store and written as JSON. Targets (issue 23): <= 2 s to
build, <= 2 MB.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import Result, figure, main, median_ms

from hil.records import BudgetVerdicts, FrameSample, JobResult, LatencyStats
from hil.report.html import write_html
from hil.store import Store
from hil.store.reader import StoreReader
from hil.store.rows import JobLog

BOARDS = {"orin-sim-01": ("orin", ["fp32", "fp16", "int8"]), "qcs-sim-01": ("orin", ["fp32", "fp16", "int8"]),
          "tda-sim-01": ("orin", ["fp16", "int8"])}  # fmt: skip
MODELS = ["dms-small", "dms-face", "dms-eyes"]
CLIPS = ["cabin-01", "cabin-02", "cabin-03"]
FRAMES = 720


def _frames(rng: random.Random, centre: float) -> list[FrameSample]:
    clock, frames = 0.0, []
    for i in range(FRAMES):
        decode, pre = round(rng.uniform(0.05, 0.4), 4), round(rng.uniform(0.02, 0.1), 4)
        infer, post = (
            round(max(0.01, rng.gauss(centre, centre * 0.05)), 4),
            round(rng.uniform(0.005, 0.05), 4),
        )
        total = round(decode + pre + infer + post + rng.uniform(0, 0.01), 4)
        start = round(clock, 6)
        clock += total / 1000 + rng.uniform(0.0001, 0.0005)
        frames.append(
            FrameSample(
                index=i, warmup=i < 10, decode_ms=decode, preprocess_ms=pre, infer_ms=infer,
                postprocess_ms=post, total_ms=total, predicted=rng.randrange(3), label=rng.randrange(3),
                start_s=start, end_s=round(clock, 6),
            )
        )  # fmt: skip
    return frames


def _logs(rng: random.Random, model: str, precision: str, t0: float) -> list[JobLog]:
    convert = "\n".join(
        f"[12/07/2026-21:37:{i % 60:02d}] [I] {rng.choice(['Layer', 'Tactic', 'Timing', 'Engine'])} "
        f"{model}/{precision} node_{rng.randrange(10**6)} took {rng.uniform(0, 5):.4f} ms"
        for i in range(110)
    )
    power = "\n".join(
        f"{t0 + i / 10:.6f} 12-07-2026 21:37:38 RAM {1990 + i}/24105MB (lfb 785x4MB) "
        f"CPU [100%@2596,100%@2596] GR3D_FREQ 0% VDD_IN {rng.randrange(2900, 4200)}mW/3000mW "
        "VDD_CPU_GPU_CV 600mW/600mW VDD_SOC 1000mW/1000mW"
        for i in range(40)
    )
    return [
        JobLog(
            kind="convert",
            command=f"trtexec --onnx=/home/root/hil-work/blobs/{model}.onnx --{precision}",
            text=convert,
        ),
        JobLog(kind="power", command="tegrastats --interval 100", text=power),
        JobLog(
            kind="replay", command=f"python3 board_harness.py --model {model}", text="replayed 720 frames\n"
        ),
        JobLog(kind="thermal", command="cat /sys/class/thermal/*/temp", text="45000\n46000\n"),
    ]


def _result(
    board: str, platform: str, model: str, precision: str, clip: str, centre: float, rng: random.Random
) -> JobResult:
    latency = LatencyStats(
        min=centre * 0.8, mean=centre, p50=centre, p90=centre * 1.2, p99=centre * 1.5, max=centre * 3,
        n=FRAMES - 10,
    )  # fmt: skip
    return JobResult(
        board=board, platform=platform, model=model, precision=precision, clip=clip, status="pass",  # type: ignore[arg-type]
        accuracy=rng.uniform(0.95, 1.0), fps=1000 / centre, latency_ms=latency, power_w=3.2,
        power_source="sim-model", memory_peak_mb=180.0, engine_bytes=2_000_000,
        budgets=BudgetVerdicts(latency=True, accuracy=True), frames=FRAMES - 10, warmup_frames=10,
        model_sha256=f"{abs(hash(model)):064x}"[:64], fingerprint={"tensorrt": "10.3.0", "power_mode": "15W"},
    )  # fmt: skip


def build(path: Path, nights: int, seed: int = 1) -> str:
    """`nights` runs of 72 results; returns the newest run's id."""
    rng = random.Random(seed)
    start = datetime.now(UTC) - timedelta(days=nights)
    run_id = ""
    made: dict[tuple[str, str, str, str], tuple[float, list[FrameSample]]] = {}  # one night's frames, reused
    with Store.open(path) as store:
        for night in range(nights):
            run_id = f"night-{night:03d}"
            store.begin_run(run_id, inventory="inventory/sim.yaml", argv=["run"])
            at = start + timedelta(days=night)
            for board, (platform, precisions) in BOARDS.items():
                for model in MODELS:
                    for precision in precisions:
                        for clip in CLIPS:
                            key = (board, model, precision, clip)
                            if key not in made:
                                centre = rng.uniform(0.2, 3.0)
                                made[key] = (centre, _frames(rng, centre))
                            centre, frames = made[key]
                            at += timedelta(seconds=10)
                            logs = _logs(rng, model, precision, at.timestamp())
                            result = _result(board, platform, model, precision, clip, centre, rng)
                            store.record_job(run_id, result, frames, logs, created_at=at)
            store.finish_run(run_id, "pass")
    return run_id


def _cpu_ms(fn: Callable[[], object], rounds: int) -> float:
    """The median CPU time of `rounds` calls (on a shared machine wall time is inflated by others' load)."""
    samples = []
    for _ in range(rounds):
        start = time.process_time()
        fn()
        samples.append(time.process_time() - start)
    return statistics.median(samples) * 1000.0


def run(quick: bool = False) -> Result:
    nights = 5 if quick else 30
    rounds = 3 if quick else 5
    with tempfile.TemporaryDirectory(prefix="hil-bench-report-") as tmp:
        path = Path(tmp) / "report.sqlite"
        started = time.perf_counter()
        run_id = build(path, nights)
        built = time.perf_counter() - started
        page = Path(tmp) / "report.html"
        out_json = Path(tmp) / "run.json"
        with StoreReader.open(path) as reader:
            html_ms = median_ms(lambda: write_html(reader, run_id, page, 30), rounds)
            html_cpu_ms = _cpu_ms(lambda: write_html(reader, run_id, page, 30), rounds)
        with Store.open(path, create=False) as store:

            def write_json() -> None:
                results = store.run_results(run_id)
                out_json.write_text(json.dumps([r.model_dump(mode="json") for r in results], indent=2))

            json_ms = median_ms(write_json, rounds)
            json_cpu_ms = _cpu_ms(write_json, rounds)
        html_bytes, json_bytes = page.stat().st_size, out_json.stat().st_size
        store_bytes = path.stat().st_size
    met = {True: "met", False: "not met"}
    return {
        "name": "report",
        "title": "HTML report: `hil report html` of a 72-result run vs writing its JSON",
        "figures": [
            figure(
                "build and write the page (30 nights of history)",
                "ms",
                html_ms,
                "the run's results read and written as JSON",
                json_ms,
            ),
            figure(
                "build and write the page, CPU time",
                "ms",
                html_cpu_ms,
                "writing the JSON, CPU time",
                json_cpu_ms,
            ),
            figure("page size", "kB", html_bytes / 1024, "the run's JSON", json_bytes / 1024),
        ],
        "notes": [
            f"{nights} nightly runs x 72 results in the store ({store_bytes / 2**20:.1f} MB, built in "
            f"{built:.0f} s), {FRAMES} frames and 4 logs per result; medians of {rounds} builds; "
            f"load average {os.getloadavg()[0]:.1f}",
            f"targets: <= 2 s to build ({met[html_ms <= 2000]} wall, {met[html_cpu_ms <= 2000]} CPU), "
            f"<= 2 MB ({met[html_bytes <= 2 * 2**20]}); "
            "the page inlines uPlot (51 kB) and holds every figure, the last 40 lines of each log, power "
            "traces (thinned to 240 points) and 30-point trends per series",
        ]
        + ([] if nights == 30 else [f"--quick: {nights} nights of history instead of 30"]),
        "details": {
            "html_ms": html_ms,
            "html_cpu_ms": html_cpu_ms,
            "json_ms": json_ms,
            "html_bytes": html_bytes,
            "json_bytes": json_bytes,
            "nights": nights,
            "load_average": os.getloadavg()[0],
        },
    }


if __name__ == "__main__":
    main(run, __doc__)
