"""One past result as `hil history` lists it: a plain dataclass, so that the history commands start without
importing pydantic (see hil.cli.commands on light commands)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal


@dataclass(frozen=True, kw_only=True)
class HistoryRow:
    """One past result; latency in ms, power in W, memory in MB."""

    result_id: int
    run_id: str
    created_at: datetime
    board: str
    platform: str
    model: str
    precision: str
    clip: str
    status: str
    accuracy: float | None  # a classifier's frame accuracy
    task: str | None = None  # the model card's task; detection / landmarks / regression have task_metrics
    task_metrics: dict[str, Any] | None = None
    p50: float | None
    p99: float | None
    n: int | None  # latency samples behind p50/p99; p99 is None below 662 (see docs/results.md)
    percentiles_from: str | None = None  # None: hil computed them; else the tool that did (imports)
    noisy: bool = False  # taken while the board throttled
    fps: float | None
    power_w: float | None
    power_source: str | None
    memory_peak_mb: float | None
    source: Literal["run", "import"]
    imported: bool

    def __post_init__(self) -> None:
        if isinstance(self.created_at, str):  # as the store keeps it: ISO 8601 text
            object.__setattr__(self, "created_at", datetime.fromisoformat(self.created_at))

    def as_json(self) -> dict[str, Any]:
        """The row as `hil history --json` prints it (times in ISO 8601, UTC as `Z`)."""
        data = asdict(self)
        stamp = self.created_at.isoformat()
        data["created_at"] = stamp.removesuffix("+00:00") + "Z" if stamp.endswith("+00:00") else stamp
        return data


def history_row(row: dict[str, Any]) -> HistoryRow:
    """The HistoryRow of one `results` row."""
    return HistoryRow(
        result_id=row["id"],
        run_id=row["run_id"],
        created_at=row["created_at"],
        board=row["board"],
        platform=row["platform"],
        model=row["model"],
        precision=row["precision"],
        clip=row["clip"],
        status=row["status"],
        accuracy=row["accuracy"],
        task=row.get("task"),
        task_metrics=json.loads(row["task_metrics"]) if row.get("task_metrics") else None,
        p50=row["lat_p50"],
        p99=row["lat_p99"],
        n=row["lat_n"],
        percentiles_from=row.get("lat_percentiles_from"),
        fps=row["fps"],
        power_w=row["power_w"],
        power_source=row["power_source"],
        memory_peak_mb=row["memory_peak_mb"],
        source=row["source"],
        imported=row["source"] == "import",
        noisy=bool(row.get("noisy")),
    )
