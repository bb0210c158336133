"""The verdict rules of hil.measure.regression on constructed observations."""

from __future__ import annotations

import random

from hil.measure.regression import Observation, Thresholds, judge


def _obs(
    i: int, centre: float, spread: float = 0.02, n: int = 100, seed: int = 0, **kw: object
) -> Observation:
    rng = random.Random(seed * 1000 + i)
    totals = [rng.gauss(centre, spread) for _ in range(n)]
    return Observation(result_id=i, run_id=f"r{i}", created_at=f"2026-01-0{i}", totals=totals, **kw)  # type: ignore[arg-type]


def test_fewer_than_three_comparable_results_is_no_baseline() -> None:
    verdict = judge(_obs(9, 5.0), [_obs(1, 1.0), _obs(2, 1.0)])
    assert verdict.outcome == "no_baseline" and verdict.regressions == [] and "no_baseline" in verdict.flags


def test_unchanged_is_ok_and_a_real_slowdown_regresses_with_evidence() -> None:
    base = [_obs(i, 1.0) for i in range(1, 6)]
    assert judge(_obs(9, 1.0, seed=3), base).outcome == "ok"
    verdict = judge(_obs(9, 1.5, seed=3), base)
    assert verdict.outcome == "regression"
    [ev] = verdict.regressions
    assert ev.metric == "latency" and ev.ratio > 1.4 and ev.p_value is not None and ev.p_value < 1e-10
    assert ev.n == {"baseline": 500, "new": 100}
    assert abs(ev.baseline - 1.0) < 0.01 and abs(ev.new - 1.5) < 0.01


def test_significant_but_small_change_is_not_a_regression() -> None:
    base = [_obs(i, 1.0, spread=0.001) for i in range(1, 6)]
    verdict = judge(_obs(9, 1.03, spread=0.001), base)  # p tiny, but only 3 %: below the 10 % minimum effect
    assert verdict.outcome == "ok"
    assert (
        judge(_obs(9, 1.03, spread=0.001), base, Thresholds(latency_ratio=1.02, latency_abs_ms=0.01)).outcome
        == "regression"
    )


def test_noisy_baseline_flags_instead_of_failing_unless_beyond_the_lookback() -> None:
    base = [_obs(i, c) for i, c in enumerate([1.0, 1.3, 0.8, 1.2, 0.9], start=1)]
    verdict = judge(_obs(9, 1.25), base)
    assert verdict.outcome == "ok" and "noisy:latency" in verdict.flags
    assert judge(_obs(9, 5.0), base).outcome == "regression"  # far beyond the baseline's own spread


def test_faster_is_improved_not_a_failure() -> None:
    base = [_obs(i, 1.0) for i in range(1, 6)]
    verdict = judge(_obs(9, 0.6), base)
    assert verdict.outcome == "ok" and verdict.flags == ["improved:latency"]


def test_accuracy_drop_energy_and_memory() -> None:
    base = [_obs(i, 1.0, hits=(190, 200), energy_mj=10.0, memory_mb=100.0) for i in range(1, 6)]
    new = _obs(9, 1.0, hits=(150, 200), energy_mj=12.0, memory_mb=130.0)
    metrics = {r.metric for r in judge(new, base).regressions}
    assert metrics == {"accuracy", "energy", "memory"}
    # Modelled energy is never judged: the store passes None for sim-model power.
    modelled = [_obs(i, 1.0, energy_mj=None) for i in range(1, 6)]
    checks = {c.metric: c.verdict for c in judge(_obs(9, 1.0, energy_mj=None), modelled).checks}
    assert checks["energy"] == "no_baseline"


def test_a_rise_outside_the_inference_stage_is_host_noise_not_a_regression() -> None:
    def with_stages(i: int, total: float, infer: float) -> Observation:
        obs = _obs(i, total)
        obs.infer = [v * infer / total for v in obs.totals]
        return obs

    base = [with_stages(i, 1.0, 0.4) for i in range(1, 6)]
    busy_host = judge(with_stages(9, 1.6, 0.45), base)  # +0.6 ms, of which inference +0.05
    assert busy_host.outcome == "ok" and busy_host.flags == ["noisy:latency"]
    slower_model = judge(with_stages(9, 1.6, 1.0), base)  # the inference stage carries the rise
    assert slower_model.outcome == "regression"


def test_one_odd_baseline_result_does_not_make_the_baseline_noisy() -> None:
    base = [_obs(i, c) for i, c in enumerate([1.0, 1.01, 3.0, 0.99, 1.0], start=1)]
    assert judge(_obs(9, 1.5), base).outcome == "regression"
