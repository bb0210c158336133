"""The board's harness and the host must turn a frame into the same tensor, or host-side accuracy (quantize
--evaluate, parity references) would not predict what the board computes."""

from __future__ import annotations

import numpy as np
import pytest

from hil.artifacts.card import InputSpec
from hil.artifacts.frames import preprocess
from hil.harness import board_harness


@pytest.mark.parametrize(
    "spec",
    [
        InputSpec(name="input", shape=[1, 1, 64, 64], colour="gray", mean=[0.5], std=[0.5]),
        InputSpec(name="in", shape=[1, 3, 48, 80], colour="rgb", mean=[0.1, 0.2, 0.3], std=[0.9, 0.8, 0.7]),
        InputSpec(name="x", shape=[1, 32, 32, 3], layout="NHWC", colour="bgr"),
    ],
)
@pytest.mark.parametrize("gray_source", [False, True])
def test_harness_and_host_preprocess_agree(spec: InputSpec, gray_source: bool) -> None:
    rng = np.random.default_rng(7)
    frame = rng.integers(0, 256, (120, 160) if gray_source else (120, 160, 3), dtype=np.uint8)
    host = preprocess(frame, spec)
    board = board_harness.preprocess(frame, spec.model_dump())
    assert board.shape == host.shape == tuple(spec.shape)
    np.testing.assert_allclose(board, host, atol=1e-6)
