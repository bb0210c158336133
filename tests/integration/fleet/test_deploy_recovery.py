"""hil deploy on simulated vehicles, when things go wrong: rollback, a tampered engine, a killed controller, a
damaged model stopped on the rack. Real sshd, real ansible-runner, real ONNX Runtime on the vehicles.
(Its own file so that pytest-xdist can run it beside test_deploy.py: each file is one worker's job.)"""

from __future__ import annotations

import json

from tests.conftest import needs_sshd
from tests.integration.fleet.conftest import Fleet, World, current_engine

pytestmark = [needs_sshd]


def by_name(payload: dict) -> dict[str, dict]:
    return {v["name"]: v for v in payload["vehicles"]}


def test_rollback_then_a_tampered_engine_is_refused_before_the_switch(world: World, fleet: Fleet) -> None:
    code, payload = world.deploy(fleet.inventory, "--waves", "100%")
    assert code == 0, payload
    res = world.hil("deploy", "rollback", payload["deployment_id"], "--db", str(world.db), "--json")
    assert res.returncode == 0, res.stderr
    assert {v["state"] for v in json.loads(res.stdout)["vehicles"]} == {"rolled_back"}
    assert all(current_engine(world, n) is None for n in fleet.names)
    # the engines stay on the vehicles; tamper with one
    victim = fleet.orin[0]
    sha = by_name(payload)[victim]["engine_sha256"]
    engine = next(
        p for p in (world.fleet_dir(victim) / "engines" / sha).iterdir() if p.name.startswith("engine")
    )
    data = bytearray(engine.read_bytes())
    data[-10] ^= 0xFF
    engine.write_bytes(bytes(data))
    code, again = world.deploy(fleet.inventory)
    assert code == 1 and again["status"] == "halted"
    refused = by_name(again)[victim]
    assert refused["state"] == "failed" and refused["reason"].startswith("verify failed")
    assert current_engine(world, victim) is None


def test_controller_killed_mid_wave_resumes_without_redoing_work(world: World, fleet: Fleet) -> None:
    import signal
    import sqlite3
    import subprocess
    import sys
    import time

    argv = [
        sys.executable, "-m", "hil.cli.main", "deploy", str(world.model), "--precision", "fp16",
        "--to", "fleet", "-i", str(fleet.inventory), "--rack", str(world.rack), "--clip", str(world.clip),
        "--db", str(world.db), "--waves", "1,100%", "--json",
    ]  # fmt: skip
    proc = subprocess.Popen(
        argv, cwd=world.folder, env=world.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deployment = None
    deadline = time.monotonic() + 400
    while time.monotonic() < deadline and proc.poll() is None:
        with sqlite3.connect(world.db) as db:
            row = db.execute(
                "SELECT a.deployment_id FROM audit a JOIN deployments d ON d.id = a.deployment_id "
                "WHERE d.status = 'running' AND a.step = 'self-test' ORDER BY a.id DESC LIMIT 1"
            ).fetchone()
        if row:
            deployment = row[0]
            break
        time.sleep(0.2)
    assert deployment is not None and proc.poll() is None, "the deployment never reached a self-test"
    proc.send_signal(signal.SIGKILL)  # mid-wave: self-tests are running, nothing is switched by hil yet
    proc.communicate()
    res = world.hil("deploy", "resume", deployment, "--db", str(world.db), "--json")
    assert res.returncode == 0, res.stdout + res.stderr
    payload = json.loads(res.stdout)
    assert payload["status"] == "done"
    assert {v["state"] for v in payload["vehicles"]} == {"switched"}
    audit = json.loads(world.hil("deploy", "status", deployment, "--db", str(world.db), "--json").stdout)[
        "audit"
    ]
    for name in fleet.names:
        mine = [a for a in audit if a["vehicle"] == name]
        for task in ("transfer", "transfer checksum", "switch", "gate"):
            done = [a for a in mine if a["evidence"]["task"] == task and a["outcome"] != "skipped"]
            assert len(done) == 1, (name, task, done)  # every step audited, none done twice
        assert current_engine(world, name) == by_name(payload)[name]["engine_sha256"]


def test_build_tests_on_the_rack_first_and_a_damaged_model_never_reaches_a_vehicle(
    world: World, fleet: Fleet
) -> None:
    import onnx
    from onnx import numpy_helper

    from tests.fixtures.tiny import make_model

    # Weights perturbed: the model still loads and runs everywhere, but ranks the classes wrongly.
    damaged = make_model(world.folder / "damaged.onnx", side=20)
    proto = onnx.load(damaged)
    for init in proto.graph.initializer:
        init.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(init)[..., ::-1].copy(), init.name))
    onnx.save(proto, damaged)
    args = ["--precision", "fp16", "--to", "fleet", "-i", str(fleet.inventory), "--rack", str(world.rack)]
    args += ["--clip", str(world.clip), "--db", str(world.db), "--build", "--waves", "100%"]
    res = world.hil("deploy", str(damaged), *args)
    assert res.returncode == 2, res.stdout + res.stderr
    assert "fail" in res.stderr and "no passing HIL result" in res.stderr
    assert not any(world.fleet_dir(n).exists() for n in fleet.names)

    good = make_model(world.folder / "fresh.onnx", side=24)
    res = world.hil("deploy", str(good), *args, "--json")
    assert res.returncode == 0, res.stdout + res.stderr
    assert {v["state"] for v in json.loads(res.stdout)["vehicles"]} == {"switched"}
