"""Throughput, camera pacing and per-stage medians of one replay (see docs/results.md).

- replay_s: from the first timed (non-warm-up) frame's start to the last frame's end, on the harness's clock.
- fps: timed frames processed / replay_s. Never 1 / mean latency.
- pacing (camera-paced replay only; None in free run): frame i arrives at a_i = a_0 + i / target_fps; its
  deadline is its successor's arrival a_(i+1).
  deadline_misses: timed frames that ended after their deadline;
  dropped_frames: timed frames the pipeline dropped because it could start them only after their successor
  had arrived;
  lateness_p99_ms: nearest-rank p99 over timed processed frames of max(0, end - deadline), in ms.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from hil.measure.latency import nearest_rank

STAGES = ("decode", "preprocess", "infer", "postprocess")


@dataclass(frozen=True)
class Timed:
    """One processed frame's timing: seconds on the harness's clock, `due` None in free run."""

    start: float
    end: float
    due: float | None
    warmup: bool


def throughput(frames: Sequence[Timed]) -> tuple[float | None, float | None]:
    """(fps, replay_s) over the timed frames; (None, None) without any or without a measured span."""
    timed = [f for f in frames if not f.warmup]
    if not timed:
        return None, None
    replay_s = max(f.end for f in timed) - min(f.start for f in timed)
    if replay_s <= 0:
        return None, None
    return len(timed) / replay_s, replay_s


def pacing(target_fps: float | None, frames: Sequence[Timed], dropped: int) -> dict[str, float | int | None]:
    """The `pacing` object: all None in free run (no target rate)."""
    if not target_fps:
        return {"target_fps": None, "deadline_misses": None, "dropped_frames": None, "lateness_p99_ms": None}
    period = 1.0 / target_fps
    timed = [f for f in frames if not f.warmup and f.due is not None]
    lateness = sorted(max(0.0, f.end - (f.due + period)) * 1000.0 for f in timed if f.due is not None)
    return {
        "target_fps": target_fps,
        "deadline_misses": sum(1 for ms in lateness if ms > 0),
        "dropped_frames": dropped,
        "lateness_p99_ms": round(nearest_rank(lateness, 99), 4) if lateness else None,
    }


def stage_medians(stages: Mapping[str, Sequence[float]]) -> dict[str, float | None]:
    """Median milliseconds of each stage over the timed frames (None for a stage with no sample)."""
    out: dict[str, float | None] = {}
    for name in STAGES:
        values = [v for v in stages.get(name, []) if not math.isnan(v)]
        out[name] = round(statistics.median(values), 4) if values else None
    return out
