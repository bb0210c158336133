"""Measured CPU load of a board's processes, found the three documented ways."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hil.sim.procload import BoardLoadMeter, CoreLoadMeter, present_cores

BUSY = "import time\nend = time.monotonic() + 30\nwhile time.monotonic() < end: pass\n"


@pytest.fixture
def busy_child(board: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A process that keeps one core busy, with the board's name in its environment."""
    proc = subprocess.Popen([sys.executable, "-c", BUSY], env=dict(os.environ))
    yield proc
    proc.kill()
    proc.wait()


def one_core() -> float:
    return 1 / (os.cpu_count() or 1)


def measure(meter: BoardLoadMeter) -> float:
    meter.sample()
    time.sleep(0.8)
    return meter.sample()


def test_board_processes_by_environment(board: Path, busy_child: subprocess.Popen[bytes]) -> None:
    meter = BoardLoadMeter(board, os.environ["HIL_SIM_BOARD"])
    assert meter.source == "board-env"
    assert measure(meter) > 0.3 * one_core()  # a shared CI host may not give it a whole core
    assert measure(BoardLoadMeter(board, "no-such-board")) == 0.0


def test_board_processes_under_the_boards_sshd(board: Path, busy_child: subprocess.Popen[bytes]) -> None:
    # This test process stands in for the board's sshd: the busy child is its descendant.
    (board / "run" / "sshd.pid").write_text(f"{os.getpid()}\n")
    meter = BoardLoadMeter(board, None)
    assert meter.source == "sshd-tree"
    assert measure(meter) > 0.3 * one_core()  # a shared CI host may not give it a whole core


def test_whole_host_without_a_board() -> None:
    meter = BoardLoadMeter(None, None)
    assert meter.source == "host"
    assert 0.0 <= measure(meter) <= 1.0


def test_core_loads_cover_every_core() -> None:
    meter = CoreLoadMeter()
    time.sleep(0.1)
    loads = meter.sample()
    assert len(loads) == present_cores()
    assert all(load is None or 0 <= load <= 100 for load in loads)
