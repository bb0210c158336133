"""The store's own value types, and the mapping between JobResult/FrameSample and table rows.

Columns are flat (one per statistic and per budget) so that plain `sqlite3` queries and indexes work on
them; only open-ended maps (fingerprint, per-class metrics) are stored as JSON text.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict

from hil.records import BudgetVerdicts, FrameSample, JobResult, LatencyStats

_LAT = ("min", "mean", "p50", "p90", "p99", "max", "n")
_BUDGETS = ("latency", "power", "memory", "accuracy", "fps", "parity", "loss")
# JSON-text columns of issue 8's structured figures.
_JSON = ("pacing", "stages_ms", "parity", "events", "budget_notes", "task_metrics", "loss")
# JobResult fields that map one to one onto a column of the same name.
_PLAIN = (
    "board",
    "platform",
    "model",
    "model_sha256",
    "precision",
    "clip",
    "status",
    "stage",
    "error",
    "accuracy",
    "latency_kind",
    "fps",
    "power_w",
    "power_source",
    "energy_mj_per_frame",
    "memory_peak_mb",
    "conversion_s",
    "engine_bytes",
    "bytes_pushed",
    "frames",
    "warmup_frames",
    "device_latency_ms",
    "engine_key",
    "source",
    "replay_s",
    "idle_power_w",
    "active_power_w",
    "active_energy_mj_per_frame",
    "power_samples",
    "budget_profile",
    "noisy_reason",
    "task",
)


class JobLog(BaseModel):
    """A command one job ran (convert, replay, power, facts), exactly as run, and what it printed.

    `board` is ignored when recording (the job's result names the board) and filled when read back.
    """

    model_config = ConfigDict(extra="forbid")

    kind: str
    command: str
    text: str
    board: str | None = None


def _bool(value: bool | None) -> int | None:
    return None if value is None else int(value)


def result_row(run_id: str, result: JobResult, created_at: str) -> dict[str, Any]:
    """The `results` row of one JobResult."""
    row: dict[str, Any] = {name: getattr(result, name) for name in _PLAIN}
    lat = result.latency_ms
    for name in _LAT:
        row[f"lat_{name}"] = None if lat is None else getattr(lat, name)
    row["lat_insufficient"] = None if lat is None else json.dumps(lat.insufficient)
    row["lat_percentiles_from"] = None if lat is None else lat.percentiles_from
    for name in _BUDGETS:
        row[f"budget_{name}"] = _bool(getattr(result.budgets, name))
    row["fingerprint"] = json.dumps(result.fingerprint, sort_keys=True)
    row["per_class"] = json.dumps(result.per_class, sort_keys=True)
    dumped = result.model_dump(include=set(_JSON))
    for name in _JSON:
        row[name] = None if dumped[name] is None else json.dumps(dumped[name], sort_keys=True)
    row["noisy"] = int(result.noisy)
    row["run_id"] = run_id
    row["created_at"] = created_at
    return row


def _opt_bool(value: int | None) -> bool | None:
    return None if value is None else bool(value)


def row_result(row: dict[str, Any]) -> JobResult:
    """Rebuild the JobResult a `results` row was written from."""
    latency = None
    if row["lat_mean"] is not None:  # lat_n is NULL for imported statistics (unknown sample count)
        latency = LatencyStats(
            **{name: row[f"lat_{name}"] for name in _LAT},
            insufficient=json.loads(row["lat_insufficient"] or "[]"),
            percentiles_from=row.get("lat_percentiles_from"),
        )
    budgets = BudgetVerdicts(**{name: _opt_bool(row[f"budget_{name}"]) for name in _BUDGETS})
    structured = {name: json.loads(row[name]) for name in _JSON if row[name] is not None}
    verdict = json.loads(row.get("verdict") or "{}")  # the history verdict (schema v3), where judged
    return JobResult(
        **{name: row[name] for name in _PLAIN},
        **structured,
        latency_ms=latency,
        budgets=budgets,
        fingerprint=json.loads(row["fingerprint"]),
        per_class=json.loads(row["per_class"]),
        noisy=bool(row.get("noisy")),  # NULL in rows stored before throttling was checked
        regressions=verdict.get("regressions", []),
        regression_flags=verdict.get("flags", []),
    )


def sample_row(result_id: int, sample: FrameSample) -> dict[str, Any]:
    row = sample.model_dump()
    row["frame"] = row.pop("index")
    row["warmup"] = int(sample.warmup)
    row["result_id"] = result_id
    return row


def row_sample(row: dict[str, Any]) -> FrameSample:
    data = {k: v for k, v in row.items() if k not in ("result_id", "frame")}
    return FrameSample(index=row["frame"], **{**data, "warmup": bool(row["warmup"])})
