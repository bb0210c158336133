"""The one figure that sums up a model's accuracy, by the card's task: what tables show in their accuracy
column, what the precision matrix takes its Δ of, and what history compares.

classification: frame accuracy (`accuracy`, 0..1, higher is better); detection: AP at IoU 0.5 averaged over
the classes with truth (`map50`, higher is better); landmarks: normalised mean error (`nme`, lower is better);
regression: mean absolute error over the targets (`mae`, in the card's units, lower is better).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Headline:
    label: str  # how tables name it: "acc", "AP50", "NME", "MAE"
    metric: str  # its key: "accuracy", or the key in task_metrics
    higher_is_better: bool
    value: float | None


KINDS: dict[str, tuple[str, str, bool]] = {
    "classification": ("acc", "accuracy", True),
    "detection": ("AP50", "map50", True),
    "landmarks": ("NME", "nme", False),
    "regression": ("MAE", "mae", False),
}


def headline_of(task: str | None, accuracy: float | None, task_metrics: Mapping[str, Any] | None) -> Headline:
    """The headline figure of a result (None when it has none: no labels, no card)."""
    label, metric, higher = KINDS.get(task or "classification", KINDS["classification"])
    if metric == "accuracy":
        return Headline(label, metric, higher, accuracy)
    value = (task_metrics or {}).get(metric)
    return Headline(label, metric, higher, None if value is None else float(value))
