"""The latency gate does not flake: rollouts alternating two engines of equal speed all pass it, because
each vehicle measures the new engine and the incumbent in alternating rounds and judges them with
`hil history`'s latency rule (hil.measure.regression, shipped to the vehicle beside the gate)."""

from __future__ import annotations

import json

import onnx
from onnx import numpy_helper

from tests.conftest import needs_sshd
from tests.integration.fleet.conftest import Fleet, World, current_engine

pytestmark = [needs_sshd]


def test_rollouts_alternating_two_engines_of_equal_speed_never_fail_the_latency_gate(
    world: World, fleet: Fleet
) -> None:
    # the twin: the same graph, weights moved by 1e-4 (another file, another engine, the same speed)
    twin = world.folder / "twin.onnx"
    proto = onnx.load(world.model)
    for init in proto.graph.initializer:
        init.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(init) * 1.0001, init.name))
    onnx.save(proto, twin)
    code, first = world.deploy(fleet.inventory, "--waves", "1,100%", "--build", model=twin)
    assert code == 0 and first["status"] == "done", first
    for model in (world.model, twin):  # each with the other as the incumbent
        code, payload = world.deploy(fleet.inventory, "--waves", "1,100%", model=model)
        said = [(v["name"], v["state"], v["reason"][:300]) for v in payload["vehicles"]]
        assert code == 0 and payload["status"] == "done", said
        assert {v["state"] for v in payload["vehicles"]} == {"switched"}, said
        audit = json.loads(
            world.hil("deploy", "status", payload["deployment_id"], "--db", str(world.db), "--json").stdout
        )["audit"]
        gates = [
            json.loads(a["evidence"]["stdout"].split("HIL_GATE ", 1)[1]) for a in audit if a["step"] == "gate"
        ]
        assert len(gates) == len(fleet.names)
        for verdict in gates:  # every vehicle compared 60+ warm frames of each engine, same rounds
            ni = verdict["latency_ni"]
            assert ni["outcome"] == "pass" and ni["new_frames"] >= 60 and ni["incumbent_frames"] >= 60, ni
        for v in payload["vehicles"]:
            assert current_engine(world, v["name"]) == v["engine_sha256"]
