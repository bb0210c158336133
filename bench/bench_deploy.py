"""Deploy wall time to simulated vehicles, and where it goes: `hil deploy` vs a plain-Ansible rollout.

    .venv/bin/python bench/bench_deploy.py [--quick] [--vehicles N] [--json]

Sets up, in a private folder (own HIL_HOME, random loopback endpoints, nothing shared): a simulated rack
(Orin + QCS8255) with HIL evidence for a tiny model at fp16 and a signing key. Then, for each fleet size
(12 and 48 vehicles; 4 with --quick; N with --vehicles N), a fleet of simulated vehicles, Orin and QCS8255
alternating (TIDL artifact folders are not rolled out yet), and on the same vehicles:
  anchor    one `ansible-playbook` run with the same waves (`serial: [1, "10%", "100%"]`) that copies the
            same engine file to every vehicle, checks its sha256 there and points a symlink at it (no
            evidence, no signature, no self-test, no gates), with the same forks and SSH settings;
  hil       `hil deploy MODEL --precision fp16 --to fleet` (default waves 1,10%,100% per platform): engine
            fetched from the rack with its reference outputs, facts, per wave transfer + checksum +
            signature check + self-test of the new engine + gate + atomic switch.
The anchor runs second, with its own SSH ControlPersist folder, so it finds none of hil's connections
open. Where hil's time went comes from the deployment itself (hil.fleet.timings: the
controller's stages, each ansible-runner call, every task's start and end on every vehicle).
Then, on the smallest fleet, the gates are shown to still work: the Orin canary's runtime gives wrong
outputs (`hil sim fault ... runtime=wrong_outputs`, a bad engine as the vehicle runs it) and the rollout
must halt at the canary wave with no vehicle on the new engine (the benchmark fails otherwise).

    .venv/bin/python bench/run.py deploy --json --quick
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from benchlib import Result, figure, main  # noqa: E402

ANCHOR = """- name: Plain rollout
  hosts: all
  gather_facts: false
  serial: [1, "10%", "100%"]
  max_fail_percentage: 0
  tasks:
    - ansible.builtin.file: {path: "plain-deploy/engines", state: directory, mode: "0755"}
    - ansible.builtin.copy: {src: "{{ engine }}", dest: "plain-deploy/engines/{{ sha }}", mode: "0644"}
    - ansible.builtin.shell: 'cd plain-deploy/engines && echo "{{ sha }}  {{ sha }}" | sha256sum -c --quiet'
    - ansible.builtin.file: {src: "engines/{{ sha }}", dest: "plain-deploy/current", state: link}
"""
STAGE_LABELS = {
    "facts": "facts",
    "transfer": "transfer",
    "verify": "verify",
    "self-test": "self-test",
    "gate": "gate",
    "switch": "switch",
}


class Bench:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.env = {**os.environ, "HIL_HOME": str(tmp / ".hil")}
        self.env.pop("HIL_INVENTORY", None)
        self.env.pop("HIL_DB", None)

    def hil(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "hil.cli.main", *args]
        res = subprocess.run(argv, cwd=self.tmp, env=self.env, capture_output=True, text=True, timeout=3600)
        if check and res.returncode != 0:
            raise RuntimeError(f"hil {' '.join(args)} failed: {res.stdout[-500:]}{res.stderr[-1500:]}")
        return res

    def board_root(self, name: str) -> Path:
        return self.tmp / ".hil" / "sim" / "boards" / name / "root"


def _deploy_args(b: Bench, model: Path, fleet: Path, rack: Path, clip: Path, db: str) -> list[str]:
    return [
        "deploy", str(model), "--precision", "fp16", "--to", "fleet", "-i", str(fleet),
        "--rack", str(rack), "--clip", str(clip), "--db", db, "--json",
    ]  # fmt: skip


def _anchor(b: Bench, fleet: Path, engine: Path, sha: str, forks: int) -> float:
    from hil.fleet.ansible import Connection, host_vars
    from hil.inventory import load_inventory
    from hil.platforms import names

    inv = load_inventory(fleet, names())
    conn = Connection(b.tmp / ".hil" / "known_hosts", b.tmp / ".hil" / "sim" / "client_ed25519")
    hosts = {n: {**host_vars(bd, conn), "engine": str(engine), "sha": sha} for n, bd in inv.boards.items()}
    (b.tmp / "plain.json").write_text(json.dumps({"all": {"hosts": hosts}}))
    (b.tmp / "plain.yml").write_text(ANCHOR)
    control = Path(tempfile.mkdtemp(prefix="cp", dir="/tmp"))  # a socket path must be short
    playbook = str(Path(sys.executable).parent / "ansible-playbook")
    argv = [playbook, "-i", str(b.tmp / "plain.json"), "-f", str(forks), str(b.tmp / "plain.yml")]
    penv = {
        **b.env,
        "ANSIBLE_HOST_KEY_CHECKING": "True",
        "ANSIBLE_PIPELINING": "True",
        "ANSIBLE_SSH_CONTROL_PATH_DIR": str(control),
    }
    try:
        start = time.perf_counter()
        plain = subprocess.run(argv, env=penv, capture_output=True, text=True, timeout=3600)
        took = time.perf_counter() - start
    finally:
        shutil.rmtree(control, ignore_errors=True)
    if plain.returncode != 0:
        raise RuntimeError(f"ansible-playbook failed: {plain.stdout[-1500:]}")
    return took


def _stage_note(count: int, hil_s: float, stages: dict[str, Any]) -> str:
    parts = [f"acquisition {stages['controller'].get('acquire', 0.0):.1f} s"]
    for call in stages["calls"]:
        what = "facts" if call["playbook"] == "facts.yml" else f"{call['playbook']} ({call['wave']})"
        parts.append(
            f"{what}: {call['hosts']} vehicles, {call['wall_s']:.1f} s wall "
            f"(ansible start {call['startup_s']:.1f} s)"
        )
    for wave, row in stages["waves"].items():
        summed = ", ".join(f"{k} {v:.1f}" for k, v in row["stages"].items())
        parts.append(f"wave {wave} span {row['span_s']:.1f} s (summed over its vehicles: {summed})")
    per = ", ".join(
        f"{STAGE_LABELS[k]} {v['mean_s']:.2f}" for k, v in stages["stages"].items() if k in STAGE_LABELS
    )
    return f"{count} vehicles, hil {hil_s:.1f} s: " + "; ".join(parts) + f"; mean per vehicle (s): {per}"


def _size(b: Bench, count: int, rack: Path, model: Path, clip: Path, db: str, gates: bool) -> dict[str, Any]:
    from hil.fleet.timings import breakdown
    from tests.integration.fleet.conftest import write_inventory

    # names of their own per fleet size: a simulated vehicle keeps its host key by name, not by port
    vehicles = {f"veh{count}-{i:02d}": ("orin" if i % 2 else "qcs8255") for i in range(1, count + 1)}
    fleet = write_inventory(b.tmp / f"fleet-{count}.yaml", "fleet", vehicles)
    b.hil("sim", "up", "-i", str(fleet))
    out: dict[str, Any] = {"vehicles": count}
    try:
        # every size's deployment fetches its engines from the rack: none kept from an earlier size
        shutil.rmtree(b.tmp / ".hil" / "artifacts", ignore_errors=True)
        start = time.perf_counter()
        payload = json.loads(b.hil(*_deploy_args(b, model, fleet, rack, clip, db)).stdout)
        out["hil_s"] = time.perf_counter() - start
        out["status"] = payload["status"]
        out["switched"] = sum(v["state"] == "switched" for v in payload["vehicles"])
        waves = {v["name"]: v["wave"] for v in payload["vehicles"] if v["wave"] is not None}
        folder = b.tmp / ".hil" / "deployments" / payload["deployment_id"]
        out["stages"] = breakdown(folder, waves)
        engine = next((b.tmp / ".hil" / "artifacts" / "engines").glob("*/engine*"))
        out["anchor_s"] = _anchor(b, fleet, engine, engine.parent.name, forks=20)
        if gates:
            out["gate_check"] = _gate_check(b, fleet, vehicles, model, rack, clip, db)
    finally:
        b.hil("sim", "down", "-i", str(fleet), check=False)
    return out


def _gate_check(
    b: Bench, fleet: Path, vehicles: dict[str, str], model: Path, rack: Path, clip: Path, db: str
) -> dict[str, Any]:
    """A bad engine stops at the canary: wrong outputs on the Orin canary, on vehicles as fresh as before."""
    user = os.environ.get("USER") or "root"
    for name in vehicles:
        shutil.rmtree(b.board_root(name) / "home" / user / "hil-fleet", ignore_errors=True)
    canary = next(n for n, p in vehicles.items() if p == "orin")
    (b.board_root(canary) / "sim-faults.json").write_text(json.dumps({"runtime": "wrong_outputs"}))
    try:
        res = b.hil(*_deploy_args(b, model, fleet, rack, clip, db), check=False)
    finally:
        (b.board_root(canary) / "sim-faults.json").unlink(missing_ok=True)
    payload = json.loads(res.stdout)
    states = {v["name"]: v["state"] for v in payload["vehicles"]}
    reason = next(v["reason"] for v in payload["vehicles"] if v["name"] == canary)
    switched = [n for n, s in states.items() if s == "switched"]
    halted = res.returncode == 1 and payload["status"] == "halted"
    if not (halted and states[canary] == "failed" and "reference" in reason and not switched):
        why = f"{res.returncode} {payload['status']} {states}"
        raise RuntimeError(f"the gates let a bad engine through: {why}")
    return {
        "canary": canary,
        "status": payload["status"],
        "exit": res.returncode,
        "canary_reason": reason[:200],
        "states": {s: sum(v == s for v in states.values()) for s in sorted(set(states.values()))},
    }


def run(quick: bool = False, vehicles: int | None = None) -> Result:
    from tests.fixtures.tiny import make_clip, make_model
    from tests.integration.fleet.conftest import write_inventory

    sizes = [vehicles] if vehicles else ([4] if quick else [12, 48])
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="hil-bench-deploy-") as tmp_name:
        b = Bench(Path(tmp_name))
        rack = write_inventory(b.tmp / "rack.yaml", "rack", {"orin-rig": "orin", "qcs-rig": "qcs8255"})
        model, clip, db = (
            make_model(b.tmp / "m.onnx"),
            make_clip(b.tmp / "c.mp4", frames=40),
            str(b.tmp / "h.sqlite"),
        )
        b.hil("run", "-i", str(rack), "--model", str(model), "--clip", str(clip), "--precision", "fp16",
              "--db", db)  # fmt: skip
        b.hil("keys", "init")
        try:
            runs = [_size(b, n, rack, model, clip, db, gates=n == min(sizes)) for n in sizes]
        finally:
            b.hil("sim", "down", "-i", str(rack), check=False)
    figures = [
        figure(
            f"`hil deploy` to {r['vehicles']} vehicles, wall time",
            "s",
            r["hil_s"],
            'ansible-playbook, serial [1, "10%", "100%"], copy + sha256 + symlink',
            r["anchor_s"],
        )
        for r in runs
    ]
    if len(runs) > 1:
        first, last = runs[0], runs[-1]
        figures.append(
            figure(
                f"wall time growth from {first['vehicles']} to {last['vehicles']} vehicles",
                "x",
                last["hil_s"] / first["hil_s"],
                "the anchor's growth",
                last["anchor_s"] / first["anchor_s"],
            )
        )
    gate = next(r["gate_check"] for r in runs if "gate_check" in r)
    return {
        "name": "deploy",
        "title": "Deploy: `hil deploy` vs a plain-Ansible rollout with the same waves",
        "figures": figures,
        "notes": [
            *(
                f"{r['vehicles']} simulated vehicles (Orin and QCS8255 alternating) on loopback, one tiny "
                f"model at fp16: {r['switched']} of {r['vehicles']} switched, status {r['status']}"
                for r in runs
            ),
            "hil: engine and reference outputs fetched from the rack, facts, default waves (1, 10%, 100% "
            "per platform), per wave transfer + checksum + signature check + self-test of the new engine "
            "+ gate + atomic switch; anchor: one `ansible-playbook -f 20` run, serial [1, 10%, 100%], "
            "copying the same engine file to every vehicle, checking its sha256 there and pointing a "
            "symlink at it (no evidence, no signature, no self-test, no gates)",
            *(_stage_note(r["vehicles"], r["hil_s"], r["stages"]) for r in runs),
            f"gates: with wrong outputs on the Orin canary ({gate['canary']}) the rollout ended "
            f"{gate['status']} (exit {gate['exit']}), vehicles {gate['states']}; canary: "
            f"{gate['canary_reason'].split(':', 1)[0]}",
            f"machine load (1-minute average, `uptime`) {load_before:.1f} at the start and "
            f"{os.getloadavg()[0]:.1f} at the end, on {os.cpu_count()} CPUs: other work on the machine "
            "slows hil and the anchor alike, but not by the same factor",
            *(["quick mode: 4 vehicles (the full run deploys to 12 and to 48)"] if quick else []),
        ],
        "details": {"runs": runs},
    }


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--vehicles", type=int, help="one fleet of N vehicles (default 12, 48)")


if __name__ == "__main__":
    main(run, __doc__, options, quick_help="4 vehicles instead of 12 and 48")
