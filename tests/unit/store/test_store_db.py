"""Store writes and reads against real SQLite files."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hil.errors import ConfigError
from hil.records import BudgetVerdicts, FrameSample, JobResult
from hil.store import JobLog, Store, StoreError

MakeResult = Callable[..., JobResult]
MakeFrames = Callable[..., list[FrameSample]]


def _count(path: Path, table: str) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_job_result_round_trips(store: Store, make_result: MakeResult, frames: MakeFrames) -> None:
    store.begin_run("r1", inventory="inventory/sim.yaml", argv=["hil", "run", "--json"])
    first = make_result()
    second = make_result(
        board="tda-01",
        platform="tda4vm",
        precision="fp32",
        status="infra_error",
        stage="convert",
        error="tidl import: out of memory",
        latency_ms=None,
        budgets=BudgetVerdicts(),
        power_source=None,
        power_w=None,
        fingerprint={},
        per_class={},
        source="import",
    )
    store.record_job("r1", first, frames(5), [])
    store.record_job("r1", second, [], [])
    assert store.run_results("r1") == [first, second]
    assert store.run_results("nope") == []


def test_samples_and_logs_round_trip(store: Store, make_result: MakeResult, frames: MakeFrames) -> None:
    store.begin_run("r1", inventory="sim", argv=[])
    logs = [
        JobLog(
            kind="convert", command="trtexec --onnx=m.onnx --saveEngine='a b.engine' --int8", text="PASSED"
        ),
        JobLog(kind="replay", command="python3 harness.py --clip night", text="frame 0 ..."),
    ]
    sample_list = frames(40)
    result_id = store.record_job("r1", make_result(), sample_list, logs)
    store.record_job("r1", make_result(board="orin-02"), frames(3), logs[:1])
    assert store.samples(result_id) == sample_list
    assert store.result_ids("r1") == [result_id, result_id + 1]
    got = store.job_logs("r1", board="orin-01")
    assert [(g.kind, g.command, g.text) for g in got] == [(x.kind, x.command, x.text) for x in logs]
    assert all(g.board == "orin-01" for g in got)
    assert [g.board for g in store.job_logs("r1", kind="convert")] == ["orin-01", "orin-02"]


def test_run_lifecycle_and_ids(store: Store, make_result: MakeResult) -> None:
    assert store.latest_run_id() is None
    for run_id in ("a", "b", "c"):
        store.begin_run(run_id, inventory="sim", argv=["hil", "run"])
    store.finish_run("a", "pass")
    assert store.run_ids(2) == ["c", "b"]
    assert store.latest_run_id() == "c"
    info = store.run_info("a")
    assert info is not None and info["status"] == "pass" and info["finished_at"]
    assert info["argv"] == ["hil", "run"] and info["hil_version"]
    # An interrupted run keeps its jobs and stays 'running'.
    store.record_job("b", make_result(), [], [])
    assert store.run_info("b")["status"] == "running"  # type: ignore[index]
    with pytest.raises(StoreError):
        store.finish_run("zz", "pass")
    with pytest.raises(StoreError, match="could not start run a"):
        store.begin_run("a", inventory="sim", argv=[])


def test_job_for_unknown_run_is_refused(store: Store, make_result: MakeResult) -> None:
    with pytest.raises(StoreError, match="begin_run") as info:
        store.record_job("ghost", make_result(), [], [])
    assert info.value.hint


def test_failed_job_leaves_nothing_and_keeps_earlier_jobs(
    tmp_path: Path, make_result: MakeResult, frames: MakeFrames
) -> None:
    path = tmp_path / "hil.sqlite"
    with Store.open(path) as store:
        store.begin_run("r1", inventory="sim", argv=[])
        store.record_job("r1", make_result(), frames(4), [JobLog(kind="convert", command="c", text="t")])
        bad = [*frames(3), FrameSample(**{**frames(1)[0].model_dump(), "index": 1})]  # frame 1 twice
        job = make_result(board="qcs-09", platform="qcs8255", model_sha256="b" * 64)
        with pytest.raises(StoreError, match="qcs-09") as info:
            store.record_job("r1", job, bad, [JobLog(kind="replay", command="c", text="t")])
        assert isinstance(info.value.__cause__, sqlite3.IntegrityError)
        # The store stays usable after the rollback.
        store.record_job("r1", make_result(board="orin-02"), frames(2), [])
    assert _count(path, "results") == 2
    assert _count(path, "sample_packs") == 2  # one packed row per result: 4 + 2 frames
    assert _count(path, "logs") == 1
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM boards WHERE name = 'qcs-09'").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM artifacts WHERE sha256 = ?", ["b" * 64]).fetchone()[0] == 0


def test_boards_and_artifacts(store: Store, make_result: MakeResult) -> None:
    store.record_board("orin-01", "orin", {"jetpack": "6.0"})
    store.record_artifact("c" * 64, "clip", "night.mp4", 1000)
    store.record_artifact("c" * 64, "clip", "night.mp4", None)  # a later sighting keeps the size
    store.begin_run("r1", inventory="sim", argv=[])
    store.record_job("r1", make_result(fingerprint={}), [], [])  # no fingerprint: facts survive
    boards = store.boards()
    assert [(b["name"], b["facts"]) for b in boards] == [("orin-01", {"jetpack": "6.0"})]
    store.record_job("r1", make_result(), [], [])
    assert store.boards()[0]["facts"] == {"os": "Ubuntu 22.04", "tensorrt": "8.6.2"}
    rows = list(store.db.query("SELECT sha256, kind, name, bytes FROM artifacts ORDER BY kind"))
    assert rows == [
        {"sha256": "c" * 64, "kind": "clip", "name": "night.mp4", "bytes": 1000},
        {"sha256": "a" * 64, "kind": "model", "name": "dms-v3", "bytes": None},
    ]


def _seed_history(store: Store, make_result: MakeResult) -> datetime:
    t0 = datetime(2024, 5, 1, 2, 0, tzinfo=UTC)
    for night in range(3):
        run_id = f"night-{night}"
        store.begin_run(run_id, inventory="lab", argv=[])
        when = t0 + timedelta(days=night)
        for board in ("orin-01", "orin-03"):
            for precision in ("fp16", "int8"):
                result = make_result(board=board, precision=precision, fps=100.0 + night)
                store.record_job(run_id, result, [], [], created_at=when)
    store.begin_run("imp", inventory="-", argv=["hil", "import"])
    old = make_result(board="orin-03", model="dms-v2", source="import", fps=50.0)
    store.record_job("imp", old, [], [], created_at=t0 - timedelta(days=30))
    return t0


def test_history_filters_and_order(store: Store, make_result: MakeResult) -> None:
    t0 = _seed_history(store, make_result)
    rows = store.history()
    assert len(rows) == 13
    stamps = [r.created_at for r in rows]
    assert stamps == sorted(stamps, reverse=True)
    assert rows[0].created_at == t0 + timedelta(days=2)
    # Same timestamp: the job recorded last comes first.
    assert rows[0].result_id > rows[1].result_id
    picked = store.history(board="orin-03", model="dms-v3", precision="int8")
    assert [r.run_id for r in picked] == ["night-2", "night-1", "night-0"]
    assert [r.fps for r in picked] == [102.0, 101.0, 100.0]
    assert [r.run_id for r in store.history(board="orin-03", last=2)] == ["night-2", "night-2"]
    assert store.history(model="nope") == []
    row = picked[0]
    assert (row.p50, row.p99, row.n, row.power_source) == (9.0, None, 300, "sim-model")


def test_imported_rows_are_marked(store: Store, make_result: MakeResult) -> None:
    _seed_history(store, make_result)
    imported = store.history(source="import")
    assert [(r.model, r.imported, r.source) for r in imported] == [("dms-v2", True, "import")]
    assert not any(r.imported for r in store.history(source="run"))
    assert store.history()[-1].imported


def test_open_creates_folder_and_uses_wal(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "hil.sqlite"
    with Store.open(path) as store:
        assert store.db.journal_mode == "wal"
    assert path.exists()
    with pytest.raises(ConfigError, match="no results store") as info:
        Store.open(tmp_path / "absent.sqlite", create=False)
    assert "hil run" in (info.value.hint or "")
    with pytest.raises(ConfigError, match="folder"):
        Store.open(tmp_path)


def test_jobs_from_many_threads(store: Store, make_result: MakeResult, frames: MakeFrames) -> None:
    store.begin_run("r1", inventory="sim", argv=[])

    def work(board: str) -> None:
        for i in range(5):
            store.record_job("r1", make_result(board=board, clip=f"clip-{i}"), frames(20), [])

    threads = [threading.Thread(target=work, args=(f"b{n}",)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(store.run_results("r1")) == 30
    assert all(len(store.samples(rid)) == 20 for rid in store.result_ids("r1"))
