"""Budget verdicts: each measured figure against its budget, None where it could not be judged.

A verdict is None when the figure is missing, and always for power that was modelled rather than measured
(`sim-model`): a number nobody measured never decides pass or fail (unless `judge_modelled_power`, for
tests). Every failure has a message naming the figure, its value, the limit and the unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hil.measure.latency import judged_latency
from hil.measure.parity import parity_ok
from hil.records import BudgetVerdicts, LatencyStats

MODELLED = "sim-model"


@dataclass(frozen=True)
class Budgets:
    """Limits for one board: latency per frame, mean power, memory peak (maxima), minimum accuracy (0..1),
    minimum fps (None: not judged)."""

    latency_ms: float = 100.0
    power_w: float = 5.0
    memory_mb: float = 500.0
    accuracy: float = 0.95
    fps_min: float | None = None
    judge_modelled_power: bool = False
    profile: str = "default"


@dataclass(frozen=True)
class Figures:
    """What one result measured, as the budgets need it."""

    latency: LatencyStats | None = None
    power_w: float | None = None
    power_source: str | None = None
    memory_mb: float | None = None
    accuracy: float | None = None
    fps: float | None = None
    parity: dict[str, dict[str, Any]] | None = None
    precision: str = "fp32"


@dataclass(frozen=True)
class Judgement:
    verdicts: BudgetVerdicts
    failures: list[str] = field(default_factory=list)  # e.g. "p99 latency 131.2 ms > 100 ms"
    notes: list[str] = field(default_factory=list)  # e.g. "power modelled, not judged"


def judge(budgets: Budgets, f: Figures) -> Judgement:
    failures: list[str] = []
    notes: list[str] = []
    latency = None
    if f.latency is not None:
        stat, value = judged_latency(f.latency)
        latency = value <= budgets.latency_ms
        if not latency:
            failures.append(f"{stat} latency {value:.1f} ms > {budgets.latency_ms:g} ms")
    power = None
    if f.power_w is not None:
        if f.power_source == MODELLED and not budgets.judge_modelled_power:
            notes.append("power modelled, not judged")
        else:
            power = f.power_w <= budgets.power_w
            if not power:
                failures.append(f"power {f.power_w:.2f} W > {budgets.power_w:g} W")
    memory = None
    if f.memory_mb is not None:
        memory = f.memory_mb <= budgets.memory_mb
        if not memory:
            failures.append(f"memory peak {f.memory_mb:.0f} MB > {budgets.memory_mb:g} MB")
    accuracy = None
    if f.accuracy is not None:
        accuracy = f.accuracy >= budgets.accuracy
        if not accuracy:
            failures.append(f"accuracy {f.accuracy * 100:.1f} % < {budgets.accuracy * 100:g} %")
    fps = None
    if budgets.fps_min is not None and f.fps is not None:
        fps = f.fps >= budgets.fps_min
        if not fps:
            failures.append(f"fps {f.fps:.1f} < {budgets.fps_min:g} fps")
    parity = None
    if f.parity:
        parity, problems = parity_ok(f.parity, f.precision)
        failures.extend(problems)
    verdicts = BudgetVerdicts(
        latency=latency, power=power, memory=memory, accuracy=accuracy, fps=fps, parity=parity
    )
    return Judgement(verdicts, failures, notes)


def verdicts(
    budgets: Budgets,
    latency: LatencyStats | None,
    power_w: float | None,
    memory_mb: float | None,
    accuracy: float | None,
    power_source: str | None = None,
) -> BudgetVerdicts:
    """The verdicts alone (for imported results): see judge()."""
    figures = Figures(latency, power_w, power_source, memory_mb, accuracy)
    return judge(budgets, figures).verdicts
