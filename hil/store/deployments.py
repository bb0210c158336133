"""Deployments in the store: one row per deployment, one per vehicle in it, and the audit trail of steps.

Every step a vehicle goes through (facts, transfer, verify, self-test, switch, rollback) is one `audit`
row: deployment, vehicle, step, engine from -> to, start, end, outcome, evidence (JSON), operator
(user@host). `deployment_vehicles` holds each vehicle's current state, so `hil deploy resume` knows what is
finished after a controller died mid-wave.
"""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from hil.store.db import Store
from hil.store.schema import now

_DDL = """
CREATE TABLE deployments (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL,
    model TEXT NOT NULL,
    model_sha256 TEXT NOT NULL,
    precision TEXT NOT NULL,
    target TEXT NOT NULL,
    waves TEXT NOT NULL,
    inventory TEXT NOT NULL,
    operator TEXT NOT NULL,
    options TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE deployment_vehicles (
    deployment_id TEXT NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
    vehicle TEXT NOT NULL,
    platform TEXT NOT NULL,
    wave INTEGER,
    state TEXT NOT NULL,
    engine_from TEXT,
    engine_to TEXT,
    reason TEXT,
    facts TEXT NOT NULL DEFAULT '{}',
    updated_at TEXT NOT NULL,
    PRIMARY KEY (deployment_id, vehicle)
);
CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    deployment_id TEXT NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
    vehicle TEXT NOT NULL,
    step TEXT NOT NULL,
    engine_from TEXT,
    engine_to TEXT,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    outcome TEXT NOT NULL,
    evidence TEXT NOT NULL DEFAULT '{}',
    operator TEXT NOT NULL
);
CREATE INDEX audit_vehicle ON audit(vehicle, started_at);
CREATE INDEX audit_deployment ON audit(deployment_id, id);
"""


def migrate_deployments(db: Database) -> None:
    """Store migration: fleet deployments, their vehicles and the audit trail."""
    db.executescript(_DDL)


class Deployments:
    """Reads and writes of deployments on an open Store (single-threaded: the rollout controller)."""

    def __init__(self, store: Store) -> None:
        self.db = store.db

    def create(self, row: dict[str, Any]) -> None:
        with self.db.conn:
            self.db.table("deployments").insert({**row, "created_at": now(), "finished_at": None})

    def set_status(self, deployment_id: str, status: str, finished: bool) -> None:
        with self.db.conn:
            self.db.table("deployments").update(
                deployment_id, {"status": status, "finished_at": now() if finished else None}
            )

    def get(self, deployment_id: str) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM deployments WHERE id = ?", [deployment_id]))
        return rows[0] if rows else None

    def latest_id(self) -> str | None:
        rows = list(self.db.query("SELECT id FROM deployments ORDER BY created_at DESC LIMIT 1"))
        return str(rows[0]["id"]) if rows else None

    def recent(self, last: int) -> list[dict[str, Any]]:
        sql = (
            "SELECT d.*, (SELECT count(*) FROM deployment_vehicles v WHERE v.deployment_id = d.id)"
            " AS vehicles"
            " FROM deployments d ORDER BY created_at DESC LIMIT ?"
        )
        return list(self.db.query(sql, [last]))

    def set_vehicle(self, deployment_id: str, vehicle: dict[str, Any]) -> None:
        row = {**vehicle, "deployment_id": deployment_id, "updated_at": now()}
        if "facts" in row:
            row["facts"] = json.dumps(row["facts"])
        table = self.db.table("deployment_vehicles")
        key = (deployment_id, vehicle["vehicle"])
        exists = list(
            self.db.query(
                "SELECT 1 FROM deployment_vehicles WHERE deployment_id = ? AND vehicle = ?", list(key)
            )
        )
        with self.db.conn:
            if exists:
                table.update(key, row)
            else:
                table.insert(row)

    def vehicles(self, deployment_id: str) -> list[dict[str, Any]]:
        sql = "SELECT * FROM deployment_vehicles WHERE deployment_id = ? ORDER BY wave IS NULL, wave, vehicle"
        rows = list(self.db.query(sql, [deployment_id]))
        for row in rows:
            row["facts"] = json.loads(row["facts"] or "{}")
        return rows

    def begin_step(self, row: dict[str, Any]) -> int:
        data = {**row, "started_at": now(), "ended_at": None, "outcome": "running"}
        data["evidence"] = json.dumps(row.get("evidence") or {})
        with self.db.conn:
            pk = self.db.table("audit").insert(data).last_pk
        return int(str(pk))

    def end_step(self, step_id: int, outcome: str, evidence: dict[str, Any] | None = None) -> None:
        update: dict[str, Any] = {"outcome": outcome, "ended_at": now()}
        if evidence is not None:
            update["evidence"] = json.dumps(evidence, default=str)
        with self.db.conn:
            self.db.table("audit").update(step_id, update)

    def record_step(self, row: dict[str, Any]) -> None:
        """One finished step (start and end as the vehicle's playbook events reported them)."""
        data = {**row, "evidence": json.dumps(row.get("evidence") or {}, default=str)}
        with self.db.conn:
            self.db.table("audit").insert(data)

    def audit(self, deployment_id: str | None = None, vehicle: str | None = None) -> list[dict[str, Any]]:
        where, params = [], []
        if deployment_id is not None:
            where.append("deployment_id = ?")
            params.append(deployment_id)
        if vehicle is not None:
            where.append("vehicle = ?")
            params.append(vehicle)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        rows = list(self.db.query(f"SELECT * FROM audit{clause} ORDER BY id", params))
        for row in rows:
            row["evidence"] = json.loads(row["evidence"] or "{}")
        return rows

    def evidence(self, model_sha256: str, precision: str) -> list[dict[str, Any]]:
        """Passing `hil run` results of this exact model file and precision, newest first."""
        sql = (
            "SELECT id, run_id, board, platform, clip, accuracy, lat_p99, lat_max, engine_key, fingerprint,"
            " created_at FROM results WHERE model_sha256 = ? AND precision = ? AND status = 'pass'"
            " AND source = 'run' ORDER BY created_at DESC"
        )
        rows = list(self.db.query(sql, [model_sha256, precision]))
        for row in rows:
            row["fingerprint"] = json.loads(row["fingerprint"] or "{}")
        return rows
