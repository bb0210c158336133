"""The results store: one SQLite file (WAL mode) that every run, import and history query goes through.

Writes are grouped so that a store never holds half a board job: `record_job` writes the result, its
samples, its logs, its board and its artifacts in one transaction. Runs are opened and closed around
jobs, so an interrupted run keeps every job that finished and shows as never finished.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from sqlite_utils import Database

from hil import __version__
from hil.errors import ConfigError
from hil.records import FrameSample, JobResult
from hil.store.codec import decode_text, encode_text
from hil.store.errors import StoreError, read_only_fs, store_error, writable
from hil.store.reader import StoreReader
from hil.store.rows import JobLog, result_row, row_result
from hil.store.runlog import RunLog
from hil.store.samples import COLUMNS as PACK_COLUMNS
from hil.store.samples import pack, unpack
from hil.store.schema import check_readable, migrate, now

ArtifactKind = Literal["model", "engine", "clip", "harness"]


class Store(StoreReader, RunLog):
    """A hil results store. Open with `Store.open(path)`; use as a context manager or call `close()`.

    One Store may be shared by the threads of a run: every call holds the store's lock, because a
    single sqlite3 connection must not interleave two transactions.
    """

    def __init__(self, db: Database, path: Path) -> None:
        super().__init__(db.conn, path)
        self.db = db

    @classmethod
    def open(cls, path: Path, *, create: bool = True) -> Store:
        """Open the store at `path`, creating it (and its folder) when `create`, and migrating it."""
        path = Path(path)
        if path.is_dir():
            raise ConfigError(f"{path} is a folder, not a results store", hint="pass --db FILE")
        if not path.exists():
            if not create:
                raise ConfigError(
                    f"no results store at {path}",
                    hint="run `hil run` first, or pass --db PATH (or set HIL_DB)",
                )
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except (FileExistsError, NotADirectoryError) as exc:
                raise ConfigError(
                    f"cannot create the results store {path}: {exc.filename} is a file, not a folder",
                    hint="pass --db (or set HIL_DB) with a path in a folder",
                ) from exc
            except OSError as exc:
                raise StoreError(
                    f"cannot create the folder of the results store {path}: {exc.strerror}",
                    hint="pass --db (or set HIL_DB) with a path in a writable folder",
                ) from exc
        if not path.exists() and not os.access(path.parent, os.W_OK):
            raise StoreError(
                f"cannot create the results store {path}: its folder is not writable"
                + (" (read-only file system)" if read_only_fs(path.parent) else ""),
                hint="pass --db (or set HIL_DB) with a path in a writable folder",
            )
        readonly = path.exists() and not create and not writable(path)
        conn = cls._connect(path, readonly)
        db = Database(conn)
        try:
            db.execute("PRAGMA foreign_keys = ON")
            if readonly:
                check_readable(db, path)
            else:
                migrate(db, path)
                db.enable_wal()
        except sqlite3.OperationalError as exc:
            conn.close()
            raise store_error(f"cannot open the results store {path}", path, exc) from exc
        except BaseException:
            conn.close()
            raise
        return cls(db, path)

    # -- writes -------------------------------------------------------------------------------------

    def begin_run(self, run_id: str, *, inventory: str, argv: list[str]) -> None:
        """Record that a run started; its status stays 'running' until `finish_run`."""
        row = {
            "run_id": run_id,
            "started_at": now(),
            "finished_at": None,
            "status": "running",
            "inventory": inventory,
            "hil_version": __version__,
            "argv": json.dumps(argv),
            "host": socket.gethostname(),
        }
        with self._lock, self._writing(f"could not start run {run_id}"):
            self.db.table("runs").insert(row)

    def abandon_run(self, run_id: str, status: str = "infra_error") -> bool:
        """Best effort, after a run failed part-way (a store write failed, the run was interrupted): mark
        the run finished with `status` so it never stays `running`. True when the mark was written."""
        with self._lock:
            try:
                with self.db.atomic():
                    self.db.execute(
                        "UPDATE runs SET finished_at = ?, status = ? WHERE run_id = ? AND status = 'running'",
                        [now(), status, run_id],
                    )
            except sqlite3.Error:
                return False
        return True

    def finish_run(self, run_id: str, status: str) -> None:
        with self._lock, self._writing(f"could not finish run {run_id}"):
            cursor = self.db.execute(
                "UPDATE runs SET finished_at = ?, status = ? WHERE run_id = ?", [now(), status, run_id]
            )
            if cursor.rowcount == 0:
                raise StoreError(f"no run {run_id} in {self.path}", hint="call begin_run first")

    def record_job(
        self,
        run_id: str,
        result: JobResult,
        samples: list[FrameSample],
        logs: list[JobLog],
        *,
        created_at: datetime | None = None,
    ) -> int:
        """Write one finished board job in one transaction; return its result id.

        `created_at` defaults to now; `hil import` passes the time the imported result was measured.
        """
        stamp = now() if created_at is None else created_at.isoformat(timespec="microseconds")
        what = f"could not record {result.board}/{result.model}/{result.precision}/{result.clip}"
        with self._lock, self._writing(what), self.db.atomic():
            if self._run_missing(run_id):
                raise StoreError(f"no run {run_id} in {self.path}", hint="call begin_run first")
            table = self.db.table("results").insert(result_row(run_id, result, stamp))
            result_id = table.last_rowid
            assert result_id is not None  # an INSERT into a rowid table always sets it
            if samples:
                self.db.table("sample_packs").insert(pack(result_id, samples))
            if logs:
                self.db.table("logs").insert_all(
                    {
                        "result_id": result_id,
                        "kind": log.kind,
                        "command": log.command,
                        "body": encode_text(log.text),
                    }
                    for log in logs
                )
            self._upsert_board(result.board, result.platform, result.fingerprint or None)
            if result.model_sha256:
                self._upsert_artifact(result.model_sha256, "model", result.model, None)
        return result_id

    def record_verdict(self, result_id: int, status: str, verdict: dict[str, Any]) -> None:
        """Store a result's regression verdict (JSON) and its status after the verdict."""
        with self._lock, self._writing(f"could not record the verdict of result {result_id}"):
            self.db.execute(
                "UPDATE results SET status = ?, verdict = ? WHERE id = ?",
                [status, json.dumps(verdict, sort_keys=True), result_id],
            )

    def add_log(self, result_id: int, log: JobLog) -> None:
        """One more log beside a stored result (e.g. the `hil diagnose` of it, kind `diagnose`)."""
        with self._lock, self._writing(f"could not add a {log.kind} log to result {result_id}"):
            self.db.table("logs").insert(
                {
                    "result_id": result_id,
                    "kind": log.kind,
                    "command": log.command,
                    "body": encode_text(log.text),
                }
            )

    def record_board(self, name: str, platform: str, facts: dict[str, str]) -> None:
        with self._lock, self._writing(f"could not record board {name}"), self.db.atomic():
            self._upsert_board(name, platform, facts)

    def record_artifact(self, sha256: str, kind: ArtifactKind, name: str, size: int | None) -> None:
        with self._lock, self._writing(f"could not record artifact {name}"), self.db.atomic():
            self._upsert_artifact(sha256, kind, name, size)

    def _upsert_board(self, name: str, platform: str, facts: dict[str, str] | None) -> None:
        # Facts are replaced only when given: a job without a fingerprint must not erase known facts.
        text = None if facts is None else json.dumps(facts, sort_keys=True)
        self.db.execute(
            "INSERT INTO boards (name, platform, last_seen, facts) VALUES (?, ?, ?, coalesce(?, '{}')) "
            "ON CONFLICT(name) DO UPDATE SET platform = excluded.platform, last_seen = excluded.last_seen,"
            " facts = coalesce(?, boards.facts)",
            [name, platform, now(), text, text],
        )

    def _upsert_artifact(self, sha256: str, kind: str, name: str, size: int | None) -> None:
        # first_seen and a known size survive later sightings of the same content.
        self.db.execute(
            "INSERT INTO artifacts (sha256, kind, name, bytes, first_seen) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(sha256) DO UPDATE SET bytes = coalesce(excluded.bytes, artifacts.bytes)",
            [sha256, kind, name, size, now()],
        )

    def _run_missing(self, run_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM runs WHERE run_id = ?", [run_id]).fetchone() is None

    def _writing(self, what: str) -> _Translate:
        return _Translate(what, self.path)

    # -- reads --------------------------------------------------------------------------------------

    def run_results(self, run_id: str) -> list[JobResult]:
        """The results of one run in the order they were recorded ([] for an unknown run)."""
        rows = self._rows("SELECT * FROM results WHERE run_id = ? ORDER BY id", [run_id])
        return [row_result(row) for row in rows]

    def job_logs(
        self, run_id: str, board: str | None = None, kind: str | None = None, result_id: int | None = None
    ) -> list[JobLog]:
        """The logs of a run's jobs (or of one result) in the order they were written, each naming its
        board."""
        sql = (
            "SELECT logs.kind, logs.command, logs.body, results.board FROM logs "
            "JOIN results ON results.id = logs.result_id WHERE results.run_id = ?"
        )
        params: list[Any] = [run_id]
        if board is not None:
            sql += " AND results.board = ?"
            params.append(board)
        if kind is not None:
            sql += " AND logs.kind = ?"
            params.append(kind)
        if result_id is not None:
            sql += " AND results.id = ?"
            params.append(result_id)
        rows = self._rows(sql + " ORDER BY logs.id", params)
        return [
            JobLog(kind=r["kind"], command=r["command"], text=decode_text(r["body"]), board=r["board"])
            for r in rows
        ]

    def samples(self, result_id: int) -> list[FrameSample]:
        """Every replayed frame of one result, warm-up included, in frame order."""
        rows = self._rows(
            f"SELECT {', '.join(PACK_COLUMNS)} FROM sample_packs WHERE result_id = ?", [result_id]
        )
        return unpack(rows[0]) if rows else []

    def boards(self) -> list[dict[str, Any]]:
        """Every board the store has seen, with its last facts."""
        rows = self._rows("SELECT * FROM boards ORDER BY name", [])
        return [{**row, "facts": json.loads(row["facts"])} for row in rows]


class _Translate:
    """Turns sqlite3 errors raised while writing into a StoreError that says what was being written."""

    def __init__(self, what: str, path: Path) -> None:
        self.what = what
        self.path = path

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if isinstance(exc, sqlite3.Error):
            raise store_error(self.what, self.path, exc) from exc
