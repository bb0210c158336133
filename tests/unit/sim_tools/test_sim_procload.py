"""Measured CPU load of a board's processes, found the three documented ways."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hil.sim.procload import CLOCK_TICKS, BoardLoadMeter, CoreLoadMeter, present_cores, read_stat

BUSY = "import time\nend = time.monotonic() + 30\nwhile time.monotonic() < end: pass\n"


@pytest.fixture
def busy_child(board: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A process that keeps one core busy, with the board's name in its environment."""
    proc = subprocess.Popen([sys.executable, "-c", BUSY], env=dict(os.environ))
    yield proc
    proc.kill()
    proc.wait()


def measure(meter: BoardLoadMeter) -> float:
    meter.sample()
    time.sleep(0.8)
    return meter.sample()


def ticks(pid: int) -> int:
    stat = read_stat(pid)
    assert stat is not None
    return stat.cpu_ticks


def measure_against(meter: BoardLoadMeter, pid: int) -> tuple[float, float]:
    """(the meter's load, the busy child's own share of the host over the same interval, from its ticks)."""
    meter.sample()
    before, start = ticks(pid), time.monotonic()
    time.sleep(0.8)
    after, wall = ticks(pid), time.monotonic() - start
    load = meter.sample()
    return load, (after - before) / CLOCK_TICKS / wall / (os.cpu_count() or 1)


def assert_counts_the_child(load: float, child_share: float) -> None:
    # However busy the host (a shared CI host may not give the child a whole core), the meter must see at
    # least what the child itself used; a 10 ms tick either side of the window is the slack.
    slack = 2 / CLOCK_TICKS / 0.8 / (os.cpu_count() or 1)
    assert child_share > 0.02, "the busy child never ran; the host is too loaded to tell"
    assert load >= child_share - slack, (load, child_share)
    assert load <= child_share + slack + 0.1, (load, child_share)  # not the whole host's load


def test_board_processes_by_environment(board: Path, busy_child: subprocess.Popen[bytes]) -> None:
    meter = BoardLoadMeter(board, os.environ["HIL_SIM_BOARD"])
    assert meter.source == "board-env"
    assert_counts_the_child(*measure_against(meter, busy_child.pid))
    assert measure(BoardLoadMeter(board, "no-such-board")) == 0.0


# A stand-in for the board's sshd: its only descendant is one busy child, whose pid it prints. (The test
# process itself cannot stand in: a pytest worker may still have children of earlier tests, which would
# count as the board's.)
SSHD = (
    "import subprocess, sys\n"
    f"child = subprocess.Popen([sys.executable, '-c', {BUSY!r}])\n"
    "print(child.pid, flush=True)\n"
    "child.wait()\n"
)


def test_board_processes_under_the_boards_sshd(board: Path) -> None:
    sshd = subprocess.Popen([sys.executable, "-c", SSHD], stdout=subprocess.PIPE, env=dict(os.environ))
    try:
        assert sshd.stdout is not None
        child = int(sshd.stdout.readline())
        (board / "run" / "sshd.pid").write_text(f"{sshd.pid}\n")
        meter = BoardLoadMeter(board, None)
        assert meter.source == "sshd-tree"
        assert_counts_the_child(*measure_against(meter, child))
    finally:
        subprocess.run(["pkill", "-KILL", "-P", str(sshd.pid)], check=False)
        sshd.kill()
        sshd.wait()


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
