"""Store additions for nightly runs: what a run planned (for --resume), what happened to it (recovery
rungs, broken leases, interruptions) and each board's health. Mixed into `Store`; same lock, same
transactions."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, Literal

from sqlite_utils import Database

from hil.store.schema import now

HealthState = Literal["good", "suspect", "bad", "maintenance"]
HEALTH_STATES: tuple[HealthState, ...] = ("good", "suspect", "bad", "maintenance")
# A skipped row with one of these reasons is not final: `hil run --resume` runs that job again.
UNFINISHED_REASONS = ("interrupted", "deadline")

NIGHTLY_SCHEMA = """
CREATE TABLE run_plans (
    run_id TEXT PRIMARY KEY REFERENCES runs(run_id) ON DELETE CASCADE,
    plan TEXT NOT NULL
);
CREATE TABLE run_events (
    id INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
    board TEXT,
    kind TEXT NOT NULL,
    ok INTEGER,
    seconds REAL,
    detail TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE INDEX run_events_run ON run_events(run_id, id);
CREATE TABLE job_walls (
    result_id INTEGER PRIMARY KEY REFERENCES results(id) ON DELETE CASCADE,
    seconds REAL NOT NULL
);
CREATE TABLE board_health (
    name TEXT PRIMARY KEY,
    state TEXT NOT NULL CHECK (state IN ('good', 'suspect', 'bad', 'maintenance')),
    consecutive_infra INTEGER NOT NULL DEFAULT 0,
    reason TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL
);
"""


def migrate_nightly(db: Database) -> None:
    db.executescript(NIGHTLY_SCHEMA)


class RunLog:
    """Methods `Store` gains for nightly runs (see hil.store.db.Store for db, path and the lock)."""

    db: Database
    path: Path
    _lock: threading.RLock

    # -- plans and resume ---------------------------------------------------------------------------

    def save_plan(self, run_id: str, plan: dict[str, Any]) -> None:
        with self._lock, self.db.atomic():
            self.db.execute(
                "INSERT OR REPLACE INTO run_plans (run_id, plan) VALUES (?, ?)", [run_id, json.dumps(plan)]
            )

    def plan_of(self, run_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self.db.execute("SELECT plan FROM run_plans WHERE run_id = ?", [run_id]).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def final_keys(self, run_id: str) -> set[tuple[str, str, str, str]]:
        """(board, model, precision, clip) of every job of the run that has a final result."""
        marks = ",".join("?" * len(UNFINISHED_REASONS))
        sql = (
            "SELECT board, model, precision, clip FROM results WHERE run_id = ? AND NOT "
            f"(status = 'skipped' AND coalesce(error, '') IN ({marks}))"
        )
        with self._lock:
            rows = self.db.execute(sql, [run_id, *UNFINISHED_REASONS]).fetchall()
        return {(r[0], r[1], r[2], r[3]) for r in rows}

    def drop_unfinished(self, run_id: str, key: tuple[str, str, str, str]) -> None:
        """Remove a job's `skipped (interrupted|deadline)` row before the job runs again."""
        marks = ",".join("?" * len(UNFINISHED_REASONS))
        with self._lock, self.db.atomic():
            self.db.execute(
                "DELETE FROM results WHERE run_id = ? AND board = ? AND model = ? AND precision = ? "
                f"AND clip = ? AND status = 'skipped' AND coalesce(error, '') IN ({marks})",
                [run_id, *key, *UNFINISHED_REASONS],
            )

    def reopen_run(self, run_id: str) -> None:
        with self._lock, self.db.atomic():
            self.db.execute(
                "UPDATE runs SET status = 'running', finished_at = NULL WHERE run_id = ?", [run_id]
            )

    def record_wall(self, result_id: int, seconds: float) -> None:
        with self._lock, self.db.atomic():
            self.db.execute("INSERT OR REPLACE INTO job_walls VALUES (?, ?)", [result_id, seconds])

    def wall_times(self, run_id: str) -> dict[tuple[str, str, str, str], float]:
        """Each job's wall time in a run: (board, model, precision, clip) -> seconds."""
        sql = (
            "SELECT r.board, r.model, r.precision, r.clip, w.seconds FROM results r "
            "JOIN job_walls w ON w.result_id = r.id WHERE r.run_id = ?"
        )
        with self._lock:
            return {(a, b, c, d): s for a, b, c, d, s in self.db.execute(sql, [run_id]).fetchall()}

    # -- events -------------------------------------------------------------------------------------

    def record_event(
        self, run_id: str, kind: str, detail: str = "", *, board: str | None = None,
        ok: bool | None = None, seconds: float | None = None,
    ) -> None:  # fmt: skip
        row = [run_id, board, kind, None if ok is None else int(ok), seconds, detail, now()]
        with self._lock, self.db.atomic():
            self.db.execute(
                "INSERT INTO run_events (run_id, board, kind, ok, seconds, detail, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                row,
            )

    def run_events(self, run_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.db.query("SELECT * FROM run_events WHERE run_id = ? ORDER BY id", [run_id]))

    # -- health -------------------------------------------------------------------------------------

    def health(self, name: str) -> dict[str, Any]:
        with self._lock:
            rows = list(self.db.query("SELECT * FROM board_health WHERE name = ?", [name]))
        return rows[0] if rows else {"name": name, "state": "good", "consecutive_infra": 0, "reason": "",
                                     "updated_at": None}  # fmt: skip

    def all_health(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {r["name"]: r for r in self.db.query("SELECT * FROM board_health ORDER BY name")}

    def set_health(
        self, name: str, state: HealthState, reason: str = "", *, consecutive: int | None = None
    ) -> None:
        with self._lock, self.db.atomic():
            count = self.health(name)["consecutive_infra"] if consecutive is None else consecutive
            self.db.execute(
                "INSERT OR REPLACE INTO board_health (name, state, consecutive_infra, reason, updated_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [name, state, count, reason, now()],
            )

    def note_outcomes(self, name: str, statuses: list[str], quarantine_after: int) -> HealthState:
        """Count consecutive infra errors (a pass or fail resets it); N of them make the board bad."""
        with self._lock:
            current = self.health(name)
            count, state = int(current["consecutive_infra"]), current["state"]
            for status in statuses:
                if status == "infra_error":
                    count += 1
                elif status in ("pass", "fail", "regression"):
                    count = 0
            reason = current["reason"]
            if state == "maintenance":
                pass
            elif count >= quarantine_after:
                if state != "bad":
                    reason = (
                        f"{count} consecutive infrastructure errors (quarantine after {quarantine_after})"
                    )
                state = "bad"
            elif state != "bad" or count == 0:
                state, reason = (
                    ("suspect", f"{count} consecutive infrastructure errors") if count else ("good", "")
                )
            self.set_health(name, state, reason, consecutive=count)
            return state
