"""Reading a results store with nothing but sqlite3: the base of `Store`, and what the history commands
(history, compare, trend, export) open, so that they start without importing sqlite-utils or pydantic.

A store at an older schema version is migrated first through `Store.open` (a one-time cost paid by the
first command after an upgrade); a read-only store must already be current (see schema.check_readable).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self

from hil.errors import ConfigError
from hil.store.errors import store_error, writable
from hil.store.history_row import HistoryRow, history_row
from hil.store.schema import SCHEMA_VERSION, version_of


class StoreReader:
    """Read-only queries of a store. Open with `StoreReader.open(path)`; a context manager.

    Every call holds the lock, because one sqlite3 connection must not interleave two statements from the
    threads of a run (Store shares this lock for its writes).
    """

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        self._lock = threading.RLock()

    @classmethod
    def open(cls, path: Path) -> StoreReader:
        """The existing store at `path`, brought up to today's schema first when it is older."""
        path = Path(path)
        if path.is_dir():
            raise ConfigError(f"{path} is a folder, not a results store", hint="pass --db FILE")
        if not path.exists():
            raise ConfigError(
                f"no results store at {path}", hint="run `hil run` first, or pass --db PATH (or set HIL_DB)"
            )
        conn = cls._connect(path, readonly=not writable(path))
        try:
            found = version_of(conn, path)
        except sqlite3.OperationalError as exc:
            conn.close()
            raise store_error(f"cannot open the results store {path}", path, exc) from exc
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise ConfigError(
                f"{path} is not a hil results store: {exc}", hint="pass --db with a hil store"
            ) from exc
        except BaseException:
            conn.close()
            raise
        if found == SCHEMA_VERSION:
            return cls(conn, path)
        conn.close()
        from hil.store.db import Store  # older (migrate it) or newer (Store says so): the full path

        Store.open(path, create=False).close()
        return cls(cls._connect(path, readonly=not writable(path)), path)

    @staticmethod
    def _connect(path: Path, readonly: bool) -> sqlite3.Connection:
        """A connection any thread may use (every call holds the store's lock). A store hil may not write
        (read-only file or file system) is opened immutable: WAL mode would otherwise create its -shm
        file beside it."""
        target = f"file:{path.absolute()}?mode=ro&immutable=1" if readonly else str(path)
        try:
            return sqlite3.connect(target, check_same_thread=False, timeout=30.0, uri=readonly)
        except sqlite3.Error as exc:
            raise store_error(f"cannot open the results store {path}", path, exc) from exc

    def close(self) -> None:
        with self._lock:
            self.conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _rows(self, sql: str, params: list[Any]) -> list[dict[str, Any]]:
        with self._lock:
            cursor = self.conn.execute(sql, params)
            names = [d[0] for d in cursor.description or ()]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def query(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """Rows of a read-only query, under the store's lock (for the history modules of hil.store)."""
        return self._rows(sql, params or [])

    def run_ids(self, last: int) -> list[str]:
        """The ids of the `last` most recently started runs, newest first."""
        rows = self._rows("SELECT run_id FROM runs ORDER BY started_at DESC, rowid DESC LIMIT ?", [last])
        return [row["run_id"] for row in rows]

    def latest_run_id(self) -> str | None:
        ids = self.run_ids(1)
        return ids[0] if ids else None

    def run_info(self, run_id: str) -> dict[str, Any] | None:
        """The `runs` row of one run (argv decoded), or None."""
        rows = self._rows("SELECT * FROM runs WHERE run_id = ?", [run_id])
        if not rows:
            return None
        return {**rows[0], "argv": json.loads(rows[0]["argv"])}

    def history(
        self,
        board: str | None = None,
        model: str | None = None,
        precision: str | None = None,
        last: int | None = None,
        source: Literal["run", "import"] | None = None,
    ) -> list[HistoryRow]:
        """Past results, newest first, filtered by exact board/model/precision/source; at most `last`."""
        where: list[str] = []
        params: list[Any] = []
        for column, value in (("board", board), ("model", model), ("precision", precision)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if source is not None:
            where.append("source = ?")
            params.append(source)
        sql = "SELECT * FROM results"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created_at DESC, id DESC"
        if last is not None:
            sql += " LIMIT ?"
            params.append(last)
        return [history_row(row) for row in self._rows(sql, params)]

    def result_ids(self, run_id: str) -> list[int]:
        """The result ids of one run in recorded order, for `samples` and per-job lookups."""
        rows = self._rows("SELECT id FROM results WHERE run_id = ? ORDER BY id", [run_id])
        return [row["id"] for row in rows]
