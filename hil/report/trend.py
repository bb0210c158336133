"""`hil trend` / `hil history --plot`: a metric over runs per series, with fingerprint boundaries and
regressions marked. Pure data here; hil/report/plot.py draws it in the terminal.

A series is one board x model x precision x clip. A point is one stored result, oldest first. A boundary sits
before the first point whose environment fingerprint differs from the point before it (a JetPack, TensorRT,
SNPE, TIDL SDK, power mode or clock change starts a new baseline series), with what changed.
"""

from __future__ import annotations

import json
from typing import Any

from hil.store.baseline import fingerprint_change
from hil.store.reader import StoreReader

# metric -> (column of the value, column of the band's top or None, unit)
METRICS: dict[str, tuple[str, str | None, str]] = {
    "latency": ("lat_p50", "lat_p99", "ms"),
    "p99": ("lat_p99", None, "ms"),
    "accuracy": ("accuracy", None, ""),
    "fps": ("fps", None, "frames/s"),
    "power": ("power_w", None, "W"),
    "energy": ("energy_mj_per_frame", None, "mJ/frame"),
    "memory": ("memory_peak_mb", None, "MB"),
}
_KEY = ("board", "model", "precision", "clip")
_COLUMNS = (
    "id, run_id, created_at, board, model, precision, clip, status, fingerprint, verdict, lat_p50, lat_p90, "
    "lat_p99, lat_max, lat_n, accuracy, fps, power_w, power_source, energy_mj_per_frame, memory_peak_mb"
)


def trend_rows(
    store: StoreReader, filters: dict[str, str | None], last: int | None = None
) -> list[dict[str, Any]]:
    """Results matching the exact filters (board, model, precision, clip), newest `last`, oldest first."""
    where = [f"{k} = ?" for k in _KEY if filters.get(k)]
    params: list[Any] = [filters[k] for k in _KEY if filters.get(k)]
    sql = f"SELECT {_COLUMNS} FROM results"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY created_at DESC, id DESC"
    if last:
        sql += " LIMIT ?"
        params.append(last)
    return list(reversed(store.query(sql, params)))


def series(rows: list[dict[str, Any]], metric: str) -> list[dict[str, Any]]:
    """The rows grouped per board x model x precision x clip, as the JSON `hil trend --json` prints."""
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; known: {', '.join(METRICS)}")
    value_col, band_col, unit = METRICS[metric]
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(row[k] for k in _KEY), []).append(row)
    out = []
    for key, members in groups.items():
        points, boundaries = [], []
        for i, row in enumerate(members):
            if i and row["fingerprint"] != members[i - 1]["fingerprint"]:
                change = fingerprint_change(members[i - 1]["fingerprint"], row["fingerprint"])
                boundaries.append({"before": i, "run_id": row["run_id"], "changed": change})
            verdict = json.loads(row["verdict"]) if row["verdict"] else {}
            band = row[band_col] if band_col else None
            if band_col and band is None:
                band = row["lat_p90"]  # p99 needs >= 662 frames, p90 64; below both there is no band
            modelled = metric in ("power", "energy") and row["power_source"] == "sim-model"
            points.append(
                {
                    "result_id": row["id"],
                    "run_id": row["run_id"],
                    "created_at": row["created_at"],
                    "status": row["status"],
                    "value": row[value_col],
                    "band_top": band,
                    "modelled": modelled,
                    "regressions": verdict.get("regressions", []),
                    "flags": verdict.get("flags", []),
                }
            )
        out.append(
            {
                "key": dict(zip(_KEY, key, strict=True)),
                "metric": metric,
                "unit": unit,
                "points": points,
                "boundaries": boundaries,
            }
        )
    return out


def boundary_notes(store: StoreReader, result_ids: list[int]) -> list[str]:
    """One line per fingerprint change among these results, per series, oldest first."""
    if not result_ids:
        return []
    marks = ", ".join("?" * len(result_ids))
    rows = store.query(
        f"SELECT id, run_id, board, model, precision, clip, fingerprint FROM results WHERE id IN ({marks}) "
        "ORDER BY created_at, id",
        list(result_ids),
    )
    last: dict[tuple[str, ...], str] = {}
    notes = []
    for row in rows:
        key = tuple(row[k] for k in _KEY)
        before = last.get(key)
        if before is not None and before != row["fingerprint"]:
            change = fingerprint_change(before, row["fingerprint"])
            what = ", ".join(f"{k} {v[0]} -> {v[1]}" for k, v in change.items())
            notes.append(f"new baseline series from run {row['run_id']} ({' '.join(key)}): {what}")
        last[key] = row["fingerprint"]
    return notes
