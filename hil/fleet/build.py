"""`hil deploy --build`: build and test the engine on the rack first, the way `hil run` does (the same
library Run: leases, health, recovery, stored results), so that the deployment has HIL evidence."""

from __future__ import annotations

from pathlib import Path

from hil.inventory import load_inventory
from hil.platforms import get, names
from hil.records import JobResult
from hil.runs.job import plan_jobs
from hil.runs.run import Run
from hil.runs.suite import build_suite
from hil.runs.target import target_for
from hil.sim.rack import SimRack
from hil.store.db import Store


def prove_on_rack(
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
    used = {t.name for t in targets}
    the_run = Run(
        targets, suite, store, rack=rack, sim_specs=[b for b in boards if b.sim and b.name in used],
        inventory=str(inventory), argv=["deploy", "--build", str(model), precision],
    )  # fmt: skip
    outcome = the_run.execute()
    return the_run.run_id, outcome.summary.results
