"""`hil store serve`: metadata from docs/results.md, the refusals, and a real Datasette on loopback that
answers a canned query and refuses writes."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from hil.errors import ConfigError
from hil.store import Store
from hil.store.schema import migrating_marker
from hil.store.web import QUERIES, check_servable, metadata
from tests.unit.history.test_store_history import _frames, _record, _result

CORE = ("runs", "boards", "artifacts", "results", "sample_packs", "logs")


def _store(path: Path) -> None:
    with Store.open(path) as store:
        _record(store, "r1", _result(), _frames(40, 2.0, seed=1))


def test_every_column_of_the_core_tables_is_described_from_docs(tmp_path: Path) -> None:
    path = tmp_path / "hil.sqlite"
    _store(path)
    tables = metadata("hil")["databases"]["hil"]["tables"]
    with sqlite3.connect(path) as conn:
        for table in CORE:
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
            missing = [c for c in columns if not tables.get(table, {}).get("columns", {}).get(c)]
            assert missing == [], f"document {table}.{missing} in docs/results.md"
    assert tables["results"]["units"]["lat_p50"] == "ms" and tables["results"]["units"]["power_w"] == "W"
    assert set(QUERIES) >= {"latest_per_board", "regressions_this_week", "series_history"}


def test_a_store_being_migrated_written_or_of_another_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "hil.sqlite"
    _store(path)
    check_servable(path)
    migrating_marker(path).write_text("hil is migrating")
    with pytest.raises(ConfigError, match="being migrated"):
        check_servable(path)
    migrating_marker(path).unlink()
    with Store.open(path) as store:  # a writer holds it: its WAL has changes not yet in the file
        store.begin_run("r2", inventory="sim", argv=[])
        with pytest.raises(ConfigError, match="being written"):
            check_servable(path)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("DELETE FROM schema_version WHERE version = (SELECT max(version) FROM schema_version)")
    conn.close()  # the last connection: SQLite folds the WAL back into the file
    with pytest.raises(ConfigError, match="serving never migrates"):
        check_servable(path)
    with pytest.raises(ConfigError, match="no results store"):
        check_servable(tmp_path / "none.sqlite")


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=90) as reply:  # a loaded CI host is slow, not wrong
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_serve_on_port_0_answers_a_canned_query_and_refuses_writes(tmp_path: Path) -> None:
    pytest.importorskip("datasette", reason="the optional extra 'web' (Datasette) is not installed")
    path = tmp_path / "nightly.sqlite"
    _store(path)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    # Datasette prints a long traceback to stdout for each refused query: to a file, never a full pipe.
    log_path = tmp_path.parent / f"{tmp_path.name}-serve.log"
    log = log_path.open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "hil.cli.main", "store", "serve", "--port", "0", "--db", str(path)],
        stdout=log, stderr=subprocess.STDOUT, text=True, env={**os.environ, "COLUMNS": "300"},
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not (match := re.search(r"http://127\.0\.0\.1:(\d+)/", log_path.read_text())):
            assert proc.poll() is None and time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.2)
        base = f"http://127.0.0.1:{match.group(1)}"
        status, body = _get(f"{base}/nightly/latest_per_board.json?_shape=objects")
        assert status == 200, body
        rows = json.loads(body)["rows"]
        assert [(r["board"], r["model"], r["precision"]) for r in rows] == [("orin-01", "dms", "fp16")]
        status, body = _get(f"{base}/nightly/series_history.json?_shape=objects&board=orin-01&model=dms"
                            "&precision=fp16&clip=night")  # fmt: skip
        assert status == 200 and len(json.loads(body)["rows"]) == 1
        # Writes: arbitrary SQL must be a SELECT; no canned query accepts a POST.
        for sql in ("DELETE FROM results", "UPDATE results SET status = 'pass'", "DROP TABLE results"):
            status, body = _get(f"{base}/nightly.json?sql={urllib.parse.quote(sql)}")
            assert status >= 400 or '"ok": false' in body, (sql, status, body[:300])
        request = urllib.request.Request(f"{base}/nightly/latest_per_board", data=b"x=1", method="POST")
        try:
            with urllib.request.urlopen(request, timeout=90) as reply:
                posted = reply.status
        except urllib.error.HTTPError as exc:
            posted = exc.code
        assert posted >= 400  # Datasette 0.65 answers 500 here (its own bug), never 2xx; nothing is written
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before  # not a byte written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nightly.sqlite"]  # no -wal, -shm, backup
