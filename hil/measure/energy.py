"""Power and energy from timestamped power samples (see docs/results.md, "Energy").

Power between two samples is taken as the straight line between them (before the first sample and after
the last, as the nearest sample); energy over a window is the integral of that line: the trapezoid rule
over the samples' own timestamps, with the window's ends interpolated. Nothing assumes a fixed interval,
and a tool's own running "average" field is never used.

- idle_power_w: mean power over the idle window (the board at rest, just before the replay starts).
- power_w: mean power over the replay windows (their energy / their total duration).
- active_power_w: power_w - idle_power_w.
- energy_mj_per_frame: replay-window energy / timed frames; active_energy_mj_per_frame: the same with the
  idle power's energy over the windows taken off.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

Sample = tuple[float, float]  # (seconds, milliwatts)
Window = tuple[float, float]  # (start, end) seconds, same clock as the samples


@dataclass(frozen=True)
class EnergyResult:
    mean_w: float
    energy_mj_per_frame: float | None
    samples: int  # samples inside the replay windows
    idle_w: float | None = None
    active_w: float | None = None
    active_energy_mj_per_frame: float | None = None
    seconds: float = 0.0  # total duration of the replay windows


def _at(samples: Sequence[Sample], t: float) -> float:
    """Power (mW) at time t: linear between the samples around t, the nearest sample outside them."""
    if t <= samples[0][0]:
        return samples[0][1]
    if t >= samples[-1][0]:
        return samples[-1][1]
    for (t0, p0), (t1, p1) in itertools.pairwise(samples):
        if t0 <= t <= t1:
            return p0 if t1 == t0 else p0 + (p1 - p0) * (t - t0) / (t1 - t0)
    return samples[-1][1]  # not reached for time-ordered samples


def integrate_mj(samples: Sequence[Sample], start: float, end: float) -> float:
    """Energy in millijoules (mW x s) between start and end: trapezoids over the samples in between."""
    if not samples or end <= start:
        return 0.0
    ordered = sorted(samples)
    points = [(start, _at(ordered, start))]
    points += [(t, p) for t, p in ordered if start < t < end]
    points.append((end, _at(ordered, end)))
    return sum((t1 - t0) * (p0 + p1) / 2.0 for (t0, p0), (t1, p1) in itertools.pairwise(points))


def mean_power_w(samples: Sequence[Sample], windows: Sequence[Window]) -> float | None:
    """Time-weighted mean power in W over the windows; a single sample is its own mean."""
    if not samples:
        return None
    seconds = sum(max(0.0, b - a) for a, b in windows)
    if seconds <= 0:
        return None
    return sum(integrate_mj(samples, a, b) for a, b in windows) / seconds / 1000.0


def energy(
    samples: Sequence[Sample], windows: Sequence[Window], frames: int, idle: Window | None = None
) -> EnergyResult | None:
    """Energy of `frames` timed frames replayed in `windows`, with the idle baseline from `idle`."""
    ordered = sorted(samples)
    mean_w = mean_power_w(ordered, windows)
    if mean_w is None:
        return None
    seconds = sum(max(0.0, b - a) for a, b in windows)
    total_mj = sum(integrate_mj(ordered, a, b) for a, b in windows)
    inside = sum(1 for t, _ in ordered if any(a <= t <= b for a, b in windows))
    idle_w = None
    if idle is not None:
        idle_samples = [s for s in ordered if idle[0] <= s[0] <= idle[1]]
        if idle_samples:
            span = (idle_samples[0][0], idle_samples[-1][0])
            idle_w = mean_power_w(idle_samples, [span]) if span[1] > span[0] else idle_samples[0][1] / 1000.0
    per_frame = total_mj / frames if frames else None
    active_w = None if idle_w is None else mean_w - idle_w
    active_mj = None
    if idle_w is not None and frames:
        active_mj = (total_mj - idle_w * 1000.0 * seconds) / frames
    return EnergyResult(mean_w, per_frame, inside, idle_w, active_w, active_mj, seconds)
