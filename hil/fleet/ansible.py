"""The ansible-runner driver: run one of hil's playbooks on a set of vehicles and report per-host steps.

hil writes the vehicles as an Ansible inventory (JSON) into the call's private data dir, with each vehicle's
connection variables (the inventory's, plus the key and known_hosts hil uses: strict host keys) and the
per-host variables the playbook reads; `limit` restricts the call to one wave. Every runner event of a host
(`runner_on_ok`, `_failed`, `_unreachable`, `_skipped`) becomes a `TaskEvent` handed to `on_event` as it
arrives, so the store and the display follow the rollout live.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ansible_runner

from hil.errors import InfraError
from hil.inventory.spec import BoardSpec
from hil.thirdparty import SUBPROCESS_ENV

PLAYBOOKS = Path(__file__).resolve().parents[2] / "playbooks"
OUTCOMES = {
    "runner_on_ok": "ok",
    "runner_on_failed": "failed",
    "runner_on_unreachable": "unreachable",
    "runner_on_skipped": "skipped",
}


@dataclass(frozen=True)
class TaskEvent:
    host: str
    task: str
    outcome: str  # ok, changed, failed, unreachable, skipped
    stdout: str
    stderr: str
    message: str
    start: str
    end: str


@dataclass
class HostOutcome:
    name: str
    state: str = "ok"  # ok, failed, unreachable
    failed_task: str | None = None
    message: str = ""
    events: list[TaskEvent] = field(default_factory=list)

    def stdout(self, task: str) -> str:
        for event in self.events:
            if event.task == task:
                return event.stdout
        return ""

    def ran(self, task: str) -> TaskEvent | None:
        for event in self.events:
            if event.task == task and event.outcome != "skipped":
                return event
        return None


@dataclass(frozen=True)
class Connection:
    """How ansible reaches the vehicles: hil's key for simulated ones, its known_hosts, timeouts, forks."""

    known_hosts: Path
    sim_key: Path | None
    forks: int = 20
    timeout_s: int = 1800  # the whole playbook call; a vehicle that hangs fails the call, not the controller


def task_event(event: dict[str, Any]) -> TaskEvent | None:
    """A runner event about one host's task, or None for any other event (play start, stats, ...)."""
    kind = event.get("event", "")
    if kind not in OUTCOMES:
        return None
    data = event.get("event_data", {})
    res = data.get("res") or {}
    for result in res.get("results") or []:  # a loop: the first failed item says what went wrong
        if isinstance(result, dict) and result.get("failed"):
            res = {**res, "msg": result.get("msg", ""), "stderr": result.get("stderr", "")}
            break
    outcome = OUTCOMES[kind]
    if outcome == "ok" and res.get("changed"):
        outcome = "changed"
    return TaskEvent(
        host=str(data.get("host", "")),
        task=str(data.get("task", "")).lower(),  # playbooks name tasks "Transfer" (ansible-lint name[casing])
        outcome=outcome,
        stdout=str(res.get("stdout", "")),
        stderr=str(res.get("stderr", "")),
        message=str(res.get("msg", "")),
        start=str(data.get("start", "")),
        end=str(data.get("end", "")),
    )


def recorded_events(private_dir: Path) -> list[TaskEvent]:
    """The task events ansible-runner's callback wrote under `private_dir` (artifacts/*/job_events), in
    order: what a call did even when the controller that started it died before hearing of it."""
    found: list[tuple[int, TaskEvent]] = []
    for path in private_dir.glob("artifacts/*/job_events/*.json"):
        try:
            event = json.loads(path.read_text())
        except (OSError, ValueError):
            continue  # a file the callback was still writing when it was stopped
        task = task_event(event)
        if task is not None:
            found.append((int(event.get("counter", 0)), task))
    return [task for _, task in sorted(found, key=lambda pair: pair[0])]


def host_vars(board: BoardSpec, conn: Connection) -> dict[str, Any]:
    key = board.ansible_ssh_private_key_file or (conn.sim_key if board.sim else None)
    known = board.known_hosts or conn.known_hosts
    common = f"-o UserKnownHostsFile={known} -o StrictHostKeyChecking=yes -o BatchMode=yes"
    extra = board.ansible_vars.get("ansible_ssh_common_args")
    out: dict[str, Any] = {
        **board.ansible_vars,
        "ansible_host": board.ansible_host,
        "ansible_port": board.ansible_port,
        "ansible_user": board.ansible_user,
        "ansible_ssh_common_args": f"{common} {extra}" if extra else common,
        "ansible_ssh_timeout": int(board.connect_timeout_s),
    }
    if key is not None:
        out["ansible_ssh_private_key_file"] = str(key)
    if board.sim:
        out["ansible_python_interpreter"] = "python3"  # the simulated board's python3 is hil's interpreter
    return out


def run_playbook(
    private_dir: Path,
    playbook: str,
    hosts: dict[str, dict[str, Any]],
    limit: list[str],
    conn: Connection,
    on_event: Callable[[TaskEvent], None] | None = None,
) -> dict[str, HostOutcome]:
    """Run playbooks/<playbook> on `limit` (names in `hosts`: name -> all its variables)."""
    private_dir.mkdir(parents=True, exist_ok=True)
    inv_dir = private_dir / "inventory"
    inv_dir.mkdir(exist_ok=True)
    (inv_dir / "hosts.json").write_text(json.dumps({"all": {"hosts": hosts}}, indent=1, default=str))
    outcomes = {name: HostOutcome(name) for name in limit}

    def handler(event: dict[str, Any]) -> bool:
        task = task_event(event)
        if task is None:
            return True
        outcome = task.outcome
        slot = outcomes.setdefault(task.host, HostOutcome(task.host))
        slot.events.append(task)
        if outcome in ("failed", "unreachable") and slot.state == "ok":
            slot.state = outcome
            slot.failed_task = task.task
            said = (task.stderr.strip().splitlines() or [task.message or task.stdout])[-1:]
            slot.message = said[0][:500] if said else outcome
        if on_event is not None:
            on_event(task)
        return True

    # ansible-playbook from hil's own environment, whether or not its bin folder is on PATH.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    runner = ansible_runner.run(
        private_data_dir=str(private_dir),
        playbook=str(PLAYBOOKS / playbook),
        inventory=str(inv_dir / "hosts.json"),
        limit=",".join(limit),
        event_handler=handler,
        quiet=True,
        forks=conn.forks,
        timeout=conn.timeout_s,
        envvars={
            "ANSIBLE_HOST_KEY_CHECKING": "True",
            "ANSIBLE_PIPELINING": "True",
            "ANSIBLE_RETRY_FILES_ENABLED": "False",
            "ANSIBLE_LOCAL_TEMP": str(private_dir / "tmp"),
            "ANSIBLE_NOCOLOR": "True",
            "ANSIBLE_INVENTORY_ENABLED": "yaml",
            "PATH": path,
            **SUBPROCESS_ENV,  # no third-party deprecation warnings in what a user sees
        },
    )
    if runner.status == "timeout":
        for slot in outcomes.values():
            if slot.state == "ok":
                slot.state, slot.message = "failed", f"the playbook call exceeded {conn.timeout_s} s"
    elif runner.status not in ("successful", "failed"):
        tail = runner.stdout.read()[-2000:] if runner.stdout else ""
        raise InfraError(f"ansible-runner ended {runner.status} running {playbook}", hint=tail.strip()[-300:])
    return outcomes
