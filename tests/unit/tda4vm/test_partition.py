"""TIDL's allow-listing and partitioning, emulated: what is delegated, how subgraphs are cut and wired."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper

from hil.sim.tidl import partition
from hil.sim.tidl.pipeline import Pipeline, Stage, make_session


def chain(ops: list[tuple[str, str]]) -> onnx.ModelProto:
    """x -> op0 -> op1 ... -> y, unary ops (op_type, domain), on a 1x4 float tensor."""
    nodes = []
    prev = "x"
    for i, (op, domain) in enumerate(ops):
        out = "y" if i == len(ops) - 1 else f"t{i}"
        nodes.append(helper.make_node(op, [prev], [out], name=f"n{i}", domain=domain))
        prev = out
    graph = helper.make_graph(
        nodes,
        "chain",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_unsupported_operators_custom_domains_and_deny_lists_stay_on_arm() -> None:
    model = chain([("Relu", ""), ("Softplus", ""), ("Sigmoid", ""), ("Relu", "com.example"), ("Dropout", "")])
    verdicts = partition.allowlist(model, deny_types=["Sigmoid"])
    assert [v.delegated for v in verdicts] == [True, False, False, False, False]
    assert verdicts[1].reason.startswith("Layers type not supported by TIDL --- layer type - Softplus")
    assert verdicts[2].reason.startswith("Node in deny list")
    assert "Relu" in verdicts[3].reason  # a custom domain's op is never TIDL's, whatever its name
    assert "Dropout" in verdicts[4].reason  # TI's importer compares "DropOut"


def test_segments_alternate_and_only_the_largest_subgraphs_are_kept() -> None:
    ops = [("Relu", ""), ("Relu", ""), ("Softplus", ""), ("Relu", ""), ("Softplus", ""), ("Relu", "")]
    model = chain(ops)
    verdicts = partition.allowlist(model)
    preliminary, segments = partition.partition(verdicts, max_subgraphs=16)
    assert preliminary == 3
    assert [(s.name, s.nodes) for s in segments] == [
        ("subgraph_0", [0, 1]),
        ("arm_0", [2]),
        ("subgraph_1", [3]),
        ("arm_1", [4]),
        ("subgraph_2", [5]),
    ]
    preliminary, kept = partition.partition(verdicts, max_subgraphs=1)
    assert preliminary == 3
    assert [(s.tidl, s.nodes) for s in kept] == [(True, [0, 1]), (False, [2, 3, 4, 5])]


def test_wired_segments_run_in_order_to_the_same_result_as_the_whole_model() -> None:
    model = chain([("Relu", ""), ("Softplus", ""), ("Sigmoid", ""), ("Softplus", ""), ("Neg", "")])
    _, segments = partition.partition(partition.allowlist(model), 16)
    partition.wire(model, segments)
    assert segments[0].inputs == ["x"] and segments[0].outputs == ["t0"]
    assert segments[-1].outputs == ["y"]
    types = partition.value_types(model)
    stages = [
        Stage(s, make_session(partition.segment_model(model, s, types).SerializeToString())) for s in segments
    ]
    x = np.array([[-2.0, -0.5, 0.5, 2.0]], dtype=np.float32)
    pipeline = Pipeline(stages, ["y"], time_subgraphs=True)
    (got,) = pipeline.run({"x": x})
    (want,) = make_session(model.SerializeToString()).run(None, {"x": x})
    np.testing.assert_allclose(got, want, rtol=1e-6)
    bench = pipeline.benchmark
    assert bench["ts:run_start"] <= bench["ts:subgraph_0_proc_start"] <= bench["ts:subgraph_0_proc_end"]
    assert bench["ts:subgraph_1_copy_out_end"] <= bench["ts:run_end"]
    assert not any(k.startswith("ddr:") for k in bench)  # no host can count the board's DDR traffic
