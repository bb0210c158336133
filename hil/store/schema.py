"""The store's schema as ordered migrations, and the check that runs on every open.

A store remembers which migrations it has had in `schema_version`. Opening an older store applies the
missing ones in order, each in its own transaction with its version row, so a crash mid-upgrade leaves a
store at a well-defined version. A store written by a newer hil is refused rather than guessed at.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from hil import __version__
from hil.errors import ConfigError

if TYPE_CHECKING:  # read-only commands check the version without importing sqlite-utils
    from sqlite_utils import Database

# v1: the first layout (runs, boards, artifacts, results, per-frame samples).
_V1 = """
CREATE TABLE runs (
    run_id TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL,
    inventory TEXT,
    hil_version TEXT NOT NULL,
    argv TEXT NOT NULL,
    host TEXT
);
CREATE TABLE boards (
    name TEXT PRIMARY KEY,
    platform TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    facts TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE artifacts (
    sha256 TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('model', 'engine', 'clip', 'harness')),
    name TEXT NOT NULL,
    bytes INTEGER,
    first_seen TEXT NOT NULL
);
CREATE TABLE results (
    id INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
    board TEXT NOT NULL,
    platform TEXT NOT NULL,
    model TEXT NOT NULL,
    model_sha256 TEXT,
    precision TEXT NOT NULL,
    clip TEXT NOT NULL,
    status TEXT NOT NULL,
    stage TEXT,
    error TEXT,
    accuracy REAL,
    lat_min REAL, lat_mean REAL, lat_p50 REAL, lat_p90 REAL, lat_p99 REAL, lat_max REAL,
    lat_n INTEGER,
    lat_insufficient TEXT,
    latency_kind TEXT NOT NULL,
    fps REAL,
    power_w REAL,
    power_source TEXT,
    energy_mj_per_frame REAL,
    memory_peak_mb REAL,
    conversion_s REAL,
    engine_bytes INTEGER,
    bytes_pushed INTEGER NOT NULL DEFAULT 0,
    budget_latency INTEGER, budget_power INTEGER, budget_memory INTEGER, budget_accuracy INTEGER,
    frames INTEGER NOT NULL DEFAULT 0,
    warmup_frames INTEGER NOT NULL DEFAULT 0,
    device_latency_ms REAL,
    engine_key TEXT,
    fingerprint TEXT NOT NULL DEFAULT '{}',
    per_class TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL
);
CREATE TABLE samples (
    result_id INTEGER NOT NULL REFERENCES results(id) ON DELETE CASCADE,
    frame INTEGER NOT NULL CHECK (frame >= 0),
    warmup INTEGER NOT NULL,
    decode_ms REAL NOT NULL,
    preprocess_ms REAL NOT NULL,
    infer_ms REAL NOT NULL,
    postprocess_ms REAL NOT NULL,
    total_ms REAL NOT NULL CHECK (total_ms >= 0),
    predicted INTEGER,
    label INTEGER,
    PRIMARY KEY (result_id, frame)
) WITHOUT ROWID;
CREATE INDEX results_run ON results(run_id);
"""

# v2: imported results (`hil import`), the exact command lines and logs of each job, history indexes.
_V2 = """
CREATE TABLE logs (
    id INTEGER PRIMARY KEY,
    result_id INTEGER NOT NULL REFERENCES results(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    command TEXT NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX logs_result ON logs(result_id, kind);
CREATE INDEX results_board ON results(board, model, precision, created_at);
CREATE INDEX results_model ON results(model, precision, created_at);
CREATE INDEX results_created ON results(created_at);
"""


def _v1(db: Database) -> None:
    db.executescript(_V1)


def _v2(db: Database) -> None:
    # add_column keeps existing rows: everything recorded before imports existed came from `hil run`.
    db.table("results").add_column("source", str, not_null_default="run")
    db.executescript(_V2)


def _measures(db: Database) -> None:
    """Issue 8's figures: throughput and pacing, energy with an idle baseline, parity, events, the budget
    profile and the fps/parity verdicts; per-frame start/end/due times. Old rows read back as None."""
    results = db.table("results")
    for name in ("replay_s", "idle_power_w", "active_power_w", "active_energy_mj_per_frame"):
        results.add_column(name, float)
    for name in ("power_samples", "budget_fps", "budget_parity"):
        results.add_column(name, int)
    for name in ("budget_profile", "pacing", "stages_ms", "parity", "events", "budget_notes"):
        results.add_column(name, str)  # JSON text, except budget_profile
    samples = db.table("samples")
    for name in ("start_s", "end_s", "due_s"):
        samples.add_column(name, float)


def _honest_numbers(db: Database) -> None:
    """Who computed the latency percentiles (NULL: hil, from lat_n samples; else the tool, e.g. trtexec),
    and whether a result was taken while the board throttled (noisy) and why. Imports stored before this
    claimed lat_n = 0 for statistics trtexec computed over an unknown number of queries: now NULL."""
    results = db.table("results")
    results.add_column("lat_percentiles_from", str)
    results.add_column("noisy", int)
    results.add_column("noisy_reason", str)
    db.execute(
        "UPDATE results SET lat_n = NULL, lat_percentiles_from = 'trtexec' "
        "WHERE source = 'import' AND clip = 'trtexec' AND lat_mean IS NOT NULL"
    )


def _v_nightly(db: Database) -> None:
    # Run plans (resume), run events (recovery rungs, broken leases, interruptions), board health.
    from hil.store.runlog import migrate_nightly

    migrate_nightly(db)


def _deployments(db: Database) -> None:
    from hil.store.deployments import migrate_deployments  # the fleet's tables live with their queries

    migrate_deployments(db)


# v3: history at scale. Per-frame samples packed one row per result (hil/store/samples.py), the regression
# verdict of each result, provenance of merged runs, the index the baseline query walks, and views for
# Datasette or any SQLite client.
_V3_VIEWS = (
    """CREATE VIEW latest_results AS
    SELECT id AS result_id, run_id, created_at, board, platform, model, precision, clip, status, accuracy,
        lat_p50, lat_p99, lat_n, fps, power_w, power_source, energy_mj_per_frame, memory_peak_mb, fingerprint
    FROM (SELECT *, row_number() OVER (PARTITION BY board, model, precision
                                       ORDER BY created_at DESC, id DESC) AS newest
          FROM results)
    WHERE newest = 1""",
    """CREATE VIEW regressions AS
    SELECT r.id AS result_id, r.run_id, r.created_at, r.board, r.model, r.precision, r.clip,
        json_extract(e.value, '$.metric') AS metric, json_extract(e.value, '$.baseline') AS baseline,
        json_extract(e.value, '$.new') AS new, json_extract(e.value, '$.ratio') AS ratio,
        json_extract(e.value, '$.p_value') AS p_value, json_extract(e.value, '$.n.baseline') AS n_baseline,
        json_extract(e.value, '$.n.new') AS n_new
    FROM results AS r, json_each(r.verdict, '$.regressions') AS e
    WHERE r.status = 'regression' AND r.verdict IS NOT NULL""",
)


def _v3(db: Database) -> None:
    from hil.store.samples import PACKS_DDL, migrate_rows

    db.execute(PACKS_DDL)
    migrate_rows(db.conn)
    db.execute("DROP TABLE samples")
    db.execute("ALTER TABLE results ADD COLUMN verdict TEXT")
    db.execute("ALTER TABLE runs ADD COLUMN origin_run_id TEXT")
    db.execute(
        "CREATE INDEX results_series ON results"
        "(board, model_sha256, precision, clip, fingerprint, created_at)"
    )
    db.execute("CREATE INDEX results_regression ON results(created_at) WHERE status = 'regression'")
    for view in _V3_VIEWS:
        db.execute(view)


def _tasks(db: Database) -> None:
    """Issue 13: the model card's task of each result and its metrics (JSON: map50, f1, per_class, nme,
    failure_rate, eye_closed, mae, ...). Rows stored before read back as None (a classifier, or no card)."""
    results = db.table("results")
    results.add_column("task", str)
    results.add_column("task_metrics", str)


def _verdicts(db: Database) -> None:
    """Issue 21: the loss gate's verdict (`budget_loss`) and its checks (`loss`, JSON), and honest precision
    names: TIDL's 16-bit mode is fixed point, stored until now as `fp16` on TDA4VM boards; it is `int16`
    now, so a TDA4VM's 16-bit history stays one series under its new name."""
    results = db.table("results")
    results.add_column("budget_loss", int)
    results.add_column("loss", str)
    db.execute("UPDATE results SET precision = 'int16' WHERE platform = 'tda4vm' AND precision = 'fp16'")


def _compressed(db: Database) -> None:
    """Issue 23: a store that lasts years. Sample packs and logs compressed (hil.store.codec): every pack
    re-encoded, the logs table rebuilt with a zlib `body` instead of plain `text` (a reader that still asks
    for `text` fails loudly instead of reading nothing). `migrate` backs the store up first and VACUUMs
    after, so the file shrinks."""
    from hil.store.codec import encode_text
    from hil.store.samples import recompress

    recompress(db.conn)
    db.execute(
        "CREATE TABLE logs_z (id INTEGER PRIMARY KEY, "
        "result_id INTEGER NOT NULL REFERENCES results(id) ON DELETE CASCADE, "
        "kind TEXT NOT NULL, command TEXT NOT NULL, body BLOB NOT NULL)"
    )
    rows = db.execute("SELECT id, result_id, kind, command, text FROM logs ORDER BY id").fetchall()
    db.conn.executemany(
        "INSERT INTO logs_z (id, result_id, kind, command, body) VALUES (?, ?, ?, ?, ?)",
        [(i, rid, kind, command, encode_text(text)) for i, rid, kind, command, text in rows],
    )
    db.execute("DROP TABLE logs")
    db.execute("ALTER TABLE logs_z RENAME TO logs")
    db.execute("CREATE INDEX logs_result ON logs(result_id, kind)")


MIGRATIONS: tuple[Callable[[Database], None], ...] = (
    _v1,
    _v2,
    _measures,
    _honest_numbers,
    _v_nightly,
    _deployments,
    _v3,
    _tasks,
    _verdicts,
    _compressed,
)
# Migrations that rewrite most of the file: the store is VACUUMed after them, so it shrinks on disk.
_REWRITING = (_compressed,)
SCHEMA_VERSION = len(MIGRATIONS)

_VERSION_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL, "
    "hil_version TEXT NOT NULL)"
)


def now() -> str:
    """UTC timestamp in ISO 8601; text order is time order, which the history queries rely on."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def stored_version(db: Database, path: Path) -> int:
    """The schema version of an open store: 0 for an empty file."""
    return version_of(db.conn, path)


def version_of(conn: sqlite3.Connection, path: Path) -> int:
    """The schema version of the store open on `conn`: 0 for an empty file (plain sqlite3, so that the
    read-only commands need not import sqlite-utils)."""
    names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "schema_version" not in names:
        if names:
            raise ConfigError(
                f"{path} is an SQLite database but not a hil results store (no schema_version table)",
                hint="pass --db with a hil store, or a new file name to start one",
            )
        return 0
    row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def check_readable(db: Database, path: Path) -> None:
    """For a store hil may only read: it must already be at SCHEMA_VERSION (migrating needs writes)."""
    try:
        found = stored_version(db, path)
    except sqlite3.OperationalError:
        raise
    except sqlite3.DatabaseError as exc:
        raise ConfigError(
            f"{path} is not a hil results store: {exc}", hint="pass --db with a hil store"
        ) from exc
    if found != SCHEMA_VERSION:
        raise ConfigError(
            f"{path} is read-only and has store schema v{found}; this hil reads v{SCHEMA_VERSION}",
            hint="copy it somewhere writable and pass that with --db: hil upgrades it there"
            if found < SCHEMA_VERSION
            else "upgrade hil",
        )


def migrate(db: Database, path: Path) -> int:
    """Bring the store at `path` up to SCHEMA_VERSION; return the version it had before."""
    try:
        found = stored_version(db, path)
    except sqlite3.OperationalError:
        raise  # could not read the file at all (permissions, read-only, locked): the caller says which
    except sqlite3.DatabaseError as exc:
        raise ConfigError(
            f"{path} is not a hil results store: {exc}", hint="pass --db with a hil store"
        ) from exc
    if found > SCHEMA_VERSION:
        raise ConfigError(
            f"{path} was written by a newer hil (store schema v{found}; hil {__version__} "
            f"reads up to v{SCHEMA_VERSION})",
            hint="upgrade hil, or pass --db with another store",
        )
    if found == SCHEMA_VERSION:
        return found
    marker = migrating_marker(path)
    if found:  # an existing store: a copy first, so that nothing is lost whatever happens next
        backup(db, backup_path(path, found))
    marker.write_text(
        f"hil {__version__} is migrating this store from schema v{found} to v{SCHEMA_VERSION}\n"
    )
    try:
        db.execute(_VERSION_TABLE)
        rewritten = False
        for version in range(found + 1, SCHEMA_VERSION + 1):
            with db.atomic():
                MIGRATIONS[version - 1](db)
                db.execute(
                    "INSERT INTO schema_version (version, applied_at, hil_version) VALUES (?, ?, ?)",
                    [version, now(), __version__],
                )
            rewritten = rewritten or (found > 0 and MIGRATIONS[version - 1] in _REWRITING)
        if rewritten:
            db.execute("VACUUM")
    finally:
        marker.unlink(missing_ok=True)
    return found


def migrating_marker(path: Path) -> Path:
    """The file that exists beside a store while hil migrates it (`hil store serve` refuses such a store)."""
    return path.with_name(path.name + ".migrating")


def backup_path(path: Path, version: int) -> Path:
    """Where the copy of a store at schema `version` goes before it is migrated (kept; delete it by hand)."""
    return path.with_name(f"{path.name}.v{version}.bak")


def backup(db: Database, target: Path) -> None:
    """A consistent copy of the open store (SQLite's online backup), never overwriting an older one."""
    if target.exists():
        return  # an earlier, interrupted migration already saved the store as it was at that version
    partial = target.with_name(target.name + ".part")
    dest = sqlite3.connect(partial)
    try:
        db.conn.backup(dest)
    finally:
        dest.close()
    partial.replace(target)
