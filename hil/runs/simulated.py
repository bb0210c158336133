"""Start the simulated boards a run needs, and stop again those this run started."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from hil.inventory.spec import BoardSpec
from hil.sim.rack import SimBoard, SimRack


def sim_board(board: BoardSpec) -> SimBoard:
    return SimBoard(
        board.name, board.platform, board.ansible_host, board.ansible_port, dict(board.sim_toolchain)
    )


@contextmanager
def simulated_boards(rack: SimRack, boards: list[BoardSpec]) -> Iterator[list[str]]:
    """Yields the names of the boards this context started (those already up are left running)."""
    started: list[str] = []
    try:
        for board in boards:
            if board.sim and rack.start(sim_board(board)):
                started.append(board.name)
        yield started
    finally:
        for name in started:
            rack.stop(name)
