"""Store queries behind regression verdicts: a result's observations and its comparable history.

Comparable means same board, model sha256 (the model name where an imported result has none), precision,
clip and environment fingerprint (stored as sorted-key JSON, so equal fingerprints are equal text). Only
results that finished (`pass` or `fail`) are a baseline: a regression never becomes the new normal, nor
does a result whose latency got worse while its verdict could only say `noisy` (`suspect` in its
verdict), and a result the platform marked `noisy` (measured while throttled; the column exists once that
is recorded) is never one either. The `results_series` index serves the query in one index walk.
"""

from __future__ import annotations

import json
from typing import Any

from hil.measure.regression import Observation
from hil.store.reader import StoreReader
from hil.store.samples import hits, measured_totals

_COLUMNS = (
    "r.id, r.run_id, r.created_at, r.board, r.model, r.model_sha256, r.precision, r.clip, r.fingerprint, "
    "r.status, r.power_source, r.energy_mj_per_frame, r.memory_peak_mb, r.task, r.task_metrics, "
    "p.total, p.infer, p.warmup, p.predicted, p.label"
)
BASELINE_STATUSES = ("pass", "fail")


def observation(row: dict[str, Any]) -> Observation:
    """An Observation from a row of `_COLUMNS` (sample columns may be NULL: a result without frames)."""
    totals: list[float] = []
    infer: list[float] = []
    counted: tuple[int, int] | None = None
    if row.get("total") is not None:
        totals = measured_totals(row["total"], row["warmup"])
        infer = measured_totals(row["infer"], row["warmup"])
        correct, labelled = hits(row["predicted"], row["label"], row["warmup"])
        counted = (correct, labelled) if labelled else None
    metric = "accuracy"
    if row.get("task") in TASK_PROPORTIONS:  # a detector or landmark model: its own proportion of hits
        metric = TASK_PROPORTIONS[row["task"]]
        counted = task_hits(row["task"], json.loads(row.get("task_metrics") or "null"))
    measured = row["power_source"] not in (None, "sim-model")
    return Observation(
        result_id=row["id"],
        run_id=row["run_id"],
        created_at=row["created_at"],
        totals=totals,
        infer=infer,
        hits=counted,
        hits_metric=metric,
        energy_mj=row["energy_mj_per_frame"] if measured else None,
        memory_mb=row["memory_peak_mb"],
    )


# The proportion judged like a classifier's frame accuracy, for models scored by their task.
TASK_PROPORTIONS = {"detection": "recall", "landmarks": "landmark_success"}


def task_hits(task: str, metrics: dict[str, Any] | None) -> tuple[int, int] | None:
    """(hits, trials) of a task model's result: a detector's truth objects found at the card's score
    threshold (recall over every class), a landmark model's frames within its failure threshold."""
    if not metrics:
        return None
    if task == "detection":
        classes = [c for c in (metrics.get("per_class") or {}).values() if c.get("truth")]
        found, truth = sum(int(c.get("tp") or 0) for c in classes), sum(int(c["truth"]) for c in classes)
        return (found, truth) if truth else None
    frames, failure = metrics.get("frames") or 0, metrics.get("failure_rate")
    if task == "landmarks" and frames and failure is not None:
        return round((1.0 - failure) * frames), frames
    return None


def result_rows(store: StoreReader, ids: list[int]) -> list[dict[str, Any]]:
    """The rows (results joined with their samples) of the given result ids, in id order."""
    if not ids:
        return []
    marks = ", ".join("?" * len(ids))
    sql = (
        f"SELECT {_COLUMNS} FROM results AS r LEFT JOIN sample_packs AS p ON p.result_id = r.id "
        f"WHERE r.id IN ({marks}) ORDER BY r.id"
    )
    return store.query(sql, list(ids))


def _has_column(store: StoreReader, name: str) -> bool:
    return any(row["name"] == name for row in store.query("PRAGMA table_info(results)"))


def series_filter(row: dict[str, Any]) -> tuple[str, list[Any]]:
    """WHERE clause (on alias r) and parameters selecting the series `row` belongs to."""
    sql = "r.board = ? AND r.precision = ? AND r.clip = ? AND r.fingerprint = ?"
    params: list[Any] = [row["board"], row["precision"], row["clip"], row["fingerprint"]]
    if row["model_sha256"]:
        sql += " AND r.model_sha256 = ?"
        params.append(row["model_sha256"])
    else:
        sql += " AND r.model_sha256 IS NULL AND r.model = ?"
        params.append(row["model"])
    return sql, params


def baseline_rows(store: StoreReader, row: dict[str, Any], k: int) -> list[dict[str, Any]]:
    """The last `k` comparable results recorded before `row`, newest first."""
    where, params = series_filter(row)
    statuses = ", ".join(f"'{s}'" for s in BASELINE_STATUSES)
    where += f" AND r.status IN ({statuses}) AND (r.created_at < ? OR (r.created_at = ? AND r.id < ?))"
    params += [row["created_at"], row["created_at"], row["id"]]
    where += " AND NOT coalesce(json_extract(r.verdict, '$.suspect'), 0)"
    if _has_column(store, "noisy"):
        where += " AND NOT coalesce(r.noisy, 0)"
    sql = (
        f"SELECT {_COLUMNS} FROM results AS r LEFT JOIN sample_packs AS p ON p.result_id = r.id "
        f"WHERE {where} ORDER BY r.created_at DESC, r.id DESC LIMIT ?"
    )
    return store.query(sql, [*params, k])


def fingerprint_change(before: str, after: str) -> dict[str, list[str | None]]:
    """What changed between two fingerprints: {key: [old, new]} (None where a key is absent)."""
    old, new = json.loads(before or "{}"), json.loads(after or "{}")
    return {k: [old.get(k), new.get(k)] for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)}
