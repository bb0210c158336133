"""A vehicle as the rollout sees it: facts from the facts playbook, the per-host variables of the deploy and
rollback playbooks, and what a playbook's events say happened to it."""

from __future__ import annotations

import json
import posixpath
import shlex
from dataclasses import dataclass
from typing import Any

from hil.fleet.ansible import HostOutcome
from hil.fleet.artifacts import EngineArtifact
from hil.fleet.selftest import selftest_script
from hil.harness import HARNESS_DIR, bundle_sha256
from hil.inventory.spec import BoardSpec
from hil.platforms import get
from hil.platforms.base import COMMON_FACTS, facts_script, parse_facts

FLEET_DIR = "hil-fleet"  # the vehicle's fleet folder, in its login home
GATE_SCRIPT = "hil_gate.py"
# Playbook task -> audited step.
STEPS = {
    "facts": "facts",
    "present": "transfer",
    "transfer": "transfer",
    "transfer checksum": "transfer",
    "manifest": "verify",
    "verify": "verify",
    "unpack": "verify",
    "harness": "self-test",
    "selftest new": "self-test",
    "selftest incumbent": "self-test",
    "gate": "gate",
    "switch": "switch",
    "rollback": "rollback",
}
FLEET_FACTS = {
    "current": f'readlink "$HOME/{FLEET_DIR}/current"',
    "previous": f'readlink "$HOME/{FLEET_DIR}/previous"',
    "current_engine_file": f'cd "$HOME/{FLEET_DIR}/current" && ls -1 | grep "^engine" | head -n 1',
}


@dataclass(frozen=True)
class Gates:
    tolerance: float = 1e-3  # largest relative difference of an output from the reference output
    latency_margin: float = 0.5  # new p99 may exceed the incumbent's by this share ...
    latency_slack_ms: float = 2.0  # ... plus this (timer noise of sub-millisecond models)
    agreement_margin: float = 0.05  # predictions may disagree with the incumbent's on this share of frames
    min_evaluated: int = 1  # a wave passes only with at least this many vehicles evaluated ...
    max_failures: int = 0  # ... and at most this many failed


def facts_vars(board: BoardSpec) -> dict[str, Any]:
    commands = {**COMMON_FACTS, **get(board.platform).fact_commands(), **FLEET_FACTS}
    return {"hil_facts_script": facts_script(commands) + "; true"}  # a missing fact is empty, not an error


def read_facts(board: BoardSpec, outcome: HostOutcome) -> dict[str, str]:
    return get(board.platform).normalise_facts(parse_facts(outcome.stdout("facts")))


def engine_sha_of(link: str) -> str | None:
    """`engines/<sha>` (what `current` points at) -> sha."""
    return link.removeprefix("engines/") if link.startswith("engines/") else None


def deploy_vars(
    board: BoardSpec,
    facts: dict[str, str],
    art: EngineArtifact,
    public_key: str,
    clip: str,
    input_spec: dict[str, Any] | None,
    gates: Gates,
) -> dict[str, Any]:
    platform = get(board.platform)
    home = facts.get("home") or "."
    hil_dir = posixpath.join(home, FLEET_DIR)
    harness_dir = posixpath.join(hil_dir, "harness", bundle_sha256()[:16])
    clip_dst = posixpath.join("selftest", posixpath.basename(clip))
    sim = bool(facts.get("sim_board")) or board.sim
    # A folder engine travels as a tar and is unpacked beside it (playbooks/deploy.yml, task "unpack").
    engine = posixpath.join(hil_dir, "engines", art.sha256, art.manifest.engine_file.removesuffix(".tar"))

    def test(engine_path: str, tag: str) -> tuple[str, str]:
        rundir = posixpath.join(hil_dir, "selftest", tag)
        return selftest_script(
            platform,
            hil_dir,
            harness_dir,
            engine_path,
            posixpath.join(hil_dir, clip_dst),
            rundir,
            input_spec,
            sim,
        )

    new_cmd, new_out = test(engine, f"{art.sha256[:16]}-new")
    old_cmd, old_out = "", ""
    current, old_file = facts.get("current", ""), facts.get("current_engine_file", "")
    if engine_sha_of(current) and old_file and engine_sha_of(current) != art.sha256:
        old_cmd, old_out = test(posixpath.join(hil_dir, current, old_file), f"{art.sha256[:16]}-incumbent")
    gate = [
        "python3", posixpath.join(hil_dir, "bin", GATE_SCRIPT),
        "--manifest", posixpath.join(hil_dir, "engines", art.sha256, "manifest.json"),
        "--new", new_out,
        "--tolerance", str(gates.tolerance),
        "--latency-budget-ms", str(board.budgets.latency_ms),
        "--latency-margin", str(gates.latency_margin),
        "--latency-slack-ms", str(gates.latency_slack_ms),
        "--agreement-margin", str(gates.agreement_margin),
    ]  # fmt: skip
    if old_out:
        gate += ["--old", old_out]
    return {
        "hil_dir": hil_dir,
        "hil_sha": art.sha256,
        "hil_engine_name": art.manifest.engine_file,
        "hil_engine_src": str(art.engine),
        "hil_manifest_src": str(art.manifest_path),
        "hil_signature_src": str(art.signature_path),
        "hil_pubkey_src": public_key,
        "hil_gate_src": str(_gate_source()),
        "hil_harness_src": str(HARNESS_DIR),
        "hil_harness_dir": harness_dir,
        "hil_clip_src": clip,
        "hil_clip_dst": clip_dst,
        "hil_selftest_new": new_cmd,
        "hil_selftest_old": old_cmd,
        "hil_gate_cmd": shlex.join(gate),
    }


def rollback_vars(facts_home: str, engine_from: str | None, engine_to: str) -> dict[str, Any]:
    return {
        "hil_dir": posixpath.join(facts_home, FLEET_DIR),
        "hil_rollback_to": f"engines/{engine_from}" if engine_from else "",
        "hil_rollback_from": f"engines/{engine_to}",
    }


def _gate_source() -> Any:
    from hil.fleet.ansible import PLAYBOOKS

    return PLAYBOOKS / "files" / GATE_SCRIPT


def gate_verdict(outcome: HostOutcome) -> dict[str, Any] | None:
    for line in outcome.stdout("gate").splitlines():
        if line.startswith("HIL_GATE "):
            verdict: dict[str, Any] = json.loads(line.removeprefix("HIL_GATE "))
            return verdict
    return None


def deploy_result(outcome: HostOutcome, sha: str) -> tuple[str, str]:
    """(state, reason) of a vehicle after the deploy playbook."""
    if outcome.state == "unreachable":
        return "deferred", f"unreachable: {outcome.message}"
    if outcome.state == "failed":
        task = outcome.failed_task or "?"
        if task == "gate":
            verdict = gate_verdict(outcome) or {}
            failed = [k for k, ok in (verdict.get("checks") or {}).items() if not ok]
            return "failed", f"gate failed ({', '.join(failed) or 'no verdict'}): {json.dumps(verdict)}"
        return "failed", f"{STEPS.get(task, task)} failed ({task}): {outcome.message}"
    if outcome.ran("switch") is not None:
        return "switched", ""
    if outcome.stdout("current").strip() == f"engines/{sha}":
        return "switched", "already on this engine (delivered before)"
    return "failed", "the playbook ended without switching"
