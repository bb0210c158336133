"""`hil store prune`: old samples and logs go, summaries and every baseline in use stay; the regression check
still works on the pruned store (and still finds a real slowdown)."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hil.runs.verdict import judge_results
from hil.store import Store
from hil.store.prune import prune
from hil.store.rows import JobLog
from tests.unit.history.test_store_history import _frames, _result


def _store(path: Path) -> None:
    """One series with 9 results 200..120 days old (a slow one among them, never a baseline), another
    series whose only results are old, and 2 recent results of the first series."""
    now = datetime.now(UTC)
    with Store.open(path) as store:
        for i in range(9):
            run = f"old-{i}"
            store.begin_run(run, inventory="sim", argv=[])
            result = _result(status="fail") if i == 4 else _result()
            log = JobLog(kind="replay", command="harness --clip cabin-01.mp4", text=f"frame log {i}\n" * 50)
            rid = store.record_job(run, result, _frames(60, 2.0, seed=i), [log],
                                   created_at=now - timedelta(days=200 - 10 * i))  # fmt: skip
            if i == 6:  # a noisy result is never a baseline: it must not shield another from pruning
                store.db.execute("UPDATE results SET noisy = 1 WHERE id = ?", [rid])
            store.finish_run(run, "pass")
        store.begin_run("other", inventory="sim", argv=[])
        store.record_job("other", _result(board="orin-09"), _frames(60, 2.0, seed=20), [],
                         created_at=now - timedelta(days=300))  # fmt: skip
        store.finish_run("other", "pass")
        for i in range(2):
            store.begin_run(f"new-{i}", inventory="sim", argv=[])
            store.record_job(f"new-{i}", _result(), _frames(60, 2.0, seed=30 + i), [],
                             created_at=now - timedelta(days=2 - i))  # fmt: skip
            store.finish_run(f"new-{i}", "pass")


def _packs(path: Path) -> set[int]:
    with sqlite3.connect(path) as conn:
        return {r[0] for r in conn.execute("SELECT result_id FROM sample_packs")}


def test_dry_run_says_what_would_go_and_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "hil.sqlite"
    _store(path)
    before = path.read_bytes()
    with sqlite3.connect(path) as conn:
        report = prune(conn, path, 90, dry_run=True)
    assert path.read_bytes() == before
    # Baseline of the series' next result: the 5 newest eligible (pass/fail, not noisy): new-1, new-0,
    # old-8, old-7, old-5; old-6 is noisy. The other series' only result is its baseline.
    # So old-0..old-4 and old-6 go: 6 results, 6 packs, 6 logs.
    assert (report.results_pruned, report.packs, report.logs) == (6, 6, 6)
    assert report.baselines_kept == 4  # old-5, old-7, old-8 and the other series' result
    assert report.bytes_freed > 0 and report.file_bytes_after is None


def test_prune_frees_keeps_summaries_and_baselines_and_judging_still_works(tmp_path: Path) -> None:
    path = tmp_path / "hil.sqlite"
    _store(path)
    all_packs = _packs(path)
    with sqlite3.connect(path) as conn:
        report = prune(conn, path, 90, dry_run=False)
    assert report.results_pruned == 6
    assert report.file_bytes_after is not None and report.file_bytes_after < report.file_bytes_before
    kept = _packs(path)
    assert all_packs - kept == set(report.ids) and len(kept) == len(all_packs) - 6
    with Store.open(path) as store:
        assert len(store.history()) == 12  # every summary stays
        rows = store.query("SELECT id FROM results WHERE run_id = 'old-0'")
        assert store.samples(rows[0]["id"]) == []  # its frames went with the prune
        with sqlite3.connect(path) as conn:
            assert conn.execute("SELECT count(*) FROM logs").fetchone()[0] == 3  # old-5, old-7, old-8
        # The next result of the series is judged against its kept baseline, and a real slowdown is found.
        store.begin_run("slow", inventory="sim", argv=[])
        store.record_job("slow", _result(), _frames(60, 4.0, seed=40), [])
        [judged] = judge_results(store, "slow", [_result()])
        assert judged.status == "regression", judged.regression_flags
        [row] = store.query("SELECT verdict FROM results WHERE run_id = 'slow'")
        assert len(json.loads(row["verdict"])["baseline_ids"]) == 5
