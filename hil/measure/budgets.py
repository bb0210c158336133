"""Budget verdicts: each measured figure against its budget, None where it could not be judged."""

from __future__ import annotations

from dataclasses import dataclass

from hil.measure.latency import judged_latency
from hil.records import BudgetVerdicts, LatencyStats


@dataclass(frozen=True)
class Budgets:
    """Limits for one board: latency per frame, mean power, memory peak, minimum accuracy (0..1)."""

    latency_ms: float = 100.0
    power_w: float = 5.0
    memory_mb: float = 500.0
    accuracy: float = 0.95


def verdicts(
    budgets: Budgets,
    latency: LatencyStats | None,
    power_w: float | None,
    memory_mb: float | None,
    accuracy: float | None,
) -> BudgetVerdicts:
    return BudgetVerdicts(
        latency=None if latency is None else judged_latency(latency)[1] < budgets.latency_ms,
        power=None if power_w is None else power_w < budgets.power_w,
        memory=None if memory_mb is None else memory_mb < budgets.memory_mb,
        accuracy=None if accuracy is None else accuracy >= budgets.accuracy,
    )
