"""The greedy search of `hil diagnose --fix` on hand-made step results (the runs themselves are tested on
the simulated rack, tests/integration/test_diagnose_tda4vm.py)."""

from __future__ import annotations

from hil.runs.fix import StepResult, greedy_keep


def stepper(passes_at: int | None, slow_at: int | None = None):  # type: ignore[no-untyped-def]
    seen: list[tuple[str, ...]] = []

    def step(kept: tuple[str, ...]) -> StepResult:
        seen.append(kept)
        n = len(kept)
        ok = passes_at is not None and n >= passes_at
        slow = slow_at is not None and n >= slow_at
        return StepResult(kept, "pass" if ok else "fail", ok, not slow, {"AP50": 0.5 + 0.1 * n}, 1.0 + n)

    return step, seen


def test_one_more_ranked_layer_each_step_until_the_loss_passes() -> None:
    step, seen = stepper(passes_at=2)
    outcome = greedy_keep(["/a", "/b", "/c", "/b"], step, max_layers=8)
    assert seen == [(), ("/a",), ("/a", "/b")]
    assert outcome.chosen == ("/a", "/b") and "inside its allowance" in outcome.reason


def test_a_broken_latency_budget_stops_the_search_without_a_choice() -> None:
    step, seen = stepper(passes_at=3, slow_at=2)
    outcome = greedy_keep(["/a", "/b", "/c"], step, max_layers=8)
    assert len(seen) == 3 and outcome.chosen is None and "latency budget" in outcome.reason


def test_running_out_of_layers_says_so() -> None:
    step, seen = stepper(passes_at=None)
    outcome = greedy_keep(["/a", "/b", "/c"], step, max_layers=2)
    assert seen == [(), ("/a",), ("/a", "/b")]
    assert outcome.chosen is None and "up to 2 ranked layer(s)" in outcome.reason


def test_nothing_to_keep_when_the_first_step_passes() -> None:
    step, _ = stepper(passes_at=0)
    outcome = greedy_keep(["/a"], step, max_layers=3)
    assert outcome.chosen == () and "no layer kept" in outcome.reason
