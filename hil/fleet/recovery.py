"""After a controller died mid-wave: the ansible-playbook it started lives on (its own session), and the
steps it did after the controller died are known only from ansible-runner's job_events files."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from pathlib import Path
from typing import Any

from hil.fleet.ansible import TaskEvent, recorded_events

# beside each ansible-runner call's private data dir: {"playbook", "wave", "hosts", "started", "ended"}
CALL_FILE = "hil-call.json"
# in a deployment's folder: controller-side stages, {"stage", "started", "ended"}
STAGES_FILE = "stages.jsonl"


def wait_for_orphans(folder: Path, timeout_s: float) -> None:
    """Wait for processes still working in `folder`; SIGKILL them after `timeout_s`."""
    marker = str(folder).encode()
    deadline = time.monotonic() + timeout_s
    while True:
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and int(entry.name) != os.getpid():
                try:
                    if marker in (entry / "cmdline").read_bytes():
                        pids.append(int(entry.name))
                except OSError:
                    continue
        if not pids:
            return
        if time.monotonic() > deadline:
            for pid in pids:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            return
        time.sleep(0.5)


def unaudited_events(folder: Path, audit: list[dict[str, Any]]) -> list[tuple[TaskEvent, Any]]:
    """(event, wave) of every call under `folder` that the audit rows do not hold yet."""
    seen = {(a["vehicle"], a["evidence"].get("task"), a["started_at"]) for a in audit}
    missing = []
    for call in sorted(folder.glob(f"*/{CALL_FILE}")):
        wave = json.loads(call.read_text()).get("wave")
        for event in recorded_events(call.parent):
            if (event.host, event.task, event.start) not in seen:
                missing.append((event, wave))
    return missing
