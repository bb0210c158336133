"""bench/bench_history.py builds a real store and reports ratios to raw SQL (a small size here)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from hil.store import Store

BENCH = Path(__file__).resolve().parents[3] / "bench" / "bench_history.py"


def test_bench_builds_a_store_with_samples_and_reports_ratios(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("bench_history", BENCH)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    path = tmp_path / "h.sqlite"
    bench.build(path, results=6 * 1800, frames=16)  # six nights of 1800 series
    with Store.open(path, create=False) as store:
        assert store.query("SELECT count(*) AS n FROM results")[0]["n"] == 6 * 1800
        assert store.query("SELECT count(*) AS n FROM sample_packs")[0]["n"] == 6 * 1800
        assert len(store.samples(1)) == 16
    figures = bench.measure(path, repeat=1)
    for key in ("history_query", "history_end_to_end", "regression_check", "trend_one_series"):
        assert figures[key]["ratio"] > 0, key
    assert figures["regression_check"]["outcome"] in ("ok", "regression")  # five nights of baseline
    assert figures["trend_one_series"]["points"] == 6
