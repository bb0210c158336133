"""`hil store serve`: the results store in a browser, through Datasette (the optional extra `hil[web]`).

Read-only by construction: the file is opened immutable (SQLite never writes it, not even its -shm), no
canned query writes, and Datasette runs only SELECT statements. A store hil is migrating, one a hil still
writes (its WAL holds data not in the file yet: an immutable view would miss it) and one at another schema
version (serving it must not migrate it) are refused. Titles, units and descriptions of every column come
from docs/results.md, the store's reference; canned queries answer the usual questions.
"""

from __future__ import annotations

import re
import sqlite3
import zlib
from pathlib import Path
from typing import Any

from hil.errors import ConfigError
from hil.store.schema import SCHEMA_VERSION, migrating_marker, version_of

DOCS = Path(__file__).resolve().parents[2] / "docs" / "results.md"

QUERIES: dict[str, dict[str, Any]] = {
    "latest_per_board": {
        "title": "Latest result per board, model and precision",
        "sql": "SELECT * FROM latest_results ORDER BY board, model, precision, clip",
    },
    "regressions_this_week": {
        "title": "Regressions of the last 7 days, with their evidence",
        "sql": "SELECT * FROM regressions WHERE created_at >= "
        "strftime('%Y-%m-%dT%H:%M:%S', 'now', '-7 days') ORDER BY created_at DESC",
    },
    "series_history": {
        "title": "One series' history: board x model x precision x clip, newest first",
        "sql": "SELECT id, run_id, created_at, status, lat_p50, lat_p99, lat_n, accuracy, fps, power_w, "
        "power_source, memory_peak_mb, noisy FROM results WHERE board = :board AND model = :model AND "
        "precision = :precision AND clip = :clip ORDER BY created_at DESC, id DESC LIMIT 200",
    },
    "result_logs": {
        "title": "The commands and logs of one result (stored compressed; shown as text)",
        "sql": "SELECT kind, command, hil_text(body) AS text FROM logs WHERE result_id = :result_id "
        "ORDER BY id",
    },
}


def column_docs(markdown: str) -> dict[str, dict[str, tuple[str, str]]]:
    """{table: {column: (unit, meaning)}} from the column tables of docs/results.md."""
    tables: dict[str, dict[str, tuple[str, str]]] = {}
    current: str | None = None
    header: list[str] = []
    for line in markdown.splitlines():
        heading = re.match(r"^###\s+`(\w+)`", line)
        if heading:
            current, header = heading.group(1), []
            continue
        if current is None or not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not header:
            header = [c.lower() for c in cells]
            continue
        if set(line) <= set("|-: "):
            continue
        names = re.findall(r"`(\w+)`", cells[0])
        unit = cells[header.index("unit")] if "unit" in header and len(cells) > header.index("unit") else ""
        meaning = cells[-1]
        for name in names:
            tables.setdefault(current, {})[name] = (unit, meaning)
    return tables


def metadata(database: str, docs: Path = DOCS) -> dict[str, Any]:
    """Datasette metadata: titles, units and column descriptions (from docs/results.md), canned queries."""
    described = column_docs(docs.read_text("utf-8")) if docs.exists() else {}
    tables = {
        table: {
            "description": f"hil's `{table}` table (docs/results.md)",
            "columns": {name: meaning for name, (_, meaning) in columns.items()},
            "units": {n: unit for n, (unit, _) in columns.items() if re.fullmatch(r"[A-Za-z/]+", unit)},
        }
        for table, columns in described.items()
    }
    return {
        "title": "hil results store",
        "description": "Every result of every hil run, read-only. Columns and units: docs/results.md.",
        "databases": {database: {"tables": tables, "queries": QUERIES}},
    }


def check_servable(path: Path) -> None:
    """Refuse a store that is not one, is being migrated or written, or is at another schema version."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"no results store at {path}", hint="pass --db with a store (hil run writes one)")
    if migrating_marker(path).exists():
        raise ConfigError(
            f"{path} is being migrated by hil ({migrating_marker(path).name} exists)",
            hint="wait for the migration to end; if no hil runs, a migration was interrupted: rerun any hil "
            "command on the store to finish it (a backup of the store is beside it)",
        )
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise ConfigError(
            f"{path} is being written (its write-ahead log {wal.name} holds changes not in the file yet)",
            hint="serve it when the run writing it has ended (hil closes the log on exit)",
        )
    conn = sqlite3.connect(f"file:{path.absolute()}?mode=ro&immutable=1", uri=True)
    try:
        found = version_of(conn, path)
    except sqlite3.DatabaseError as exc:
        raise ConfigError(
            f"{path} is not a hil results store: {exc}", hint="pass --db with a hil store"
        ) from exc
    finally:
        conn.close()
    if found != SCHEMA_VERSION:
        raise ConfigError(
            f"{path} has store schema v{found}; this hil serves v{SCHEMA_VERSION} (serving never migrates)",
            hint="run `hil history --db PATH` once to migrate it (a backup is kept)"
            if found < SCHEMA_VERSION
            else "upgrade hil",
        )


def hil_text(blob: bytes | None) -> str | None:
    """SQL function: a compressed log body as text."""
    return None if blob is None else zlib.decompress(blob).decode("utf-8", "replace")


class _Plugin:
    """Datasette plugin: the hil_text() SQL function on every connection."""

    try:
        from datasette import hookimpl
    except ImportError:  # pragma: no cover - only without the web extra, where app() says so first
        hookimpl = staticmethod(lambda f: f)

    @staticmethod
    @hookimpl
    def prepare_connection(conn: sqlite3.Connection) -> None:
        conn.create_function("hil_text", 1, hil_text, deterministic=True)


def app(path: Path) -> Any:
    """The Datasette ASGI app of the store at `path`, immutable."""
    try:
        from datasette.app import Datasette
        from datasette.plugins import pm
    except ImportError as exc:
        raise ConfigError(
            "hil store serve needs Datasette, the optional extra 'web'",
            hint="pip install 'hil[web]' (make setup installs it from requirements.lock)",
        ) from exc
    check_servable(path)
    if not pm.is_registered(_Plugin):
        pm.register(_Plugin, name="hil")
    path = Path(path).absolute()
    ds = Datasette(
        immutables=[str(path)],
        metadata=metadata(path.stem),  # Datasette names a database after its file
        settings={"allow_download": False, "suggest_facets": False},
    )
    return ds.app()
