"""A vehicle as the rollout sees it: facts from the facts playbook, the per-host variables of the deploy and
rollback playbooks, and what a playbook's events say happened to it."""

from __future__ import annotations

import hashlib
import json
import posixpath
import shlex
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hil.fleet.ansible import HostOutcome
from hil.fleet.artifacts import EngineArtifact
from hil.fleet.bundle import delivery_bundle
from hil.fleet.selftest import selftest_request, selftest_script
from hil.harness import bundle as harness_bundle
from hil.harness import bundle_sha256
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
    # Latency non-inferiority, judged as `hil history` judges a rack result (hil.measure.regression): the
    # new engine's warm frames against the incumbent's, measured in alternating rounds on the vehicle.
    latency_margin: float = 0.5  # slower only when the median is at least this share higher ...
    latency_slack_ms: float = 0.05  # ... and at least this much (ms) higher ...
    alpha: float = 0.01  # ... and Mann-Whitney U says so at this level
    rounds: int = 3  # self-test rounds of each engine (20 warm frames each) ...
    remeasure_rounds: int = 2  # ... and at most this many more while the verdict is inconclusive
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
    measure_zip: Path,
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
        clip_path = posixpath.join(hil_dir, clip_dst)
        request = selftest_request(engine_path, clip_path, rundir, harness_dir, input_spec)
        return selftest_script(platform, hil_dir, request, sim), request.out

    def rounds(first: int, count: int) -> list[tuple[str, str, str, str]]:
        """(new cmd, new frames, incumbent cmd, incumbent frames) of self-test rounds first.. first+count-1:
        new and incumbent alternate, so both see the same host load."""
        out = []
        for i in range(first, first + count):
            new_cmd, new_out = test(engine, f"{art.sha256[:16]}-new-{i}")
            old_cmd, old_out = test(old_engine, f"{art.sha256[:16]}-incumbent-{i}")
            out.append((new_cmd, new_out, old_cmd, old_out))
        return out

    new_cmd, new_out = test(engine, f"{art.sha256[:16]}-new-1")
    current, old_file = facts.get("current", ""), facts.get("current_engine_file", "")
    gate = [
        "python3", posixpath.join(hil_dir, "bin", GATE_SCRIPT),
        "--manifest", posixpath.join(hil_dir, "engines", art.sha256, "manifest.json"),
        "--new", new_out,
        "--tolerance", str(gates.tolerance),
        "--latency-budget-ms", str(board.budgets.latency_ms),
        "--latency-margin", str(gates.latency_margin),
        "--latency-slack-ms", str(gates.latency_slack_ms),
        "--alpha", str(gates.alpha),
        "--agreement-margin", str(gates.agreement_margin),
    ]  # fmt: skip
    old_cmd = ""
    if engine_sha_of(current) and old_file and engine_sha_of(current) != art.sha256:
        old_engine = posixpath.join(hil_dir, current, old_file)
        measured = rounds(1, gates.rounds)
        # round 1's new half is the "selftest new" task (its outputs are checked against the reference);
        # the "selftest incumbent" task runs the incumbent of round 1, then the further rounds, alternating.
        old_cmd = " && ".join([measured[0][2], *(c for r in measured[1:] for c in (r[0], r[2]))])
        for r in measured[1:]:
            gate += ["--new", r[1]]
        for r in measured:
            gate += ["--old", r[3]]
        more = rounds(gates.rounds + 1, gates.remeasure_rounds)
        gate += ["--more", json.dumps([list(r) for r in more])]
    harness_rel = posixpath.relpath(harness_dir, hil_dir)
    small = {
        f"engines/{art.sha256}/manifest.json": art.manifest_path,
        f"engines/{art.sha256}/manifest.sig": art.signature_path,
        "manifest_ed25519.pub.pem": Path(public_key),
        f"bin/{GATE_SCRIPT}": _gate_source(),
        "bin/hil_measure.zip": measure_zip,
        clip_dst: Path(clip),
        **{posixpath.join(harness_rel, rel): local for local, rel in harness_bundle()},
    }
    bundle = delivery_bundle(measure_zip.parent.parent / "bundles", small)
    return {
        "hil_dir": hil_dir,
        "hil_sha": art.sha256,
        "hil_engine_name": art.manifest.engine_file,
        "hil_engine_src": str(art.engine),
        "hil_bundle_src": str(bundle),
        "hil_bundle_name": bundle.name,
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


MEASURE_MODULES = ("significance.py", "regression.py")


def measure_bundle(folder: Path) -> Path:
    """A zip of hil.measure's significance and regression modules (both Python 3.8, standard library) that
    the gate imports on the vehicle (zipimport): the same latency rule as `hil history`, one file to copy.
    Written once per content into `folder` with fixed timestamps, so an unchanged bundle is not copied
    again."""
    from hil.measure import regression

    src = Path(regression.__file__).parent
    files = {
        "hil/__init__.py": b"",
        "hil/measure/__init__.py": b"",
        **{f"hil/measure/{name}": (src / name).read_bytes() for name in MEASURE_MODULES},
    }
    digest = hashlib.sha256(b"".join(k.encode() + v for k, v in sorted(files.items()))).hexdigest()[:16]
    path = folder / f"hil_measure-{digest}.zip"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in sorted(files.items()):
                zf.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data)
        tmp.replace(path)
    return path


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
