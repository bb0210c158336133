"""Compressed sample packs and logs (issue 23): exact round trips, and old stores migrated in place with a
backup."""

from __future__ import annotations

import math
import random
import sqlite3
from pathlib import Path

from sqlite_utils import Database

from hil.records import FrameSample
from hil.store import Store
from hil.store.codec import decode, encode
from hil.store.rows import JobLog
from hil.store.samples import COLUMNS, pack, raw_pack_columns, unpack
from hil.store.schema import MIGRATIONS, SCHEMA_VERSION, backup_path, migrating_marker, now
from tests.unit.store.conftest import MakeResult


def _harness_frames(n: int, seed: int = 3) -> list[FrameSample]:
    """Frames as hil's harness reports them: stage times to 4 decimals of a ms, clock times to 6 of a s."""
    rng = random.Random(seed)
    frames, clock = [], 0.0
    for i in range(n):
        stages = [round(rng.uniform(0.01, 30.0), 4) for _ in range(4)]
        total = round(sum(stages) + rng.uniform(0, 0.1), 4)
        start = round(clock, 6)
        clock += total / 1000 + rng.uniform(0, 0.002)
        frames.append(
            FrameSample(
                index=i, warmup=i < 10, decode_ms=stages[0], preprocess_ms=stages[1], infer_ms=stages[2],
                postprocess_ms=stages[3], total_ms=total, predicted=rng.choice([None, 0, 1, 2]),
                label=rng.choice([0, 1]), start_s=start, end_s=round(clock, 6), due_s=None,
            )
        )  # fmt: skip
    return frames


def _columns(frames: list[FrameSample]) -> dict[str, list[object]]:
    columns: dict[str, list[object]] = {
        name: [getattr(f, name) for f in frames]
        for name in ("warmup", "predicted", "label", "start_s", "end_s")
    }
    columns["frame"] = [f.index for f in frames]
    for stage in ("decode", "preprocess", "infer", "postprocess", "total"):
        columns[stage] = [getattr(f, f"{stage}_ms") for f in frames]
    return columns


def test_harness_resolution_packs_exactly_and_small() -> None:
    frames = _harness_frames(720)
    row = pack(1, frames)
    assert unpack(row) == frames
    packed = sum(len(row[c]) for c in COLUMNS if isinstance(row[c], bytes))
    raw = raw_pack_columns(1, _columns(frames))
    raw_bytes = sum(len(raw[c]) for c in COLUMNS if isinstance(raw[c], bytes))
    assert row["total"][:1] == b"F"  # fixed point: exact at the harness's 0.1 µs
    assert packed < raw_bytes / 3, (packed, raw_bytes)


def test_values_no_resolution_represents_stay_exact() -> None:
    rng = random.Random(5)
    values = [rng.gauss(5, 2) for _ in range(300)] + [math.pi, 1e-300, -0.0, 7.0]
    blob = encode("d", values, (3, 4))
    assert blob[:1] == b"Z"
    assert list(decode("d", blob)) == values
    with_none = [1.5, math.nan, 2.25]
    back = list(decode("d", encode("d", with_none, (6,), delta=True)))
    assert back[0] == 1.5 and math.isnan(back[1]) and back[2] == 2.25
    assert list(decode("q", encode("q", [-(2**63), 3, 2**62 + 1], (0,)))) == [-(2**63), 3, 2**62 + 1]
    assert list(decode("i", encode("i", [], (0,), delta=True))) == []


def _store_before_compression(path: Path, make_result: MakeResult) -> list[FrameSample]:
    """A store as the hil before issue 23 left it: raw sample packs and plain-text logs."""
    step = MIGRATIONS.index(next(m for m in MIGRATIONS if m.__name__ == "_compressed"))
    db = Database(path)
    db.execute(
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL, "
        "hil_version TEXT NOT NULL)"
    )
    for version, migration in enumerate(MIGRATIONS[:step], start=1):
        migration(db)
        db.execute("INSERT INTO schema_version VALUES (?, ?, '0.1.0')", [version, now()])
    frames = _harness_frames(200)
    db.execute(
        "INSERT INTO runs (run_id, started_at, status, hil_version, argv) VALUES ('old', ?, 'pass', '0.1.0', "
        "'[]')",
        [now()],
    )
    result = make_result()
    db.execute(
        "INSERT INTO results (run_id, board, platform, model, precision, clip, status, latency_kind, "
        "created_at) VALUES ('old', ?, ?, ?, ?, ?, 'pass', 'host_e2e', ?)",
        [result.board, result.platform, result.model, result.precision, result.clip, now()],
    )
    db.table("sample_packs").insert(raw_pack_columns(1, _columns(frames)))
    db.execute("INSERT INTO logs (result_id, kind, command, text) VALUES (1, 'replay', 'harness', 'héllo\n')")
    db.conn.commit()
    db.close()
    return frames


def test_an_old_store_is_compressed_in_place_with_a_backup(tmp_path: Path, make_result: MakeResult) -> None:
    path = tmp_path / "hil.sqlite"
    frames = _store_before_compression(path, make_result)
    with sqlite3.connect(path) as conn:
        old_version = conn.execute("SELECT max(version) FROM schema_version").fetchone()[0]
    assert old_version < SCHEMA_VERSION
    with Store.open(path) as store:
        assert store.samples(1) == frames  # every frame, exactly
        [log] = store.job_logs("old")
        assert (log.kind, log.command, log.text) == ("replay", "harness", "héllo\n")
        [pack_row] = store.query("SELECT total FROM sample_packs")
        assert pack_row["total"][:1] == b"F"
        store.begin_run("new", inventory="sim", argv=[])
        store.record_job(
            "new", make_result(clip="b"), frames, [JobLog(kind="convert", command="c", text="ok")]
        )
        assert [x.text for x in store.job_logs("new")] == ["ok"]
    assert not migrating_marker(path).exists()
    saved = backup_path(path, old_version)
    with sqlite3.connect(saved) as conn:  # the store exactly as it was, plain-text logs and all
        assert conn.execute("SELECT max(version) FROM schema_version").fetchone()[0] == old_version
        assert conn.execute("SELECT text FROM logs").fetchall() == [("héllo\n",)]
    Store.open(path).close()  # current: nothing migrates, no second backup
    assert sorted(p.name for p in tmp_path.iterdir() if ".bak" in p.name) == [saved.name]
