"""Results of a supplied engine (`hil run --engine`) are compared only with results of the same engine: its
hash is in the result's fingerprint, which decides the series of baselines, verdicts and trends."""

from __future__ import annotations

from pathlib import Path

from hil.records import JobResult
from hil.runs.verdict import judge_results
from hil.store import Store
from tests.unit.history.test_store_history import _frames, _record, _result


def supplied(sha: str) -> JobResult:
    fingerprint = {"tensorrt": "10.3", "engine": "supplied", "engine_sha256": sha}
    return _result(fingerprint=fingerprint, engine_key=f"supplied-{sha[:16]}")


def test_a_supplied_engine_has_its_own_series(tmp_path: Path) -> None:
    with Store.open(tmp_path / "hil.sqlite") as store:
        for i in range(3):  # engines hil built from the same model, on the same board
            _record(store, f"built{i}", _result(), _frames(60, 2.0, seed=i))
        # A slower supplied engine is not a regression of the built ones: another series, no baseline yet.
        _record(store, "a0", supplied("a" * 64), _frames(60, 4.0, seed=3))
        [first] = judge_results(store, "a0", [supplied("a" * 64)])
        assert first.status == "pass" and first.regression_flags == ["no_baseline"]
        for i in range(1, 3):
            _record(store, f"a{i}", supplied("a" * 64), _frames(60, 4.0, seed=3 + i))
        _record(store, "a-slow", supplied("a" * 64), _frames(60, 6.0, seed=9))
        [slow] = judge_results(store, "a-slow", [supplied("a" * 64)])
        assert slow.status == "regression" and slow.regressions[0].n["baseline"] == 3 * 55
        # Another engine (another hash) starts its own series again.
        _record(store, "b0", supplied("b" * 64), _frames(60, 9.0, seed=10))
        [other] = judge_results(store, "b0", [supplied("b" * 64)])
        assert other.status == "pass" and other.regression_flags == ["no_baseline"]
        [stored] = store.run_results("b0")
        assert stored.fingerprint["engine"] == "supplied" and stored.engine_key == "supplied-" + "b" * 16
        assert stored.engine == "supplied"  # read back from what the store keeps
