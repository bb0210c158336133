from __future__ import annotations

import pytest

from hil.measure.latency import judged_latency, latency_stats, nearest_rank


def test_nearest_rank_definition() -> None:
    samples = [float(x) for x in range(1, 101)]  # 1..100
    assert nearest_rank(samples, 50) == 50
    assert nearest_rank(samples, 90) == 90
    assert nearest_rank(samples, 99) == 99
    assert nearest_rank(samples, 100) == 100
    assert nearest_rank([3.0], 99) == 3.0
    # ceil(0.5 * 5) = 3rd smallest, not an interpolated 2.5
    assert nearest_rank([1.0, 2.0, 3.0, 4.0, 5.0], 50) == 3.0


def test_percentiles_withheld_below_mlperf_minimum() -> None:
    small = latency_stats([float(x) for x in range(63)])
    assert small is not None
    assert small.p90 is None and small.p99 is None
    assert small.insufficient == ["p90", "p99"]
    medium = latency_stats([float(x) for x in range(64)])
    assert medium is not None and medium.p90 is not None and medium.p99 is None
    large = latency_stats([float(x) for x in range(662)])
    assert large is not None and large.p99 == 655.0 and large.insufficient == []


def test_stats_values() -> None:
    stats = latency_stats([4.0, 1.0, 3.0, 2.0])
    assert stats is not None
    assert (stats.min, stats.max, stats.mean, stats.p50, stats.n) == (1.0, 4.0, 2.5, 2.0, 4)
    assert latency_stats([]) is None


def test_budget_judged_on_max_when_p99_unavailable() -> None:
    stats = latency_stats([1.0] * 10 + [150.0])
    assert stats is not None
    assert judged_latency(stats) == ("max", 150.0)
    big = latency_stats([1.0] * 700 + [150.0])
    assert big is not None
    assert judged_latency(big) == ("p99", 1.0)


def test_nearest_rank_rejects_empty() -> None:
    with pytest.raises(ValueError):
        nearest_rank([], 50)
