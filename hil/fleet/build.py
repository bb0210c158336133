"""`hil deploy --build`: build and test the engine on the rack first, the way `hil run` does, so that the
deployment has HIL evidence. Kept behind this one function: the run is about to become a library object."""

from __future__ import annotations

import secrets
import time
from pathlib import Path

from hil.inventory import load_inventory
from hil.platforms import get, names
from hil.records import JobResult, overall_status
from hil.runs.job import plan_jobs
from hil.runs.scheduler import run_suite
from hil.runs.simulated import simulated_boards
from hil.runs.suite import build_suite
from hil.runs.target import target_for
from hil.sim.rack import SimRack
from hil.store.db import Store


def test_on_rack(
    store: Store,
    rack: SimRack,
    known_hosts: Path,
    inventory: Path,
    model: Path,
    precision: str,
    clips: list[Path],
) -> tuple[str, list[JobResult]]:
    """Run `model` at `precision` on every rack board that supports it; results go into the store."""
    inv = load_inventory(inventory, names())
    boards = [b for b in inv.boards.values() if precision in get(b.platform).precisions]
    suite = build_suite([model], clips, [precision])
    targets = [target_for(b, known_hosts, rack.client_key) for b in boards]
    targets = [t for t in targets if plan_jobs(t, suite)]
    run_id = time.strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)
    store.begin_run(run_id, inventory=str(inventory), argv=["deploy", "--build", str(model), precision])

    def record(event: object) -> None:
        from hil.runs.events import JobDone

        if isinstance(event, JobDone):
            store.record_job(run_id, event.result, event.samples, event.logs)
            if event.facts:
                store.record_board(event.result.board, event.result.platform, event.facts)

    with simulated_boards(rack, [b for b in boards if any(t.name == b.name for t in targets)]):
        results = run_suite(targets, suite, record)
    store.finish_run(run_id, overall_status(results))
    return run_id, results
