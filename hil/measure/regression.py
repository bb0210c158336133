"""Regression verdicts: is a result worse than its own history beyond noise?

Pure functions over `Observation`s (one result's raw measurements); the store finds the baseline (the last K
comparable results, hil/store/baseline.py) and hil/runs/verdict.py writes the verdict back. The rules, with
the defaults of `Thresholds` (docs/results.md explains them for a test engineer):

- latency: the new result's per-frame end-to-end times (warm-up left out) against the pooled frames of the
  baseline. Worse only when all hold: Mann-Whitney U two-sided p < alpha, median ratio >= latency_ratio and
  median difference >= latency_abs_ms (asv's rule: significant AND big enough to matter).
- accuracy: correct frames / labelled frames, pooled two-proportion z-test p < alpha AND a drop of at least
  accuracy_drop (absolute). Models scored by their task are judged the same way on their own proportion
  (`Observation.hits_metric`): a detector's recall (truth objects found at the card's score threshold), a
  landmark model's share of frames within its failure threshold (`landmark_success`).
- energy: only measured energy (never `sim-model`), median ratio >= energy_ratio.
- memory: peak memory ratio >= memory_ratio and at least memory_abs_mb more.
- noisy (conbench-style lookback): when the baseline results' own medians vary by more than noisy_cv
  (robust coefficient of variation: 1.4826 x median absolute deviation / median, so one odd baseline
  result does not make the whole baseline noisy), a worse latency is only a regression if it also lies
  beyond lookback_z such deviations; otherwise the metric is flagged `noisy`, not failed. Where per-stage
  times exist, this lookback is taken on the inference stage (the model's own time).
- host noise: a worse end-to-end latency whose rise is mostly outside the inference stage (decode,
  preprocessing and postprocessing, which the model does not touch, slowed as much) is the host being
  busy, not the model regressing: flagged `noisy`, not failed. It needs per-stage times on both sides;
  a rise of the inference stage's median of at least infer_share of the end-to-end rise counts as the
  model's.
- fewer than min_baseline comparable results for a metric: that metric has "no baseline", never a verdict.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from hil.measure.significance import mann_whitney_u, median, two_proportions

if TYPE_CHECKING:  # built only as evidence: compare and trend judge without importing pydantic
    from hil.records import Regression

Verdict = Literal["regression", "improved", "noisy", "ok", "no_baseline"]


@dataclass(frozen=True)
class Thresholds:
    k: int = 5
    min_baseline: int = 3
    alpha: float = 0.01
    latency_ratio: float = 1.10
    latency_abs_ms: float = 0.05
    accuracy_drop: float = 0.02
    energy_ratio: float = 1.10
    memory_ratio: float = 1.10
    memory_abs_mb: float = 1.0
    noisy_cv: float = 0.10
    lookback_z: float = 5.0
    infer_share: float = 0.5


@dataclass
class Observation:
    """What one stored result measured, as far as the verdict rules need it."""

    result_id: int
    run_id: str
    created_at: str
    totals: list[float] = field(default_factory=list)  # ms per frame after warm-up
    infer: list[float] = field(default_factory=list)  # the inference stage of the same frames (or none)
    hits: tuple[int, int] | None = None  # (correct, labelled) frames; or a task model's (hits, trials)
    hits_metric: str = "accuracy"  # what hits count: accuracy, recall (detectors), landmark_success
    energy_mj: float | None = None  # measured only; None for sim-model or no power source
    memory_mb: float | None = None


@dataclass(frozen=True)
class Check:
    """One metric's verdict with its evidence."""

    metric: str
    verdict: Verdict
    baseline: float | None = None
    new: float | None = None
    ratio: float | None = None
    p_value: float | None = None
    n_baseline: int = 0
    n_new: int = 0

    def evidence(self) -> Regression:
        from hil.records import Regression

        return Regression(
            metric=self.metric,
            baseline=self.baseline if self.baseline is not None else math.nan,
            new=self.new if self.new is not None else math.nan,
            ratio=self.ratio if self.ratio is not None else math.nan,
            p_value=self.p_value,
            n={"baseline": self.n_baseline, "new": self.n_new},
        )


@dataclass(frozen=True)
class Judgement:
    checks: list[Check]
    baseline_ids: list[int]

    @property
    def regressions(self) -> list[Regression]:
        return [c.evidence() for c in self.checks if c.verdict == "regression"]

    @property
    def flags(self) -> list[str]:
        flags = [f"{c.verdict}:{c.metric}" for c in self.checks if c.verdict in ("noisy", "improved")]
        if not any(c.verdict != "no_baseline" for c in self.checks):
            flags.append("no_baseline")
        return flags

    @property
    def suspect(self) -> bool:
        """A regression, or a latency that got worse while the verdict could only say `noisy`: such a
        result is never a baseline, so a slowdown cannot become the new normal while the rack is noisy."""
        return self.outcome == "regression" or any(
            c.metric == "latency" and c.verdict == "noisy" and (c.ratio or 0) > 1.0 for c in self.checks
        )

    @property
    def outcome(self) -> Literal["regression", "ok", "no_baseline"]:
        if any(c.verdict == "regression" for c in self.checks):
            return "regression"
        return "no_baseline" if "no_baseline" in self.flags else "ok"


def _ratio(new: float, base: float) -> float:
    return new / base if base > 0 else (math.inf if new > 0 else 1.0)


def _spread(values: list[float]) -> tuple[float, float]:
    """(median, 1.4826 x median absolute deviation) of a few values: the robust centre and spread, which a
    standard deviation is for normal data."""
    centre = median(values)
    return centre, 1.4826 * median([abs(v - centre) for v in values])


def judge_latency(new: Observation, baseline: list[Observation], t: Thresholds) -> Check:
    history = [o.totals for o in baseline if o.totals]
    if not new.totals or len(history) < t.min_baseline:
        return Check("latency", "no_baseline", n_baseline=len(history), n_new=len(new.totals))
    pooled = [v for frames in history for v in frames]
    base, now = median(pooled), median(new.totals)
    ratio = _ratio(now, base)
    test = mann_whitney_u(pooled, new.totals)
    evidence = dict(baseline=base, new=now, ratio=ratio, p_value=test.p_value)
    sizes = dict(n_baseline=len(pooled), n_new=len(new.totals))
    significant = test.p_value < t.alpha
    worse = significant and ratio >= t.latency_ratio and now - base >= t.latency_abs_ms
    better = significant and ratio <= 1.0 / t.latency_ratio and base - now >= t.latency_abs_ms
    stages = [o.infer for o in baseline if o.totals]
    staged = bool(new.infer) and all(stages)
    # The lookback runs on the stage that carries the model where stages are known (host noise, which
    # moves the other stages, is judged apart below), else on the end-to-end times.
    medians = [median(frames) for frames in (stages if staged else history)]
    centre, spread = _spread(medians)
    latest = median(new.infer) if staged else now
    noisy = centre > 0 and spread / centre > t.noisy_cv
    beyond_lookback = spread == 0 or (latest - centre) / spread > t.lookback_z
    host_noise = False
    if worse and staged:
        infer_rise = median(new.infer) - median([v for frames in stages for v in frames])
        host_noise = infer_rise < t.infer_share * (now - base)
    if worse:
        model = not host_noise and (not noisy or beyond_lookback)
        verdict: Verdict = "regression" if model else "noisy"
    elif better:
        verdict = "improved"
    else:
        verdict = "noisy" if noisy else "ok"
    return Check("latency", verdict, **evidence, **sizes)  # type: ignore[arg-type]


def judge_accuracy(new: Observation, baseline: list[Observation], t: Thresholds) -> Check:
    metric = new.hits_metric
    history = [o.hits for o in baseline if o.hits and o.hits[1] > 0 and o.hits_metric == metric]
    if new.hits is None or new.hits[1] == 0 or len(history) < t.min_baseline:
        return Check(metric, "no_baseline", n_baseline=len(history))
    base_hits, base_n = sum(h[0] for h in history), sum(h[1] for h in history)
    base, now = base_hits / base_n, new.hits[0] / new.hits[1]
    p = two_proportions(base_hits, base_n, new.hits[0], new.hits[1])
    if p < t.alpha and base - now >= t.accuracy_drop:
        verdict: Verdict = "regression"
    elif p < t.alpha and now - base >= t.accuracy_drop:
        verdict = "improved"
    else:
        verdict = "ok"
    return Check(metric, verdict, base, now, _ratio(now, base), p, base_n, new.hits[1])


def _relative(
    metric: str, new: float | None, history: list[float], ratio_limit: float, abs_limit: float, t: Thresholds
) -> Check:
    if new is None or len(history) < t.min_baseline:
        return Check(metric, "no_baseline", n_baseline=len(history))
    base = median(history)
    ratio = _ratio(new, base)
    if ratio >= ratio_limit and new - base >= abs_limit:
        verdict: Verdict = "regression"
    elif ratio <= 1.0 / ratio_limit and base - new >= abs_limit:
        verdict = "improved"
    else:
        verdict = "ok"
    return Check(metric, verdict, base, new, ratio, None, len(history), 1)


def judge(new: Observation, baseline: list[Observation], t: Thresholds | None = None) -> Judgement:
    """The verdict of `new` against its baseline (the caller picks the comparable results, newest first)."""
    t = t or Thresholds()
    baseline = baseline[: t.k]
    energies = [o.energy_mj for o in baseline if o.energy_mj is not None]
    memories = [o.memory_mb for o in baseline if o.memory_mb is not None]
    checks = [
        judge_latency(new, baseline, t),
        judge_accuracy(new, baseline, t),
        _relative("energy", new.energy_mj, energies, t.energy_ratio, 0.0, t),
        _relative("memory", new.memory_mb, memories, t.memory_ratio, t.memory_abs_mb, t),
    ]
    return Judgement(checks, [o.result_id for o in baseline])
