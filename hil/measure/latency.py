"""Latency statistics by one documented rule: nearest-rank percentiles on the sorted samples.

A percentile needs enough samples to mean anything; the thresholds are MLPerf's (>= 64 samples for p90,
>= 662 for p99). Below them the percentile is None and named in `insufficient`, so reports say so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where built: the history table reads MIN_SAMPLES without pydantic
    from hil.records import LatencyStats

MIN_SAMPLES = {"p90": 64, "p99": 662}


def nearest_rank(sorted_samples: Sequence[float], pct: float) -> float:
    """The smallest sample such that at least pct % of samples are <= it (pct in (0, 100])."""
    if not sorted_samples:
        raise ValueError("no samples")
    rank = max(1, math.ceil(pct / 100.0 * len(sorted_samples)))
    return sorted_samples[rank - 1]


def latency_stats(samples: Sequence[float]) -> LatencyStats | None:
    from hil.records import LatencyStats

    if not samples:
        return None
    ordered = sorted(samples)
    n = len(ordered)
    insufficient = [name for name, need in MIN_SAMPLES.items() if n < need]
    return LatencyStats(
        min=ordered[0],
        mean=sum(ordered) / n,
        p50=nearest_rank(ordered, 50),
        p90=None if "p90" in insufficient else nearest_rank(ordered, 90),
        p99=None if "p99" in insufficient else nearest_rank(ordered, 99),
        max=ordered[-1],
        n=n,
        insufficient=insufficient,
    )


def judged_latency(stats: LatencyStats) -> tuple[str, float]:
    """The statistic a latency budget is judged on: p99 when n allows it, else the max.

    Falling back to the max keeps a short run from passing a budget it might fail at p99.
    """
    if stats.p99 is not None:
        return "p99", stats.p99
    return "max", stats.max
