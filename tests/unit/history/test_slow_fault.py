"""The `runtime=slow` fault makes the board's runtime really do the inference three times."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hil.harness import runtimes
from hil.sim.faults import FaultFileError, clear_faults, read_faults, set_fault
from tests.fixtures.tiny import make_model


class Counting:
    name = "counting"

    def __init__(self) -> None:
        self.calls = 0
        self.input_shape = [1, 1, 8, 8]
        self.output_names = ["out"]

    def infer(self, tensor: np.ndarray) -> list[np.ndarray]:
        self.calls += 1
        return [tensor * 2]


def test_slow_backend_runs_every_inference_three_times() -> None:
    inner = Counting()
    slow = runtimes.SlowBackend(inner, runtimes.SLOW_REPEAT)
    out = slow.infer(np.ones((1, 1, 8, 8), np.float32))
    assert inner.calls == 3 and float(out[0].sum()) == 128.0
    assert "slow" in slow.name and slow.input_shape == inner.input_shape


def test_load_backend_wraps_only_under_the_fault(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = make_model(tmp_path / "bright.onnx")
    monkeypatch.delenv("HIL_BOARD_ROOT", raising=False)
    assert not isinstance(runtimes.load_backend(str(model), 1), runtimes.SlowBackend)
    board = tmp_path / "board"
    monkeypatch.setenv("HIL_BOARD_ROOT", str(board))
    assert not isinstance(runtimes.load_backend(str(model), 1), runtimes.SlowBackend)
    set_fault(board, "runtime", "slow")
    backend = runtimes.load_backend(str(model), 1)
    assert isinstance(backend, runtimes.SlowBackend)
    assert all(out.size > 0 for out in backend.infer(np.zeros(backend.input_shape, np.float32)))


def test_set_read_and_clear_faults(tmp_path: Path) -> None:
    assert read_faults(tmp_path) == {}
    set_fault(tmp_path, "runtime", "slow")
    assert set_fault(tmp_path, "trtexec", "crash") == {"runtime": "slow", "trtexec": "crash"}
    assert json.loads((tmp_path / "sim-faults.json").read_text()) == {"runtime": "slow", "trtexec": "crash"}
    with pytest.raises(FaultFileError, match="known"):
        set_fault(tmp_path, "runtime", "sluggish")
    assert clear_faults(tmp_path) and not clear_faults(tmp_path)
    assert read_faults(tmp_path) == {}
