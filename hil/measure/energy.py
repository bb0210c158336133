"""Power and energy from sampled power readings.

Energy is the integral of sampled power over the replay window (rectangle rule with the sampling
interval), divided by the frames replayed. A tool's own running "average" field is never used as energy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class EnergyResult:
    mean_w: float
    energy_mj_per_frame: float | None
    samples: int


def energy(power_mw: Sequence[float], interval_s: float, frames: int) -> EnergyResult | None:
    if not power_mw:
        return None
    joules = sum(power_mw) / 1000.0 * interval_s
    return EnergyResult(
        mean_w=sum(power_mw) / len(power_mw) / 1000.0,
        energy_mj_per_frame=joules * 1000.0 / frames if frames else None,
        samples=len(power_mw),
    )
