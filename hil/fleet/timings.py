"""Where a deployment's time went, from what the deployment itself recorded: the controller's stages
(`stages.jsonl`: engine acquisition), each ansible-runner call's wall time (`hil-call.json`) and every task's
start and end on every vehicle (the runner's job_events, the same events the audit is made of).

Stages of a vehicle: facts, transfer (the engine and the small files beside it), verify (signature, engine
hash, unpack), self-test (new engine and incumbent rounds), gate, switch, rollback. A call's `startup` is the
time from starting ansible-runner to its first task event (ansible-playbook's own start, inventory, the
first connections), `teardown` from the last task's end to the call's return.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hil.fleet.recovery import CALL_FILE, STAGES_FILE

STAGES = ("facts", "transfer", "verify", "self-test", "gate", "switch", "rollback")
STAGE_OF_TASK = {
    "facts": "facts",
    "current": "transfer",
    "folders": "transfer",
    "prepare": "transfer",
    "present": "transfer",
    "transfer": "transfer",
    "transfer checksum": "transfer",
    "manifest": "transfer",
    "harness": "transfer",
    "bundle": "transfer",
    "verify": "verify",
    "unpack": "verify",
    "selftest new": "self-test",
    "selftest incumbent": "self-test",
    "gate": "gate",
    "switch": "switch",
    "rollback": "rollback",
}
HOST_EVENTS = ("runner_on_ok", "runner_on_failed", "runner_on_unreachable", "runner_on_skipped")


def _epoch(stamp: str) -> float | None:
    """ansible-runner's event times are ISO 8601 in UTC without a zone."""
    if not stamp:
        return None
    parsed = datetime.fromisoformat(stamp)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def _task_spans(call_dir: Path) -> list[tuple[str, str, float, float]]:
    """(host, task, start, end) of every host task event of one ansible-runner call."""
    spans = []
    for path in call_dir.glob("artifacts/*/job_events/*.json"):
        try:
            event = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if event.get("event") not in HOST_EVENTS:
            continue
        data = event.get("event_data", {})
        start, end = _epoch(str(data.get("start", ""))), _epoch(str(data.get("end", "")))
        if start is not None and end is not None:
            spans.append((str(data.get("host", "")), str(data.get("task", "")).lower(), start, end))
    return spans


def breakdown(folder: Path, waves: dict[str, int] | None = None) -> dict[str, Any]:
    """The time of the deployment whose folder (HIL_HOME/deployments/ID) is `folder`, in seconds:
    `controller` stages, every call (`calls`), per vehicle and stage (`vehicles`), per stage over all
    vehicles (`stages`: summed, mean per vehicle, the longest vehicle), per task summed over all
    vehicles (`tasks`) and, given each vehicle's wave,
    per wave (`waves`: its wall span from first to last task of the deploy playbook, and its stages
    summed over its vehicles)."""
    controller: dict[str, float] = {}
    stages_file = folder / STAGES_FILE
    if stages_file.exists():
        for line in stages_file.read_text().splitlines():
            if line.strip():
                row = json.loads(line)
                controller[row["stage"]] = controller.get(row["stage"], 0.0) + row["ended"] - row["started"]
    calls = []
    wave_rows: dict[int, dict[str, Any]] = {}
    tasks: dict[str, float] = {}
    vehicles: dict[str, dict[str, float]] = defaultdict(lambda: dict.fromkeys(STAGES, 0.0))
    for call_file in sorted(folder.glob(f"*/{CALL_FILE}")):
        info = json.loads(call_file.read_text())
        spans = _task_spans(call_file.parent)
        started, ended = info.get("started"), info.get("ended")
        first = min((s[2] for s in spans), default=None)
        last = max((s[3] for s in spans), default=None)
        call = {
            "playbook": info.get("playbook"),
            "wave": info.get("wave"),
            "hosts": info.get("hosts"),
            "wall_s": None if started is None or ended is None else ended - started,
            "startup_s": None if started is None or first is None else first - started,
            "teardown_s": None if ended is None or last is None else ended - last,
            "tasks": len(spans),
        }
        calls.append(call)
        for host, task, start, end in spans:
            stage = STAGE_OF_TASK.get(task)
            tasks[task] = tasks.get(task, 0.0) + end - start
            if stage is not None:
                vehicles[host][stage] += end - start
            wave = (waves or {}).get(host)
            if wave is not None and info.get("playbook") == "deploy.yml":
                row = wave_rows.setdefault(wave, {"first": start, "last": end, "stages": {}})
                row["first"], row["last"] = min(row["first"], start), max(row["last"], end)
                if stage is not None:
                    row["stages"][stage] = row["stages"].get(stage, 0.0) + end - start
    per_stage = {}
    for stage in STAGES:
        values = [v[stage] for v in vehicles.values() if v[stage] > 0]
        if values:
            per_stage[stage] = {
                "sum_s": sum(values),
                "mean_s": sum(values) / len(values),
                "max_s": max(values),
                "vehicles": len(values),
            }
    return {
        "controller": controller,
        "calls": calls,
        "stages": per_stage,
        "tasks": tasks,
        "waves": {
            w: {"span_s": r["last"] - r["first"], "stages": r["stages"]} for w, r in sorted(wave_rows.items())
        },
        "vehicles": {host: {k: v for k, v in row.items() if v > 0} for host, row in sorted(vehicles.items())},
    }
