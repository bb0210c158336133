"""The rollout controller: plan a deployment, run it wave by wave through ansible-runner, gate each wave,
roll back a failed wave, and keep every vehicle's state and every step in the store so that a deployment
can be resumed (deferred vehicles, or a controller that died mid-wave) and rolled back later.

Vehicle states: pending (planned, not yet delivered; reported as `untouched`), switched, rolled_back,
deferred, incompatible, failed, untouched, unchanged. Deployment status: running, done, unchanged,
nothing_delivered, partial, halted, dry_run, rolled_back (see `final_status`).
"""

from __future__ import annotations

import getpass
import json
import secrets
import socket
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hil.errors import ConfigError
from hil.fleet.acquire import Acquired, ModelFiles, acquire, key_of, toolchain_of
from hil.fleet.ansible import Connection, HostOutcome, TaskEvent, host_vars, run_playbook
from hil.fleet.artifacts import ArtifactStore, EngineArtifact
from hil.fleet.keys import SigningKey, load_key
from hil.fleet.plan import assign_waves, parse_waves
from hil.fleet.recovery import CALL_FILE, STAGES_FILE, unaudited_events, wait_for_orphans
from hil.fleet.vehicle import (
    STEPS,
    Gates,
    deploy_result,
    deploy_vars,
    engine_sha_of,
    facts_vars,
    gate_verdict,
    measure_bundle,
    read_facts,
    rollback_vars,
)
from hil.inventory import Inventory, load_inventory, select_boards
from hil.inventory.spec import BoardSpec
from hil.platforms import names
from hil.sim.rack import SimRack
from hil.store.db import Store
from hil.store.deployments import Deployments

JSON_STATES = {"pending": "untouched"}
Progress = Callable[[TaskEvent], None]


@dataclass(frozen=True)
class DeployRequest:
    model: ModelFiles
    target: str  # a group of the inventory, or one vehicle's name
    waves: str
    inventory: Path
    rack_inventory: Path
    clip: Path  # the reference clip of self-tests
    dry_run: bool = False
    gates: Gates = field(default_factory=Gates)


@dataclass
class DeploymentResult:
    deployment_id: str
    status: str
    vehicles: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return {
            "deployment_id": self.deployment_id,
            "status": self.status,
            "vehicles": [
                {
                    "name": v["vehicle"],
                    "platform": v["platform"],
                    "wave": v["wave"],
                    "state": JSON_STATES.get(v["state"], v["state"]),
                    "engine_sha256": v["engine_to"],
                    "reason": v["reason"] or "",
                    "engine_from": v["engine_from"],
                }
                for v in self.vehicles
            ],
        }


def operator() -> str:
    return f"{getpass.getuser()}@{socket.gethostname()}"


class Rollout:
    def __init__(self, store: Store, home: Path, rack: SimRack, conn: Connection, progress: Progress | None):
        self.store, self.home, self.rack, self.conn, self.progress = store, home, rack, conn, progress
        self.deps = Deployments(store)
        self.artifacts = ArtifactStore(home)

    # -- planning ---------------------------------------------------------------------------------------

    def start(self, req: DeployRequest) -> DeploymentResult:
        inv = load_inventory(req.inventory, names())
        vehicles = _select(inv, req.target)
        terms = parse_waves(req.waves)
        evidence = self.deps.evidence(req.model.sha256, req.model.precision)
        if not evidence:
            raise ConfigError(
                f"no passing HIL result for {req.model.name} ({req.model.path.name}, "
                f"sha256 {req.model.sha256[:12]}) at {req.model.precision} in {self.store.path}",
                hint=f"test it first: hil run --model {req.model.path} --precision {req.model.precision}; "
                "or let hil deploy build and test it on the rack with --build",
            )
        key = load_key(self.home)
        rack_inv = load_inventory(req.rack_inventory, names())
        deployment_id = time.strftime("d%Y%m%d-%H%M%S-") + secrets.token_hex(2)
        self.deps.create(
            {
                "id": deployment_id,
                "status": "dry_run" if req.dry_run else "running",
                "model": req.model.name,
                "model_sha256": req.model.sha256,
                "precision": req.model.precision,
                "target": req.target,
                "waves": req.waves,
                "inventory": str(req.inventory),
                "operator": operator(),
                "options": {
                    "gates": req.gates.__dict__,
                    "clip": str(req.clip.resolve()),
                    "input_spec": req.model.input_spec,
                    "rack_inventory": str(req.rack_inventory),
                    "public_key": str(key.public),
                },
            }
        )
        # The engines come from the rack while the vehicles' facts come from the fleet: two sets of machines,
        # so the two run at once (the facts call is an ansible-playbook process; acquisition waits on rigs).
        with ThreadPoolExecutor(max_workers=1) as pool:
            acquiring = pool.submit(self._acquire, req, evidence, rack_inv, key)
            facts = self._facts(deployment_id, vehicles, "planning")
            try:
                acquired, acquire_start, acquire_end = acquiring.result()
            except BaseException:
                self.deps.set_status(deployment_id, "halted", finished=True)
                raise
        self._stage(deployment_id, "acquire", acquire_start, acquire_end)
        eligible: dict[str, list[str]] = {}
        for board in vehicles:
            row = self._classify(board, facts[board.name], acquired)
            if row["state"] == "pending":
                eligible.setdefault(board.platform, []).append(board.name)
            self.deps.set_vehicle(deployment_id, row)
        waves = assign_waves(eligible, terms)
        for name, wave in waves.items():
            reason = f"dry run: would be delivered in wave {wave}" if req.dry_run else ""
            state = "untouched" if req.dry_run else "pending"
            self.deps.set_vehicle(
                deployment_id, {"vehicle": name, "wave": wave, "state": state, "reason": reason}
            )
        if req.dry_run:
            return self.result(deployment_id)
        return self._execute(deployment_id)

    def _acquire(
        self, req: DeployRequest, evidence: list[dict[str, Any]], rack_inv: Inventory, key: SigningKey
    ) -> tuple[Acquired, float, float]:
        """The engines with their reference outputs (hil.fleet.acquire), checked against the key; with the
        start and end of the work (epoch seconds)."""
        start = time.time()
        acquired = acquire(
            evidence, req.model, rack_inv, self.rack, self.conn.known_hosts, req.clip, self.artifacts, key
        )
        for art in acquired.engines.values():
            self.artifacts.check(art, key.public_pem())
        return acquired, start, time.time()

    def _facts(self, deployment_id: str, boards: list[BoardSpec], wave: str) -> dict[str, HostOutcome]:
        hosts = {b.name: {**host_vars(b, self.conn), **facts_vars(b)} for b in boards}
        return self._call(deployment_id, "facts.yml", hosts, {}, wave)

    def _classify(self, board: BoardSpec, outcome: HostOutcome, acquired: Acquired) -> dict[str, Any]:
        row: dict[str, Any] = {"vehicle": board.name, "platform": board.platform, "wave": None}
        if outcome.state == "unreachable":
            row.update(state="deferred", reason=f"unreachable: {outcome.message}", facts={})
            return row
        if outcome.state != "ok":
            row.update(state="failed", reason=f"facts failed: {outcome.message}", facts={})
            return row
        facts = read_facts(board, outcome)
        toolchain = toolchain_of(board.platform, facts)
        gkey = key_of(board.platform, toolchain)
        current = engine_sha_of(facts.get("current", ""))
        row.update(facts=facts, engine_from=current)
        art = acquired.engines.get(gkey)
        described = ", ".join(f"{k}={v}" for k, v in toolchain.items())
        if art is None:
            have = sorted(
                {", ".join(f"{k}={v}" for k, v in t) for p, t in acquired.engines if p == board.platform}
            )
            why = acquired.problems.get(gkey) or (
                f"no passing HIL result for {board.platform} with {described}"
                + (f" (evidence exists for: {'; '.join(have)})" if have else "")
            )
            row.update(state="incompatible", reason=why)
            return row
        row["engine_to"] = art.sha256
        free_mb = float(facts.get("disk_free_mb") or 0)
        if free_mb * 1024 * 1024 < 2 * art.manifest.engine_bytes:
            row.update(state="incompatible", reason=f"free disk {free_mb:.0f} MB < twice the engine's size")
        elif current == art.sha256:
            row.update(state="unchanged", reason="already runs this engine")
        else:
            row.update(state="pending", reason="")
        return row

    # -- execution --------------------------------------------------------------------------------------

    def _execute(self, deployment_id: str) -> DeploymentResult:
        info = self._deployment(deployment_id)
        gates = Gates(**info["options"]["gates"])
        inv = load_inventory(Path(info["inventory"]), names())
        rows = self.deps.vehicles(deployment_id)
        for wave in sorted({r["wave"] for r in rows if r["state"] == "pending"}):
            wave_rows = [r for r in rows if r["wave"] == wave and r["state"] == "pending"]
            hosts = {}
            for r in wave_rows:
                board = inv.boards[r["vehicle"]]
                art = self._artifact(r["engine_to"])
                hosts[board.name] = {
                    **host_vars(board, self.conn),
                    **deploy_vars(
                        board,
                        r["facts"],
                        art,
                        info["options"]["public_key"],
                        info["options"]["clip"],
                        info["options"]["input_spec"],
                        gates,
                        measure_bundle(self.home / "artifacts" / "gate"),
                    ),
                }
            outcomes = self._call(
                deployment_id, "deploy.yml", hosts, {r["vehicle"]: r for r in wave_rows}, wave
            )
            evaluated = failures = 0
            for r in wave_rows:
                outcome = outcomes[r["vehicle"]]
                state, reason = deploy_result(outcome, r["engine_to"])
                evaluated += state == "switched" or gate_verdict(outcome) is not None
                failures += state == "failed"
                self.deps.set_vehicle(
                    deployment_id, {"vehicle": r["vehicle"], "state": state, "reason": reason}
                )
            if evaluated < gates.min_evaluated or failures > gates.max_failures:
                why = (
                    f"wave {wave} failed: {failures} failed (at most {gates.max_failures} allowed), "
                    f"{evaluated} evaluated (at least {gates.min_evaluated} needed)"
                )
                self._halt(deployment_id, wave, why)
                return self.result(deployment_id)
            rows = self.deps.vehicles(deployment_id)
        rows = self.deps.vehicles(deployment_id)
        status = final_status([r["state"] for r in rows])
        self.deps.set_status(deployment_id, status, finished=status != "partial")
        return self.result(deployment_id)

    def _halt(self, deployment_id: str, wave: int, why: str) -> None:
        rows = self.deps.vehicles(deployment_id)
        switched = [r for r in rows if r["wave"] == wave and r["state"] == "switched"]
        if switched:
            self._rollback(deployment_id, switched, f"{why}; rolled back")
        for r in rows:
            if r["state"] == "pending":
                self.deps.set_vehicle(
                    deployment_id, {"vehicle": r["vehicle"], "state": "untouched", "reason": why}
                )
        self.deps.set_status(deployment_id, "halted", finished=True)

    def _rollback(self, deployment_id: str, rows: list[dict[str, Any]], reason: str) -> list[str]:
        """Return `rows`' vehicles to their engine before the deployment; names of those rolled back."""
        info = self._deployment(deployment_id)
        inv = load_inventory(Path(info["inventory"]), names())
        hosts = {
            r["vehicle"]: {
                **host_vars(inv.boards[r["vehicle"]], self.conn),
                **rollback_vars(r["facts"].get("home", "."), r["engine_from"], r["engine_to"]),
            }
            for r in rows
        }
        outcomes = self._call(
            deployment_id, "rollback.yml", hosts, {r["vehicle"]: r for r in rows}, "rollback"
        )
        done = []
        for r in rows:
            outcome = outcomes[r["vehicle"]]
            if outcome.state == "ok":
                self.deps.set_vehicle(
                    deployment_id, {"vehicle": r["vehicle"], "state": "rolled_back", "reason": reason}
                )
                done.append(r["vehicle"])
            else:
                note = f"{r['reason'] or ''}; rollback not done: {outcome.message}".lstrip("; ")
                self.deps.set_vehicle(deployment_id, {"vehicle": r["vehicle"], "reason": note})
        return done

    def _call(
        self,
        deployment_id: str,
        playbook: str,
        hosts: dict[str, dict[str, Any]],
        rows: dict[str, Any],
        wave: Any,
    ) -> dict[str, HostOutcome]:
        def on_event(event: TaskEvent) -> None:
            self._record(deployment_id, event, rows, wave)
            if self.progress is not None:
                self.progress(event)

        folder = (
            self.home / "deployments" / deployment_id / f"{time.time_ns()}-{playbook.removesuffix('.yml')}"
        )
        folder.mkdir(parents=True, exist_ok=True)
        call = {"playbook": playbook, "wave": wave, "hosts": len(hosts), "started": time.time()}
        (folder / CALL_FILE).write_text(json.dumps(call))
        outcomes = run_playbook(folder, playbook, hosts, list(hosts), self.conn, on_event)
        (folder / CALL_FILE).write_text(json.dumps({**call, "ended": time.time()}))
        return outcomes

    def _stage(self, deployment_id: str, stage: str, start: float, end: float) -> None:
        """A controller-side stage's wall time (epoch seconds) in the deployment's folder, beside the
        ansible-runner calls (their own timings: hil-call.json and the runner's job_events)."""
        folder = self.home / "deployments" / deployment_id
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / STAGES_FILE).open("a") as fh:
            fh.write(json.dumps({"stage": stage, "started": start, "ended": end}) + "\n")

    def _record(self, deployment_id: str, event: TaskEvent, rows: dict[str, Any], wave: Any) -> None:
        if event.outcome == "skipped" or event.task not in STEPS:
            return  # a skipped task did nothing; `current` is the playbook's own precondition read
        r = rows.get(event.host) or {}
        evidence: dict[str, Any] = {"task": event.task, "wave": wave}
        if event.task == "gate" or event.outcome in ("failed", "unreachable"):
            evidence.update(stdout=event.stdout[-4000:], stderr=event.stderr[-2000:], msg=event.message)
        self.deps.record_step(
            {
                "deployment_id": deployment_id,
                "vehicle": event.host,
                "step": STEPS[event.task],
                "engine_from": r.get("engine_from"),
                "engine_to": r.get("engine_to"),
                "started_at": event.start,
                "ended_at": event.end,
                "outcome": event.outcome,
                "evidence": evidence,
                "operator": operator(),
            }
        )

    def _recover(self, deployment_id: str) -> None:
        """After a controller died: let its ansible-playbook finish (it outlives the controller), then
        audit the steps that call did which the dead controller never heard of (from the runner's
        job_events files), so the audit is complete and finished vehicles are not redone."""
        folder = self.home / "deployments" / deployment_id
        wait_for_orphans(folder, self.conn.timeout_s)
        rows = {r["vehicle"]: r for r in self.deps.vehicles(deployment_id)}
        for event, wave in unaudited_events(folder, self.deps.audit(deployment_id)):
            self._record(deployment_id, event, rows, wave)

    # -- resume, rollback, reads ------------------------------------------------------------------------

    def resume(self, deployment_id: str) -> DeploymentResult:
        info = self._deployment(deployment_id)
        if info["status"] in ("halted", "rolled_back", "dry_run"):
            raise ConfigError(
                f"deployment {deployment_id} is {info['status']}: nothing to resume",
                hint="start a new deployment with hil deploy MODEL ...",
            )
        self._recover(deployment_id)
        self.deps.set_status(deployment_id, "running", finished=False)
        inv = load_inventory(Path(info["inventory"]), names())
        rows = self.deps.vehicles(deployment_id)
        deferred = [r for r in rows if r["state"] == "deferred"]
        if deferred:
            boards = [inv.boards[r["vehicle"]] for r in deferred]
            outcomes = self._facts(deployment_id, boards, "resume")
            engines = {
                key_of(a.manifest.platform, a.manifest.toolchain): a
                for a in self.artifacts.all()
                if (a.manifest.model_sha256, a.manifest.precision)
                == (info["model_sha256"], info["precision"])
            }
            catch_up = max([r["wave"] or 0 for r in rows] + [0]) + 1
            for board in boards:
                row = self._classify(board, outcomes[board.name], Acquired(engines, {}))
                if row["state"] == "pending":
                    row["wave"] = catch_up
                self.deps.set_vehicle(deployment_id, row)
        return self._execute(deployment_id)

    def rollback(self, deployment_id: str) -> DeploymentResult:
        self._deployment(deployment_id)
        switched = [r for r in self.deps.vehicles(deployment_id) if r["state"] == "switched"]
        if switched:
            self._rollback(deployment_id, switched, "rolled back by hil deploy rollback")
        left = [r for r in self.deps.vehicles(deployment_id) if r["state"] == "switched"]
        self.deps.set_status(deployment_id, "partial" if left else "rolled_back", finished=not left)
        return self.result(deployment_id)

    def result(self, deployment_id: str) -> DeploymentResult:
        info = self._deployment(deployment_id)
        return DeploymentResult(deployment_id, info["status"], self.deps.vehicles(deployment_id))

    def _deployment(self, deployment_id: str) -> dict[str, Any]:
        info = self.deps.get(deployment_id)
        if info is None:
            raise ConfigError(
                f"no deployment {deployment_id!r} in {self.store.path}", hint="see: hil deploy list"
            )
        info["options"] = json.loads(info["options"]) if isinstance(info["options"], str) else info["options"]
        return info

    def _artifact(self, sha: str) -> EngineArtifact:
        for art in self.artifacts.all():
            if art.sha256 == sha:
                return art
        raise ConfigError(
            f"engine {sha[:12]} is no longer in {self.artifacts.root}", hint="hil deploy --build"
        )


def final_status(states: list[str]) -> str:
    """The status of a deployment whose waves all passed, from its vehicles' states.

    `partial`: vehicles still wait (deferred). `done`: at least one vehicle switched. `unchanged`: none
    switched, but some already ran the engine (the fleet was in the wanted state). `nothing_delivered`: no
    vehicle switched and none runs the engine (every one incompatible, or failed within the allowed
    failures): a nightly job must not take that for a rollout.
    """
    if any(s in ("deferred", "pending") for s in states):
        return "partial"
    if "switched" in states:
        return "done"
    if "unchanged" in states:
        return "unchanged"
    return "nothing_delivered"


def _select(inv: Inventory, target: str) -> list[BoardSpec]:
    if target in inv.groups:
        return select_boards(inv, [f"group={target}"])
    if target in inv.boards:
        return [inv.boards[target]]
    raise ConfigError(
        f"--to {target!r} is neither a group nor a vehicle of {inv.path}",
        hint="groups: " + ", ".join(sorted(inv.groups)),
    )
