"""`hil diagnose --fix`: keep the ranked layers at the higher precision one more at a time, each step a real
conversion and replay, until the loss is inside its allowance or the latency budget would break.

    greedy_keep(candidates, step, max_layers) -> FixOutcome

`step(kept)` converts and replays with `kept` (a tuple of layer names; the first step keeps none: the
converter's own int8 calibration) and returns the StepResult of that run. The search stops at the first step
whose loss gate passes (`chosen` is its set), at the first step whose latency budget fails (the set before it
was the last that fitted; `chosen` stays None unless that one passed), or when the candidates or
`max_layers` run out. Steps are never skipped or guessed: each one is a run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class StepResult:
    kept: tuple[str, ...]
    status: str  # the run's outcome: pass, fail, regression, infra_error, skipped
    loss_ok: bool | None  # the loss gate; None: not judged
    latency_ok: bool | None  # the latency budget; None: not judged
    figures: dict[str, float | None] = field(default_factory=dict)  # e.g. AP50 and its reference
    p50_ms: float | None = None
    run_id: str | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kept": list(self.kept),
            "status": self.status,
            "loss_ok": self.loss_ok,
            "latency_ok": self.latency_ok,
            "figures": self.figures,
            "p50_ms": self.p50_ms,
            "run_id": self.run_id,
            "error": self.error,
        }


@dataclass
class FixOutcome:
    steps: list[StepResult]
    chosen: tuple[str, ...] | None  # the smallest kept set whose loss passed; None: none found
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "chosen": list(self.chosen) if self.chosen is not None else None,
            "reason": self.reason,
            "steps": [s.to_dict() for s in self.steps],
        }


def greedy_keep(
    candidates: Sequence[str], step: Callable[[tuple[str, ...]], StepResult], max_layers: int
) -> FixOutcome:
    ordered = list(dict.fromkeys(candidates))[: max(max_layers, 0)]
    steps: list[StepResult] = []
    for count in range(len(ordered) + 1):
        result = step(tuple(ordered[:count]))
        steps.append(result)
        if result.error is not None or result.status in ("infra_error", "skipped"):
            return FixOutcome(steps, None, f"step {count} did not run: {result.error or result.status}")
        if result.latency_ok is False:
            return FixOutcome(
                steps, None, f"keeping {count} layer(s) breaks the latency budget; no earlier set passed"
            )
        if result.loss_ok is True:
            why = "the loss is inside its allowance" + (" with no layer kept" if count == 0 else "")
            return FixOutcome(steps, result.kept, why)
        if result.loss_ok is None:
            return FixOutcome(steps, None, "the loss could not be judged (no labels or no FP32 reference)")
    tried = len(ordered)
    return FixOutcome(
        steps,
        None,
        f"no kept set of up to {tried} ranked layer(s) brought the loss inside its allowance",
    )
