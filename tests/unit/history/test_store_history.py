"""Packed samples, the v1 -> current migration, baseline queries, merge and export on real SQLite files."""

from __future__ import annotations

import io
import json
import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from hil.errors import ConfigError
from hil.records import FrameSample, JobResult, LatencyStats
from hil.runs.verdict import judge_results, thresholds_from_env
from hil.store import Store
from hil.store.export import export_rows, write_csv, write_jsonl
from hil.store.merge import merge_store
from hil.store.samples import pack, unpack, unpack_columns
from hil.store.schema import MIGRATIONS
from tests.unit.store.test_store_schema import V1_DDL


def _frames(n: int, centre: float, seed: int, warmup: int = 5) -> list[FrameSample]:
    rng = random.Random(seed)
    return [
        FrameSample(
            index=i, warmup=i < warmup, decode_ms=rng.random(), preprocess_ms=rng.random() / 3,
            infer_ms=centre, postprocess_ms=0.01, total_ms=max(0.0, rng.gauss(centre, centre * 0.02)),
            predicted=i % 3 if i % 7 else None, label=i % 3,
        )
        for i in range(n)
    ]  # fmt: skip


def _result(**kw: object) -> JobResult:
    base = JobResult(
        board="orin-01", platform="orin", model="dms", precision="fp16", clip="night", status="pass",
        latency_ms=LatencyStats(min=1, mean=1, p50=1, p90=None, p99=None, max=1, n=35),
        model_sha256="c" * 64, fingerprint={"tensorrt": "10.3"},
    )  # fmt: skip
    return base.model_copy(update=kw)


def test_pack_round_trips_every_field_exactly() -> None:
    frames = _frames(50, 3.25, seed=1)
    assert unpack(pack(7, frames)) == frames
    with pytest.raises(sqlite3.IntegrityError):
        pack(7, [*frames, frames[3]])


def test_v1_store_with_per_frame_rows_migrates_every_sample(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(V1_DDL)
    rng = random.Random(3)
    expected: dict[int, list[tuple]] = {1: [(0, 1, 1.0, 1.0, 4.0, 1.0, 7.0, 0, 0)]}
    for rid in (2, 3):
        conn.execute(
            "INSERT INTO results (id, run_id, board, platform, model, precision, clip, status, "
            "latency_kind, created_at) "
            "VALUES (?, 'old-run', 'orin-03', 'orin', 'dms-v3', 'int8', ?, 'pass', 'host_e2e', ?)",
            [rid, f"clip{rid}", f"2024-01-01T02:1{rid}:00+00:00"],
        )
        rows = []
        for frame in range(0, 300, 1 + rid % 2):  # frame numbers need not be contiguous
            values = [rng.random() * 10 for _ in range(5)]
            pred = None if frame % 5 == 0 else rng.randrange(4)
            rows.append((frame, int(frame < 10), *values, pred, rng.randrange(4)))
        conn.executemany(f"INSERT INTO samples VALUES ({rid}, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        expected[rid] = rows
    conn.commit()
    conn.close()
    with Store.open(path) as store:
        assert store.result_ids("old-run") == [1, 2, 3]
        for rid, rows in expected.items():
            got = [
                (s.index, int(s.warmup), s.decode_ms, s.preprocess_ms, s.infer_ms, s.postprocess_ms,
                 s.total_ms, s.predicted, s.label)
                for s in store.samples(rid)
            ]  # fmt: skip
            assert got == [tuple(r) for r in rows]  # bit for bit: float64 in, float64 out
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert "samples" not in tables and {"sample_packs", "latest_results", "regressions"} <= tables


def test_optional_frame_times_of_a_later_samples_layout_migrate_too(tmp_path: Path) -> None:
    # A store whose `samples` gained start_s/end_s/due_s (camera pacing, the `_measures` migration) before
    # the packing migration.
    path = tmp_path / "paced.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(V1_DDL)
    conn.commit()
    conn.close()
    db = Database(path)
    versions = [m.__name__ for m in MIGRATIONS]
    for version in range(2, versions.index("_measures") + 2):  # v1 is there; apply up to _measures
        MIGRATIONS[version - 1](db)
        db.execute("INSERT INTO schema_version VALUES (?, '2026-01-01', 'test')", [version])
    db.conn.commit()
    db.close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE samples SET start_s = 0.25, end_s = 0.5")  # due_s stays NULL (free run)
    conn.execute("INSERT INTO samples VALUES (1, 1, 0, 1, 1, 4, 1, 7.5, NULL, 0, 0.5, 0.75, NULL)")
    conn.commit()
    conn.close()
    with Store.open(path) as store:
        [row] = store.query("SELECT * FROM sample_packs WHERE result_id = 1")
        columns = unpack_columns(row)
        assert columns["frame"] == [0, 1] and columns["total"] == [7.0, 7.5]
        assert columns["start_s"] == [0.25, 0.5] and columns["end_s"] == [0.5, 0.75]
        assert columns["due_s"] == [None, None] and row["due_s"] is None
        assert columns["predicted"] == [0, None]


def _record(store: Store, run_id: str, result: JobResult, frames: list[FrameSample]) -> None:
    store.begin_run(run_id, inventory="sim", argv=[])
    store.record_job(run_id, result, frames, [])
    store.finish_run(run_id, "pass")


def test_verdicts_need_three_comparable_results_and_respect_fingerprints(tmp_path: Path) -> None:
    with Store.open(tmp_path / "hil.sqlite") as store:
        for i in range(3):
            _record(store, f"r{i}", _result(), _frames(60, 2.0, seed=i))
            [judged] = judge_results(store, f"r{i}", [_result()])
            assert judged.regression_flags == ["no_baseline"]
        # A different TensorRT starts a new series: no baseline, however slow.
        _record(store, "r-new-trt", _result(fingerprint={"tensorrt": "10.4"}), _frames(60, 4.0, seed=9))
        [other] = judge_results(store, "r-new-trt", [_result(fingerprint={"tensorrt": "10.4"})])
        assert other.status == "pass" and other.regression_flags == ["no_baseline"]
        _record(store, "r-slow", _result(), _frames(60, 3.0, seed=7))
        [slow] = judge_results(store, "r-slow", [_result()])
        assert slow.status == "regression" and [r.metric for r in slow.regressions] == ["latency"]
        assert slow.regressions[0].n == {"baseline": 3 * 55, "new": 55}
        row = store.query("SELECT status, verdict FROM results WHERE run_id = 'r-slow'")[0]
        assert row["status"] == "regression" and json.loads(row["verdict"])["outcome"] == "regression"
        assert [r["metric"] for r in store.query("SELECT * FROM regressions")] == ["latency"]
        [stored] = store.run_results("r-slow")  # what `hil show` reads back
        assert stored.status == "regression" and stored.regressions == slow.regressions
        # A regression is never a baseline: the next normal run is judged against the three good ones.
        _record(store, "r-ok", _result(), _frames(60, 2.0, seed=11))
        [ok] = judge_results(store, "r-ok", [_result()])
        assert ok.status == "pass", ok.regressions
        latest = store.query("SELECT run_id FROM latest_results")
        assert [r["run_id"] for r in latest] == ["r-ok"]


def test_thresholds_from_env() -> None:
    t = thresholds_from_env("k=10, latency_ratio=1.2")
    assert t.k == 10 and t.latency_ratio == 1.2
    with pytest.raises(ConfigError, match="unknown threshold"):
        thresholds_from_env("ratio=2")


def test_merge_is_idempotent_keeps_provenance_and_makes_run_ids_unique(tmp_path: Path) -> None:
    a, b, team = tmp_path / "a.sqlite", tmp_path / "b.sqlite", tmp_path / "team.sqlite"
    with Store.open(a) as store:
        _record(store, "run-1", _result(), _frames(20, 1.0, seed=1))
        _record(store, "run-2", _result(clip="day"), _frames(20, 1.0, seed=2))
    with Store.open(b) as store:
        _record(store, "run-1", _result(board="orin-02"), _frames(20, 1.0, seed=3))  # same id, other run
        store.db.execute("UPDATE runs SET host = 'lab-b'")
    with Store.open(team) as store:
        first = merge_store(store, a)
        assert (first.runs_added, first.results_added, first.runs_present) == (2, 2, 0)
        second = merge_store(store, b)
        assert second.renamed == {"run-1": "run-1@lab-b"}
        again = [merge_store(store, p) for p in (a, b)]
        assert [(r.runs_added, r.runs_present) for r in again] == [(0, 2), (0, 1)]
        runs = {r["run_id"]: r for r in store.query("SELECT run_id, host, origin_run_id FROM runs")}
        assert set(runs) == {"run-1", "run-2", "run-1@lab-b"}
        assert runs["run-1@lab-b"]["host"] == "lab-b" and runs["run-1@lab-b"]["origin_run_id"] == "run-1"
        [rid] = store.result_ids("run-1@lab-b")
        assert store.samples(rid) == _frames(20, 1.0, seed=3)
        assert store.run_results("run-1@lab-b")[0].board == "orin-02"
    with pytest.raises(ConfigError), Store.open(team) as store:
        merge_store(store, tmp_path / "missing.sqlite")


def test_export_csv_and_jsonl(tmp_path: Path) -> None:
    with Store.open(tmp_path / "hil.sqlite") as store:
        for i in range(3):
            _record(store, f"r{i}", _result(clip=f"c{i}"), _frames(10, 1.0, seed=i))
        buf = io.StringIO()
        assert write_jsonl(export_rows(store, {"board": "orin-01"}, batch=2), buf) == 3
        docs = [json.loads(line) for line in buf.getvalue().splitlines()]
        assert [d["clip"] for d in docs] == ["c0", "c1", "c2"] and docs[0]["fingerprint"] == {
            "tensorrt": "10.3"
        }
        text = io.StringIO()
        assert write_csv(export_rows(store, {"clip": "c1"}), text) == 1
        header, row = text.getvalue().splitlines()
        assert header.startswith("id,run_id,board") and ",c1," in row


def test_history_verdicts_judge_a_detector_on_what_it_has(tmp_path: Path) -> None:
    """A detector's frames carry no class label: accuracy has no baseline, latency is judged as usual, and
    its task metrics ride along untouched."""
    metrics = {"map50": 0.9, "f1": 0.85, "per_class": {}, "frames": 60}
    det = _result(model="face", task="detection", task_metrics=metrics, accuracy=None)

    def frames(centre: float, seed: int) -> list[FrameSample]:
        return [f.model_copy(update={"predicted": 3, "label": None}) for f in _frames(60, centre, seed)]

    with Store.open(tmp_path / "hil.sqlite") as store:
        for i in range(3):
            _record(store, f"d{i}", det, frames(2.0, seed=i))
            judge_results(store, f"d{i}", [det])
        _record(store, "d-slow", det, frames(3.0, seed=7))
        [slow] = judge_results(store, "d-slow", [det])
        assert slow.status == "regression" and [r.metric for r in slow.regressions] == ["latency"]
        assert slow.task_metrics == metrics
        [stored] = store.run_results("d-slow")
        assert stored.task == "detection" and stored.task_metrics == metrics


def _detector(found: int) -> JobResult:
    per_class = {
        "face": {"tp": 700, "truth": 720, "fp": 3, "fn": 20, "ap50": 0.99},
        "phone": {"tp": found, "truth": 130, "fp": 1, "fn": 130 - found, "ap50": found / 130},
        "hand": {"tp": 0, "truth": 0, "fp": 2, "fn": 0, "ap50": None},  # no truth: not a trial
    }
    metrics = {"map50": 0.9, "f1": 0.9, "per_class": per_class, "frames": 720}
    return _result(model="face", task="detection", task_metrics=metrics, accuracy=None)


def _landmarks(failure_rate: float) -> JobResult:
    metrics = {"nme": 0.03, "failure_rate": failure_rate, "frames": 700, "skipped_frames": 20}
    return _result(model="eyes", task="landmarks", task_metrics=metrics, accuracy=None)


@pytest.mark.parametrize(
    ("make", "good", "bad", "metric", "base", "new"),
    [
        (_detector, 125, 70, "recall", 825 / 850, 770 / 850),
        (_landmarks, 0.04, 0.15, "landmark_success", 0.96, 0.85),
    ],
)
def test_a_task_models_own_proportion_is_judged_like_accuracy(
    tmp_path: Path, make: Any, good: float, bad: float, metric: str, base: float, new: float
) -> None:
    with Store.open(tmp_path / "hil.sqlite") as store:
        for i in range(3):
            _record(store, f"t{i}", make(good), _frames(60, 2.0, seed=i))
            judge_results(store, f"t{i}", [make(good)])
        _record(store, "t-same", make(good), _frames(60, 2.0, seed=5))
        [same] = judge_results(store, "t-same", [make(good)])
        assert same.status == "pass" and same.regressions == []
        _record(store, "t-worse", make(bad), _frames(60, 2.0, seed=6))
        [worse] = judge_results(store, "t-worse", [make(bad)])
        assert worse.status == "regression"
        [evidence] = worse.regressions
        assert evidence.metric == metric
        assert evidence.baseline == pytest.approx(base) and evidence.new == pytest.approx(new)
        assert evidence.p_value is not None and evidence.p_value < 0.01
