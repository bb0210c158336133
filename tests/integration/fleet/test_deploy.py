"""hil deploy on simulated vehicles: real sshd, real ansible-runner, real ONNX Runtime on the vehicles."""

from __future__ import annotations

import json
import os
from pathlib import Path

from hil.fleet.timings import breakdown
from hil.harness import bundle, bundle_sha256
from tests.conftest import free_endpoint, needs_sshd
from tests.integration.fleet.conftest import Fleet, World, current_engine, sha256

pytestmark = [needs_sshd]


def by_name(payload: dict) -> dict[str, dict]:
    return {v["name"]: v for v in payload["vehicles"]}


def test_deploy_switches_every_vehicle_and_a_second_run_changes_nothing(world: World, fleet: Fleet) -> None:
    code, payload = world.deploy(fleet.inventory)
    assert code == 0, payload
    assert payload["status"] == "done"
    vehicles = by_name(payload)
    assert {v["state"] for v in vehicles.values()} == {"switched"}
    # one canary per platform first, then the rest
    assert vehicles[fleet.orin[0]]["wave"] == 1 and vehicles[fleet.qcs[0]]["wave"] == 1
    assert vehicles[fleet.orin[1]]["wave"] == 2
    for name, v in vehicles.items():
        sha = v["engine_sha256"]
        assert current_engine(world, name) == sha
        engine_dir = world.fleet_dir(name) / "engines" / sha
        engine = next(p for p in engine_dir.iterdir() if p.name.startswith("engine"))
        assert sha256(engine) == sha  # the bytes on the vehicle are the ones the rack tested
        assert not any((world.fleet_dir(name) / "incoming").iterdir())  # no temporary file left behind
    assert vehicles[fleet.orin[0]]["engine_sha256"] != vehicles[fleet.qcs[0]]["engine_sha256"]
    # the harness arrived as `hil run` pushes it (the shared decoders too), in the folder named by its hash
    harness = world.fleet_dir(fleet.orin[0]) / "harness" / bundle_sha256()[:16]
    assert {rel for _, rel in bundle()} <= {str(p.relative_to(harness)) for p in harness.rglob("*.py")}
    # where the time went, from the deployment's own records: every stage of every vehicle, each call
    took = breakdown(Path(world.env["HIL_HOME"]) / "deployments" / payload["deployment_id"])
    assert took["controller"]["acquire"] > 0
    assert [(c["playbook"], c["wave"]) for c in took["calls"]] == [
        ("facts.yml", "planning"), ("deploy.yml", 1), ("deploy.yml", 2)
    ]  # fmt: skip
    assert all(c["wall_s"] > c["startup_s"] > 0 for c in took["calls"])
    for name in fleet.names:
        assert set(took["vehicles"][name]) == {"facts", "transfer", "verify", "self-test", "gate", "switch"}

    code2, again = world.deploy(fleet.inventory)
    assert code2 == 0 and again["status"] == "unchanged"  # nothing delivered, the fleet already had it
    assert {v["state"] for v in again["vehicles"]} == {"unchanged"}
    history = world.hil("deploy", "history", "--vehicle", fleet.orin[1], "--db", str(world.db), "--json")
    ours = {payload["deployment_id"], again["deployment_id"]}  # the vehicles outlive this test
    rows = [r for r in json.loads(history.stdout) if r["deployment_id"] in ours]
    assert [r["deployment_id"] for r in rows if r["step"] == "switch"] == [payload["deployment_id"]]
    transfers = [r for r in rows if r["step"] == "transfer" and r["outcome"] == "changed"]
    assert transfers and {r["deployment_id"] for r in transfers} == {payload["deployment_id"]}
    assert all("@" in r["operator"] and r["ended_at"] for r in rows)


def test_model_without_hil_evidence_is_refused_before_any_transfer(world: World, fleet: Fleet) -> None:
    from tests.fixtures.tiny import make_model

    other = make_model(world.folder / "untested.onnx", side=24)
    res = world.hil(
        "deploy", str(other), "--precision", "fp16", "--to", "fleet", "-i", str(fleet.inventory),
        "--rack", str(world.rack), "--clip", str(world.clip), "--db", str(world.db),
    )  # fmt: skip
    assert res.returncode == 2, res.stdout + res.stderr
    assert "no passing HIL result" in res.stderr and "--build" in res.stderr
    assert not any(world.fleet_dir(n).exists() for n in fleet.names)


def test_wrong_outputs_on_one_platform_halts_at_the_canary(world: World, fleet: Fleet) -> None:
    for name in fleet.orin:
        (world.board_root(name) / "sim-faults.json").write_text(json.dumps({"runtime": "wrong_outputs"}))
    code, payload = world.deploy(fleet.inventory)
    assert code == 1, payload
    assert payload["status"] == "halted"
    vehicles = by_name(payload)
    canary = vehicles[fleet.orin[0]]
    assert canary["state"] == "failed" and "reference" in canary["reason"]
    # the other platform's canary passed its own gate, but its wave failed: it went back
    assert vehicles[fleet.qcs[0]]["state"] == "rolled_back"
    assert current_engine(world, fleet.qcs[0]) is None
    assert vehicles[fleet.orin[1]]["state"] == "untouched"
    assert not (world.fleet_dir(fleet.orin[1])).exists()
    assert all(current_engine(world, n) is None for n in fleet.names)
    status = world.hil("deploy", "status", payload["deployment_id"], "--db", str(world.db), "--json")
    audit = json.loads(status.stdout)["audit"]
    gate = [a for a in audit if a["vehicle"] == fleet.orin[0] and a["step"] == "gate"]
    assert gate and gate[0]["outcome"] == "failed" and "max_output_error" in gate[0]["evidence"]["stdout"]


def test_a_deployment_where_every_vehicle_is_incompatible_says_nothing_was_delivered(
    world: World, tmp_path: Path
) -> None:
    # QCS8255 vehicles on an older SNPE release: the rack has evidence for its own SNPE only.
    host, port = free_endpoint()
    inv = tmp_path / "old-snpe.yaml"
    inv.write_text(
        "all:\n  vars:\n    budgets: {latency_ms: 5000, power_w: 50}\n  children:\n    fleet:\n"
        "      vars:\n        sim: true\n      hosts:\n"
        f"        old-qcs-1:\n          platform: qcs8255\n          ansible_host: {host}\n"
        f"          ansible_port: {port}\n          sim_toolchain: {{snpe: 2.20.0.240223}}\n"
    )
    assert world.hil("sim", "up", "-i", str(inv)).returncode == 0
    try:
        code, payload = world.deploy(inv)
        table = world.hil(
            "deploy", "status", payload["deployment_id"], "--db", str(world.db)
        ).stdout  # fmt: skip
    finally:
        world.hil("sim", "down", "-i", str(inv))
    assert code == 4 and payload["status"] == "nothing_delivered", payload
    (vehicle,) = payload["vehicles"]
    assert vehicle["state"] == "incompatible" and "2.20" in vehicle["reason"]
    assert "status: nothing_delivered" in table and "no vehicle got the engine" in table


def test_unreachable_vehicle_is_deferred_then_resumed(world: World, fleet: Fleet) -> None:
    away = fleet.orin[1]
    assert world.hil("sim", "down", "-i", str(fleet.inventory), "--where", f"name={away}").returncode == 0
    code, payload = world.deploy(fleet.inventory)
    assert code == 3 and payload["status"] == "partial", payload
    vehicles = by_name(payload)
    assert vehicles[away]["state"] == "deferred" and "unreachable" in vehicles[away]["reason"]
    assert vehicles[fleet.orin[0]]["state"] == "switched"
    assert world.hil("sim", "up", "-i", str(fleet.inventory), "--where", f"name={away}").returncode == 0
    res = world.hil("deploy", "resume", payload["deployment_id"], "--db", str(world.db), "--json")
    assert res.returncode == 0, res.stdout + res.stderr
    resumed = by_name(json.loads(res.stdout))
    assert resumed[away]["state"] == "switched"
    assert current_engine(world, away) == resumed[away]["engine_sha256"]


def snapshot(root: Path) -> dict[str, str]:
    files = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if rel.startswith(("run/", "tmp/")) or "/.cache" in f"/{rel}":
            # the sshd's pid file and session scratch; ONNX Runtime's device-id cache, which the emulated
            # vendor tools (reading facts: trtexec --help imports ONNX Runtime) create on first use
            continue
        files[rel] = os.readlink(path) if path.is_symlink() else (sha256(path) if path.is_file() else "dir")
    return files


def test_dry_run_changes_nothing_on_any_vehicle(world: World, fleet: Fleet) -> None:
    before = {n: snapshot(world.board_root(n)) for n in fleet.names}
    code, payload = world.deploy(fleet.inventory, "--dry-run")
    assert code == 0 and payload["status"] == "dry_run", payload
    assert {v["state"] for v in payload["vehicles"]} == {"untouched"}
    assert all("would be delivered in wave" in v["reason"] for v in payload["vehicles"])
    after = {n: snapshot(world.board_root(n)) for n in fleet.names}
    for name in fleet.names:
        changed = {
            k for k in before[name].keys() | after[name].keys() if before[name].get(k) != after[name].get(k)
        }
        assert not changed, (name, sorted(changed))
