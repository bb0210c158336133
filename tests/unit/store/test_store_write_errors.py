"""A store that refuses writes says why and what to do; a failed run is marked, never left `running`.

The refusals are SQLite's own: `PRAGMA query_only` (a read-only connection) and `PRAGMA max_page_count`
(a full database: SQLITE_FULL, what a full disk raises). tests/cli/test_store_errors.py does the same on
real read-only and full file systems.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from hil.errors import ConfigError
from hil.store import Store
from hil.store.db import StoreError
from hil.store.rows import JobLog
from tests.unit.store.conftest import MakeFrames, MakeResult


def test_a_read_only_store_says_so_and_where(store: Store, make_result: MakeResult) -> None:
    store.begin_run("r1", inventory="inv.yaml", argv=[])
    store.db.execute("PRAGMA query_only = 1")
    with pytest.raises(StoreError) as caught:
        store.record_job("r1", make_result(), [], [])
    err = caught.value
    assert err.exit_code == 3
    assert "read-only" in err.message and str(store.path) in err.message
    assert err.hint is not None and "--db" in err.hint and "bug" not in err.hint


def test_a_full_store_mid_run_keeps_earlier_jobs_and_is_marked_failed(
    tmp_path: Path, make_result: MakeResult, frames: MakeFrames
) -> None:
    with Store.open(tmp_path / "hil.sqlite") as store:
        store.begin_run("r1", inventory="inv.yaml", argv=[])
        store.record_job("r1", make_result(clip="first"), frames(50), [])
        pages = store.db.execute("PRAGMA page_count").fetchone()[0]
        store.db.execute(f"PRAGMA max_page_count = {pages + 1}")
        with pytest.raises(StoreError) as caught:
            # Random text: no compression brings its 200 kB (100 kB of entropy) under the pages left.
            noise = JobLog(kind="replay", command="harness", text=secrets.token_hex(100_000))
            store.record_job("r1", make_result(clip="second"), frames(5000), [noise])
        assert "the disk is full" in caught.value.message
        assert caught.value.hint is not None and "free space" in caught.value.hint
        assert store.abandon_run("r1", "infra_error")
    with Store.open(tmp_path / "hil.sqlite", create=False) as reopened:
        info = reopened.run_info("r1")
        assert info is not None and info["status"] == "infra_error" and info["finished_at"]
        assert [r.clip for r in reopened.run_results("r1")] == ["first"]


def test_abandon_leaves_a_finished_run_alone(store: Store) -> None:
    store.begin_run("r1", inventory="inv.yaml", argv=[])
    store.finish_run("r1", "pass")
    assert store.abandon_run("r1")
    info = store.run_info("r1")
    assert info is not None and info["status"] == "pass"


def test_a_store_under_a_file_is_a_usage_error_not_a_crash(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    with pytest.raises(ConfigError) as caught:
        Store.open(not_a_folder / "sub" / "hil.sqlite")
    assert "is a file, not a folder" in caught.value.message and str(not_a_folder) in caught.value.message
