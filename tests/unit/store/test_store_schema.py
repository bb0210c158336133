"""Schema versions: an older store is migrated on open, a newer or foreign one is refused clearly."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from hil.errors import ConfigError
from hil.store import SCHEMA_VERSION, JobLog, Store

# The layout a v1 hil wrote, spelled out here rather than imported, as an old file on disk would have it.
V1_DDL = """
CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL,
    hil_version TEXT NOT NULL);
INSERT INTO schema_version VALUES (1, '2024-01-01T00:00:00+00:00', '0.0.9');
CREATE TABLE runs (run_id TEXT PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT, status TEXT NOT NULL,
    inventory TEXT, hil_version TEXT NOT NULL, argv TEXT NOT NULL, host TEXT);
CREATE TABLE boards (name TEXT PRIMARY KEY, platform TEXT NOT NULL, last_seen TEXT NOT NULL,
    facts TEXT NOT NULL DEFAULT '{}');
CREATE TABLE artifacts (sha256 TEXT PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('model', 'engine', 'clip',
    'harness')), name TEXT NOT NULL, bytes INTEGER, first_seen TEXT NOT NULL);
CREATE TABLE results (id INTEGER PRIMARY KEY, run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
    board TEXT NOT NULL, platform TEXT NOT NULL, model TEXT NOT NULL, model_sha256 TEXT,
    precision TEXT NOT NULL, clip TEXT NOT NULL, status TEXT NOT NULL, stage TEXT, error TEXT, accuracy REAL,
    lat_min REAL, lat_mean REAL, lat_p50 REAL, lat_p90 REAL, lat_p99 REAL, lat_max REAL, lat_n INTEGER,
    lat_insufficient TEXT, latency_kind TEXT NOT NULL, fps REAL, power_w REAL, power_source TEXT,
    energy_mj_per_frame REAL, memory_peak_mb REAL, conversion_s REAL, engine_bytes INTEGER,
    bytes_pushed INTEGER NOT NULL DEFAULT 0, budget_latency INTEGER, budget_power INTEGER,
    budget_memory INTEGER, budget_accuracy INTEGER, frames INTEGER NOT NULL DEFAULT 0,
    warmup_frames INTEGER NOT NULL DEFAULT 0, device_latency_ms REAL, engine_key TEXT,
    fingerprint TEXT NOT NULL DEFAULT '{}', per_class TEXT NOT NULL DEFAULT '{}', created_at TEXT NOT NULL);
CREATE TABLE samples (result_id INTEGER NOT NULL REFERENCES results(id) ON DELETE CASCADE,
    frame INTEGER NOT NULL CHECK (frame >= 0), warmup INTEGER NOT NULL, decode_ms REAL NOT NULL,
    preprocess_ms REAL NOT NULL, infer_ms REAL NOT NULL, postprocess_ms REAL NOT NULL,
    total_ms REAL NOT NULL CHECK (total_ms >= 0), predicted INTEGER, label INTEGER,
    PRIMARY KEY (result_id, frame)) WITHOUT ROWID;
CREATE INDEX results_run ON results(run_id);
INSERT INTO runs VALUES ('old-run', '2024-01-01T02:00:00+00:00', '2024-01-01T02:30:00+00:00', 'pass',
    'lab.yaml', '0.0.9', '["hil", "run"]', 'ci-01');
INSERT INTO results (run_id, board, platform, model, precision, clip, status, accuracy, lat_min, lat_mean,
    lat_p50, lat_p90, lat_p99, lat_max, lat_n, lat_insufficient, latency_kind, fps, budget_latency,
    created_at) VALUES ('old-run', 'orin-03', 'orin', 'dms-v3', 'int8', 'night', 'pass', 0.97, 5, 6, 6, 7, 9,
    12, 1000, '[]', 'host_e2e', 160.5, 1, '2024-01-01T02:10:00+00:00');
INSERT INTO samples VALUES (1, 0, 1, 1, 1, 4, 1, 7, 0, 0);
"""


def _make_v1(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(V1_DDL)
    conn.close()


def _versions(path: Path) -> list[int]:
    with sqlite3.connect(path) as conn:
        return [row[0] for row in conn.execute("SELECT version FROM schema_version ORDER BY version")]


def test_new_store_is_at_current_version(tmp_path: Path) -> None:
    path = tmp_path / "hil.sqlite"
    Store.open(path).close()
    assert _versions(path) == list(range(1, SCHEMA_VERSION + 1))
    Store.open(path).close()  # reopening applies nothing twice
    assert _versions(path) == list(range(1, SCHEMA_VERSION + 1))


def test_v1_store_is_migrated_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    _make_v1(path)
    with Store.open(path) as store:
        rows = store.history(board="orin-03")
        assert [(r.run_id, r.source, r.imported, r.p99, r.n) for r in rows] == [
            ("old-run", "run", False, 9.0, 1000)
        ]
        [old] = store.run_results("old-run")
        assert old.latency_ms is not None and old.latency_ms.p99 == 9.0
        assert old.budgets.latency is True and old.budgets.power is None
        assert len(store.samples(1)) == 1
        # What v2 added works on the migrated file.
        store.begin_run("new", inventory="sim", argv=[])
        store.record_job("new", old, [], [JobLog(kind="convert", command="trtexec", text="ok")])
        assert [log.command for log in store.job_logs("new")] == ["trtexec"]
        assert store.db.journal_mode == "wal"
    assert _versions(path) == list(range(1, SCHEMA_VERSION + 1))
    with sqlite3.connect(path) as conn:
        indexes = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"results_board", "results_model", "results_created", "logs_result"} <= indexes


def test_store_from_a_newer_hil_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite"
    Store.open(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO schema_version VALUES (?, 'x', '9.0.0')", [SCHEMA_VERSION + 1])
    with pytest.raises(ConfigError, match="newer hil") as info:
        Store.open(path)
    assert f"v{SCHEMA_VERSION + 1}" in info.value.message
    assert "upgrade" in (info.value.hint or "")


def test_foreign_sqlite_file_and_garbage_are_refused(tmp_path: Path) -> None:
    foreign = tmp_path / "other.sqlite"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE photos (id INTEGER)")
    with pytest.raises(ConfigError, match="not a hil results store"):
        Store.open(foreign)
    garbage = tmp_path / "notes.txt"
    garbage.write_text("this is not a database, " * 100)
    with pytest.raises(ConfigError, match="not a hil results store"):
        Store.open(garbage)
    assert garbage.read_text().startswith("this is not")


def test_imports_stored_with_n_zero_become_unknown_and_old_results_are_not_noisy(tmp_path: Path) -> None:
    from sqlite_utils import Database

    from hil.store.schema import MIGRATIONS

    path = tmp_path / "hil.sqlite"
    _make_v1(path)
    db = Database(path)
    MIGRATIONS[1](db)  # as a v2 hil left it, with one trtexec import that claimed n = 0
    db.execute("INSERT INTO schema_version VALUES (2, '2024-02-01T00:00:00+00:00', '0.1.0')")
    db.execute(
        "INSERT INTO results (run_id, board, platform, model, precision, clip, status, lat_min, lat_mean, "
        "lat_p50, lat_max, lat_n, lat_insufficient, latency_kind, source, created_at) VALUES ('old-run', "
        "'orin-03', 'orin', 'dms-v3', 'fp16', 'trtexec', 'pass', 10, 10.2, 10.2, 10.4, 0, '[]', "
        "'device_compute', 'import', '2024-02-01T00:00:00+00:00')"
    )
    db.conn.commit()
    db.close()
    with Store.open(path) as store:
        imported, ran = sorted(store.run_results("old-run"), key=lambda r: r.source)
    assert imported.latency_ms is not None and imported.latency_ms.n is None
    assert imported.latency_ms.percentiles_from == "trtexec"
    assert ran.latency_ms is not None and (ran.latency_ms.n, ran.latency_ms.percentiles_from) == (1000, None)
    assert (ran.noisy, ran.noisy_reason) == (False, None)  # stored before throttling was checked


def test_the_read_only_commands_reader_migrates_an_old_store_and_refuses_what_store_refuses(
    tmp_path: Path,
) -> None:
    from hil.store.reader import StoreReader

    path = tmp_path / "old.sqlite"
    _make_v1(path)
    with StoreReader.open(path) as reader:  # `hil history` on a store from an older hil
        assert [(r.run_id, r.p99, r.n) for r in reader.history(board="orin-03")] == [("old-run", 9.0, 1000)]
    assert _versions(path) == list(range(1, SCHEMA_VERSION + 1))
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO schema_version VALUES (?, 'x', '9.0.0')", [SCHEMA_VERSION + 1])
    with pytest.raises(ConfigError, match="newer hil"):
        StoreReader.open(path)
    foreign = tmp_path / "other.sqlite"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE photos (id INTEGER)")
    with pytest.raises(ConfigError, match="not a hil results store"):
        StoreReader.open(foreign)
    garbage = tmp_path / "notes.txt"
    garbage.write_text("this is not a database, " * 100)
    with pytest.raises(ConfigError, match="not a hil results store"):
        StoreReader.open(garbage)
    with pytest.raises(ConfigError, match="no results store"):
        StoreReader.open(tmp_path / "missing.sqlite")


def test_a_tda4vm_fp16_history_is_int16_after_migration_and_other_fp16_stays(tmp_path: Path) -> None:
    """TIDL's 16-bit mode was stored as fp16; it is 16-bit fixed point, int16 now, one series still."""
    path = tmp_path / "hil.sqlite"
    _make_v1(path)
    with sqlite3.connect(path) as conn:
        for board, platform in (("tda-01", "tda4vm"), ("orin-01", "orin")):
            conn.execute(
                "INSERT INTO results (run_id, board, platform, model, precision, clip, status, latency_kind, "
                "created_at) VALUES ('old-run', ?, ?, 'dms-face', 'fp16', 'c', 'pass', 'host_e2e', "
                "'2024-01-01T02:11:00+00:00')",
                (board, platform),
            )
    with Store.open(path) as store:
        results = {r.board: r for r in store.run_results("old-run")}
    assert results["tda-01"].precision == "int16" and results["orin-01"].precision == "fp16"
    assert results["orin-01"].budgets.loss is None and results["orin-01"].loss is None  # not judged then
    assert _versions(path) == list(range(1, SCHEMA_VERSION + 1))
