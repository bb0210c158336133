"""`hil store merge`: bring the stores of several lab controllers into one, idempotently.

A run is identified by where and when it started: (host, original run id, started_at). Merging a store twice
finds every run already there and adds nothing. A run id that is already taken by a different run (two
controllers can draw the same id) is made unique with the host's name; the original id is kept in
`runs.origin_run_id` and the controller in `runs.host` (provenance). Results, their packed samples and their
logs move with their run under new result ids; boards keep the most recent facts; artifacts are shared by
content hash.

The other store is never written: it is copied (SQLite backup API) and the copy is migrated if it is older.
"""

from __future__ import annotations

import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hil.errors import ConfigError
from hil.store.db import Store


@dataclass
class MergeReport:
    source: str
    runs_added: int = 0
    runs_present: int = 0
    results_added: int = 0
    renamed: dict[str, str] = field(default_factory=dict)  # original run id -> id in this store


def _columns(conn: sqlite3.Connection, table: str, schema: str = "main") -> list[str]:
    return [row[1] for row in conn.execute(f"PRAGMA {schema}.table_info({table})")]


def _copy(path: Path, into: Path) -> None:
    if not path.is_file():
        raise ConfigError(f"no store at {path}", hint="pass the .sqlite file of another hil controller")
    src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    dst = sqlite3.connect(into)
    try:
        src.backup(dst)
    except sqlite3.DatabaseError as exc:
        raise ConfigError(f"{path} is not a hil results store: {exc}", hint="pass a hil store") from exc
    finally:
        src.close()
        dst.close()


def merge_store(store: Store, other: Path) -> MergeReport:
    """Merge the store at `other` into `store`; return what was added."""
    report = MergeReport(str(other))
    with tempfile.TemporaryDirectory(prefix="hil-merge-") as tmp:
        copy = Path(tmp) / "other.sqlite"
        _copy(Path(other), copy)
        Store.open(copy, create=False).close()  # migrate the copy to this hil's schema
        conn = store.db.conn
        with store._lock:
            conn.execute("ATTACH DATABASE ? AS other", [str(copy)])
            try:
                with store.db.atomic():
                    _merge(conn, report)
            finally:
                conn.execute("DETACH DATABASE other")
    return report


def _merge(conn: sqlite3.Connection, report: MergeReport) -> None:
    run_cols = _columns(conn, "runs")
    result_cols = [c for c in _columns(conn, "results") if c != "id"]
    shared_results = [c for c in result_cols if c in _columns(conn, "results", "other")]
    pack_cols = _columns(conn, "sample_packs")
    log_cols = [c for c in _columns(conn, "logs") if c not in ("id", "result_id")]
    conn.row_factory = sqlite3.Row
    try:
        runs = conn.execute("SELECT * FROM other.runs ORDER BY started_at, rowid").fetchall()
        for run in runs:
            origin = run["origin_run_id"] or run["run_id"]
            present = conn.execute(
                "SELECT 1 FROM main.runs WHERE host IS ? AND coalesce(origin_run_id, run_id) = ? "
                "AND started_at = ?",
                [run["host"], origin, run["started_at"]],
            ).fetchone()
            if present:
                report.runs_present += 1
                continue
            new_id = _free_run_id(conn, run["run_id"], run["host"])
            if new_id != run["run_id"]:
                report.renamed[run["run_id"]] = new_id
            row: dict[str, Any] = {c: run[c] for c in run_cols if c in run.keys()}  # noqa: SIM118 (`in` on a Row tests values)
            row.update(run_id=new_id, origin_run_id=origin)
            _insert(conn, "main.runs", row)
            report.runs_added += 1
            results = conn.execute(
                "SELECT * FROM other.results WHERE run_id = ? ORDER BY id", [run["run_id"]]
            ).fetchall()
            for result in results:
                values = {c: result[c] for c in shared_results}
                values["run_id"] = new_id
                new_rid = _insert(conn, "main.results", values)
                conn.execute(
                    f"INSERT INTO main.sample_packs ({', '.join(pack_cols)}) SELECT ?, "
                    f"{', '.join(pack_cols[1:])} FROM other.sample_packs WHERE result_id = ?",
                    [new_rid, result["id"]],
                )
                conn.execute(
                    f"INSERT INTO main.logs (result_id, {', '.join(log_cols)}) "
                    f"SELECT ?, {', '.join(log_cols)} FROM other.logs WHERE result_id = ? ORDER BY id",
                    [new_rid, result["id"]],
                )
                report.results_added += 1
        conn.execute(
            "INSERT INTO main.boards SELECT * FROM other.boards WHERE true ON CONFLICT(name) DO UPDATE SET "
            "platform = excluded.platform, last_seen = excluded.last_seen, facts = excluded.facts "
            "WHERE excluded.last_seen > boards.last_seen"
        )
        conn.execute("INSERT OR IGNORE INTO main.artifacts SELECT * FROM other.artifacts")
    finally:
        conn.row_factory = None


def _free_run_id(conn: sqlite3.Connection, run_id: str, host: str | None) -> str:
    candidate = run_id
    suffix = 1
    while conn.execute("SELECT 1 FROM main.runs WHERE run_id = ?", [candidate]).fetchone():
        candidate = f"{run_id}@{host or 'unknown'}" + (f"-{suffix}" if suffix > 1 else "")
        suffix += 1
    return candidate


def _insert(conn: sqlite3.Connection, table: str, row: dict[str, Any]) -> int:
    cols = list(row)
    cursor = conn.execute(
        f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
        [row[c] for c in cols],
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid
