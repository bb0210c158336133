"""Measured CPU load of a board's processes, found the three documented ways."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
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


@dataclass
class Bracket:
    """The meter's load over one interval, and the busy child's CPU ticks over an interval just inside the
    meter's and one just outside it (the meter reads its clock and the child's ticks somewhere between)."""

    load: float
    inner_ticks: int
    outer_ticks: int
    inner_s: float
    outer_s: float


def measure_against(meter: BoardLoadMeter, pid: int) -> Bracket:
    outer_t0, outer_before = time.monotonic(), ticks(pid)
    meter.sample()
    inner_before, inner_t0 = ticks(pid), time.monotonic()
    time.sleep(0.8)
    inner_t1, inner_after = time.monotonic(), ticks(pid)
    load = meter.sample()
    outer_after, outer_t1 = ticks(pid), time.monotonic()
    return Bracket(
        load, inner_after - inner_before, outer_after - outer_before, inner_t1 - inner_t0, outer_t1 - outer_t0
    )


def assert_counts_the_child(m: Bracket) -> None:
    # Compared in CPU ticks over bracketing intervals, so however busy the host (a shared CI host may give
    # the child little CPU, and the meter's own scan may take long), the check stays exact: the meter saw
    # at least what the child used inside its interval, and not much more than it used around it.
    cores = os.cpu_count() or 1
    assert m.inner_ticks >= 3, "the busy child hardly ran; the host is too loaded to tell"
    most_seen = m.load * CLOCK_TICKS * cores * m.outer_s
    least_seen = m.load * CLOCK_TICKS * cores * m.inner_s
    assert most_seen >= m.inner_ticks - 1, (m, most_seen)
    others = 0.1 * CLOCK_TICKS * cores * m.inner_s  # a little of other processes; never the whole host's
    assert least_seen <= m.outer_ticks + 1 + others, (m, least_seen)


def test_board_processes_by_environment(board: Path, busy_child: subprocess.Popen[bytes]) -> None:
    meter = BoardLoadMeter(board, os.environ["HIL_SIM_BOARD"])
    assert meter.source == "board-env"
    assert_counts_the_child(measure_against(meter, busy_child.pid))
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
        assert_counts_the_child(measure_against(meter, child))
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
