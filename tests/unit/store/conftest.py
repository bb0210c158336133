"""Real SQLite stores in tmp_path and a factory of plausible results."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hil.records import BudgetVerdicts, FrameSample, JobResult, LatencyStats
from hil.store import Store

MakeResult = Callable[..., JobResult]
MakeFrames = Callable[..., list[FrameSample]]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "hil.sqlite") as opened:
        yield opened


@pytest.fixture
def make_result() -> MakeResult:
    def make(**changes: object) -> JobResult:
        base = JobResult(
            board="orin-01",
            platform="orin",
            model="dms-v3",
            precision="int8",
            clip="night",
            status="pass",
            accuracy=0.9625,
            latency_ms=LatencyStats(
                min=7.5, mean=9.125, p50=9.0, p90=10.5, p99=None, max=19.25, n=300, insufficient=["p99"]
            ),
            latency_kind="host_e2e",
            fps=109.6,
            power_w=1.87,
            power_source="sim-model",
            energy_mj_per_frame=17.1,
            memory_peak_mb=212.5,
            conversion_s=31.2,
            engine_bytes=1_234_567,
            bytes_pushed=9_876_543,
            budgets=BudgetVerdicts(latency=True, power=True, memory=True, accuracy=None),
            frames=310,
            warmup_frames=10,
            per_class={"eyes_closed": {"precision": 0.9, "recall": None}},
            device_latency_ms=4.25,
            model_sha256="a" * 64,
            engine_key="trt-8.6-fp16-abc",
            fingerprint={"os": "Ubuntu 22.04", "tensorrt": "8.6.2"},
        )
        return base.model_copy(update=changes)

    return make


def _frames(count: int, warmup: int = 2) -> list[FrameSample]:
    return [
        FrameSample(
            index=i,
            warmup=i < warmup,
            decode_ms=1.25,
            preprocess_ms=0.5,
            infer_ms=7.0 + i / 8,
            postprocess_ms=0.25,
            total_ms=9.0 + i / 8,
            predicted=i % 3,
            label=None if i == 0 else i % 2,
        )
        for i in range(count)
    ]


@pytest.fixture
def frames() -> MakeFrames:
    return _frames
