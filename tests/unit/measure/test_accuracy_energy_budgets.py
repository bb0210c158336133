from __future__ import annotations

import pytest

from hil.measure.accuracy import frame_accuracy, per_class
from hil.measure.budgets import Budgets, verdicts
from hil.measure.energy import energy
from hil.measure.latency import latency_stats


def test_frame_accuracy_ignores_unlabelled_frames() -> None:
    assert frame_accuracy([0, 1, 1, 2], [0, 1, None, 1]) == pytest.approx(2 / 3)
    assert frame_accuracy([0, 1], [None, None]) is None


def test_per_class_precision_recall() -> None:
    stats = per_class([0, 0, 1, 1], [0, 1, 1, 1], ["a", "b", "c"])
    assert stats["a"] == {"precision": 0.5, "recall": 1.0, "support": 1.0}
    assert stats["b"]["precision"] == 1.0 and stats["b"]["recall"] == pytest.approx(2 / 3)
    assert stats["c"] == {"precision": None, "recall": None, "support": 0.0}


def test_energy_integrates_samples_not_tool_average() -> None:
    # 10 samples of 4 W at 0.1 s = 4 J over 100 frames = 40 mJ per frame.
    result = energy([4000.0] * 10, 0.1, 100)
    assert result is not None
    assert result.mean_w == pytest.approx(4.0)
    assert result.energy_mj_per_frame == pytest.approx(40.0)
    assert energy([], 0.1, 10) is None


def test_verdicts_none_when_not_judged() -> None:
    stats = latency_stats([10.0] * 5)
    v = verdicts(Budgets(), stats, None, 120.0, None)
    assert v.latency is True and v.memory is True
    assert v.power is None and v.accuracy is None
    v = verdicts(Budgets(latency_ms=5), stats, 6.0, 900.0, 0.5)
    assert v.failed() == ["latency", "power", "memory", "accuracy"]
