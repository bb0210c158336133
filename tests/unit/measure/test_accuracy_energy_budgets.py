from __future__ import annotations

import pytest

from hil.measure.accuracy import frame_accuracy, per_class
from hil.measure.budgets import Budgets, Figures, judge, verdicts
from hil.measure.energy import energy, integrate_mj
from hil.measure.latency import latency_stats


def test_frame_accuracy_ignores_unlabelled_frames() -> None:
    assert frame_accuracy([0, 1, 1, 2], [0, 1, None, 1]) == pytest.approx(2 / 3)
    assert frame_accuracy([0, 1], [None, None]) is None


def test_per_class_precision_recall() -> None:
    stats = per_class([0, 0, 1, 1], [0, 1, 1, 1], ["a", "b", "c"])
    assert stats["a"] == {"precision": 0.5, "recall": 1.0, "support": 1.0}
    assert stats["b"]["precision"] == 1.0 and stats["b"]["recall"] == pytest.approx(2 / 3)
    assert stats["c"] == {"precision": None, "recall": None, "support": 0.0}


# Uneven timestamps (s) and milliwatts, all exactly representable: idle at 1 W, then a replay.
SAMPLES = [
    (0.0, 1000.0),
    (1.0, 1000.0),
    (2.0, 1000.0),
    (2.5, 3000.0),
    (3.0, 5000.0),
    (4.5, 2000.0),
    (5.0, 2000.0),
]


def test_energy_is_the_trapezoid_integral_over_the_samples_own_timestamps() -> None:
    result = energy(SAMPLES, [(2.5, 4.5)], frames=10, idle=(0.0, 2.0))
    assert result is not None
    # [2.5, 3]: 0.5 s x (3000 + 5000) / 2 = 2000 mJ; [3, 4.5]: 1.5 s x (5000 + 2000) / 2 = 5250 mJ.
    assert result.energy_mj_per_frame == 7250.0 / 10
    assert result.mean_w == 7250.0 / 2.0 / 1000.0
    assert result.idle_w == 1.0
    assert result.active_w == 3.625 - 1.0
    assert result.active_energy_mj_per_frame == (7250.0 - 1000.0 * 2.0) / 10
    assert result.samples == 3 and result.seconds == 2.0


def test_energy_interpolates_window_edges_and_sums_several_windows() -> None:
    # Power at 2.75 s is halfway between 3000 and 5000 mW; at 3.75 s halfway between 5000 and 2000.
    assert integrate_mj(SAMPLES, 2.75, 3.75) == 0.25 * (4000.0 + 5000.0) / 2 + 0.75 * (5000.0 + 3500.0) / 2
    # Outside the samples, the nearest sample holds.
    assert integrate_mj(SAMPLES, 5.0, 6.0) == 2000.0
    two = energy(SAMPLES, [(2.5, 3.0), (4.5, 5.0)], frames=4)
    assert two is not None and two.energy_mj_per_frame == (2000.0 + 1000.0) / 4 and two.mean_w == 3.0
    assert two.idle_w is None and two.active_w is None
    assert energy([], [(0.0, 1.0)], 10) is None
    assert energy(SAMPLES, [], 10) is None


def test_verdicts_none_when_not_judged() -> None:
    stats = latency_stats([10.0] * 5)
    v = verdicts(Budgets(), stats, None, 120.0, None)
    assert v.latency is True and v.memory is True
    assert v.power is None and v.accuracy is None
    v = verdicts(Budgets(latency_ms=5), stats, 6.0, 900.0, 0.5)
    assert v.failed() == ["latency", "power", "memory", "accuracy"]


def test_modelled_power_is_never_judged_unless_opted_in() -> None:
    modelled = Figures(power_w=9.0, power_source="sim-model")
    judged = judge(Budgets(), modelled)
    assert judged.verdicts.power is None and judged.failures == []
    assert judged.notes == ["power modelled, not judged"]
    opted = judge(Budgets(judge_modelled_power=True), modelled)
    assert opted.verdicts.power is False and opted.failures == ["power 9.00 W > 5 W"]
    measured = judge(Budgets(), Figures(power_w=4.0, power_source="tegrastats"))
    assert measured.verdicts.power is True and measured.notes == []


def test_every_failure_names_figure_value_limit_and_unit() -> None:
    stats = latency_stats([131.2] * 700)
    figures = Figures(
        latency=stats, memory_mb=612.4, accuracy=0.912, fps=31.04,
        parity={"logits": {"max_abs": 1.0, "mean_abs": 0.5, "cosine": 0.9, "top1_agreement": 0.5}},
        precision="int8",
    )  # fmt: skip
    judged = judge(Budgets(fps_min=50.0), figures)
    assert judged.failures == [
        "p99 latency 131.2 ms > 100 ms",
        "memory peak 612 MB > 500 MB",
        "accuracy 91.2 % < 95 %",
        "fps 31.0 < 50 fps",
        "parity cosine of logits 0.900000 < 0.98",
        "parity top-1 agreement of logits 0.5000 < 0.95",
    ]
    assert judged.verdicts.failed() == ["latency", "memory", "accuracy", "fps", "parity"]
    assert judge(Budgets(), figures).verdicts.fps is None  # no fps_min: not judged
