"""Deploy wall time to simulated vehicles: `hil deploy` vs. a plain `ansible-playbook` copy-and-symlink.

    .venv/bin/python bench/bench_deploy.py [--quick] [--json]

Sets up, in a private folder (own HIL_HOME, random loopback endpoints, nothing shared): a simulated rack
(Orin + QCS8255) with HIL evidence for a tiny model at fp16, a signing key, and a fleet of 12 simulated
vehicles (4 with --quick), Orin and QCS8255 alternating (TIDL artifact folders are not rolled out yet).
Then measures, on the same vehicles:
  hil       `hil deploy MODEL --precision fp16 --to fleet` (default waves 1,10%,100%): engine fetched from
            the rack with its reference outputs, facts, per wave transfer + checksum + signature check +
            self-test of new engine + gate + atomic switch;
  baseline  one `ansible-playbook` run that copies the same engine file to every vehicle and points a
            symlink at it (no evidence, no verification, no gates, no waves).
Reports both wall times and their ratio (hil / baseline), measured in the same run.

    .venv/bin/python bench/run.py deploy --json --quick
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from benchlib import Result, figure, main  # noqa: E402

BASELINE = """- hosts: all
  gather_facts: false
  tasks:
    - ansible.builtin.file: {path: "plain-deploy", state: directory, mode: "0755"}
    - ansible.builtin.copy: {src: "{{ engine }}", dest: "plain-deploy/engine.bin", mode: "0644"}
    - ansible.builtin.file: {src: "engine.bin", dest: "plain-deploy/current", state: link}
"""


def run(quick: bool = False) -> Result:
    from hil.fleet.ansible import Connection, host_vars
    from hil.inventory import load_inventory
    from hil.platforms import names
    from tests.fixtures.tiny import make_clip, make_model
    from tests.integration.fleet.conftest import write_inventory

    count = 4 if quick else 12
    with tempfile.TemporaryDirectory(prefix="hil-bench-deploy-") as tmp_name:
        tmp = Path(tmp_name)
        env = {**os.environ, "HIL_HOME": str(tmp / ".hil")}
        env.pop("HIL_INVENTORY", None)

        def hil(*args: str) -> subprocess.CompletedProcess[str]:
            argv = [sys.executable, "-m", "hil.cli.main", *args]
            res = subprocess.run(argv, cwd=tmp, env=env, capture_output=True, text=True, timeout=1800)
            if res.returncode != 0:
                raise RuntimeError(f"hil {' '.join(args)} failed: {res.stdout[-500:]}{res.stderr[-1500:]}")
            return res

        rack = write_inventory(tmp / "rack.yaml", "rack", {"orin-rig": "orin", "qcs-rig": "qcs8255"})
        vehicles = {f"veh-{i:02d}": ("orin" if i % 2 else "qcs8255") for i in range(1, count + 1)}
        fleet = write_inventory(tmp / "fleet.yaml", "fleet", vehicles)
        model, clip, db = (
            make_model(tmp / "m.onnx"),
            make_clip(tmp / "c.mp4", frames=40),
            str(tmp / "h.sqlite"),
        )
        hil(
            "run",
            "-i",
            str(rack),
            "--model",
            str(model),
            "--clip",
            str(clip),
            "--precision",
            "fp16",
            "--db",
            db,
        )
        hil("keys", "init")
        hil("sim", "up", "-i", str(fleet))
        try:
            start = time.perf_counter()
            res = hil(
                "deploy", str(model), "--precision", "fp16", "--to", "fleet", "-i", str(fleet),
                "--rack", str(rack), "--clip", str(clip), "--db", db, "--json",
            )  # fmt: skip
            hil_s = time.perf_counter() - start
            payload = json.loads(res.stdout)
            switched = sum(v["state"] == "switched" for v in payload["vehicles"])
            engine = next((tmp / ".hil" / "artifacts" / "engines").glob("*/engine*"))
            # The baseline: the same vehicles, the same connection settings, one plain playbook run.
            inv = load_inventory(fleet, names())
            conn = Connection(tmp / ".hil" / "known_hosts", tmp / ".hil" / "sim" / "client_ed25519")
            hosts = {n: {**host_vars(b, conn), "engine": str(engine)} for n, b in inv.boards.items()}
            (tmp / "plain.json").write_text(json.dumps({"all": {"hosts": hosts}}))
            (tmp / "plain.yml").write_text(BASELINE)
            playbook = str(Path(sys.executable).parent / "ansible-playbook")
            argv = [playbook, "-i", str(tmp / "plain.json"), "-f", "20", str(tmp / "plain.yml")]
            penv = {**env, "ANSIBLE_HOST_KEY_CHECKING": "True", "ANSIBLE_PIPELINING": "True"}
            start = time.perf_counter()
            plain = subprocess.run(argv, env=penv, capture_output=True, text=True, timeout=1800)
            base_s = time.perf_counter() - start
            if plain.returncode != 0:
                raise RuntimeError(f"ansible-playbook failed: {plain.stdout[-1500:]}")
        finally:
            hil("sim", "down", "-i", str(fleet))
            hil("sim", "down", "-i", str(rack))
    mix = f"{count} simulated vehicles (Orin and QCS8255 alternating)"
    return {
        "name": "deploy",
        "title": "Deploy: `hil deploy` vs a plain `ansible-playbook` copy and symlink",
        "figures": [
            figure(
                f"`hil deploy` to {count} vehicles, wall time",
                "s",
                hil_s,
                "ansible-playbook copy + symlink",
                base_s,
            ),
        ],
        "notes": [
            f"{mix} on loopback, one tiny model at fp16; {switched} of {count} vehicles switched",
            "hil: engine and reference outputs fetched from the rack, facts, default waves (1, 10%, 100%), "
            "per wave transfer + checksum + signature check + self-test of the new engine + gate + atomic "
            "switch; anchor: one `ansible-playbook -f 20` run copying the same engine file to every vehicle "
            "and pointing a symlink at it (no evidence, no verification, no gates, no waves)",
            *(["quick mode: 4 vehicles (the full run deploys to 12)"] if quick else []),
        ],
        "details": {
            "vehicles": count,
            "switched": switched,
            "hil_deploy_s": round(hil_s, 2),
            "ansible_copy_symlink_s": round(base_s, 2),
        },
    }


if __name__ == "__main__":
    main(run, __doc__, quick_help="4 vehicles instead of 12")
