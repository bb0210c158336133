"""TIDL's allow-listing and graph partitioning, emulated: which nodes TIDL imports, and the resulting split.

A node is delegated to TIDL when its operator is one TIDL's ONNX importer maps to a TIDL layer
(SUPPORTED_OPS), it is in the default ONNX domain, its first input has at most 6 dimensions, and the
user's deny lists do not name it. Consecutive delegated nodes (in the graph's topological order) form one
TIDL subgraph; the nodes between subgraphs run on the ARM cores through ONNX Runtime's CPU provider.
When there are more subgraphs than `max_num_subgraphs`, the largest are kept and the others go to ARM.

Each segment becomes a real ONNX model over the same tensor names, so segments can run one after the other,
passing tensors by name, as ONNX Runtime does between its execution providers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import onnx
from onnx import helper

# The operators TIDL's ONNX runtime importer maps to TIDL layers (TIDL_onnxRtMapNode in TI's sources).
# TI's importer compares "DropOut", so ONNX's "Dropout" is not delegated (a real quirk, kept). MatMul is
# left out: TDA4VM releases before 09.01 import it only as Gemm (edgeai-tidl-tools issue 34).
SUPPORTED_OPS = frozenset(
    {
        "Add", "ArgMax", "AveragePool", "BatchNormalization", "Cast", "Clip", "Concat", "Conv",
        "ConvTranspose", "DepthToSpace", "DequantizeLinear", "Div", "DropOut", "Elu", "Erf", "Flatten",
        "Gather", "Gemm", "GlobalAveragePool", "HardSigmoid", "Identity", "LeakyRelu", "Logistic",
        "MaxPool", "Mul", "PRelu", "Pad", "Pow", "QuantizeLinear", "ReduceMax", "ReduceMean",
        "ReduceMin", "Relu", "Reshape", "Resize", "ScatterElements", "ScatterND", "Sigmoid", "Slice",
        "Softmax", "Split", "Sqrt", "Squeeze", "Sub", "Sum", "Tanh", "Transpose", "Upsample",
    }
)  # fmt: skip
MAX_DIMS = 6  # TIDL_DIM_MAX: a node whose first input has more dimensions stays on ARM


@dataclass(frozen=True)
class Verdict:
    index: int
    op_type: str
    name: str
    delegated: bool
    reason: str  # TIDL's diagnostic for a node it does not take; "" when delegated


@dataclass
class Segment:
    tidl: bool
    nodes: list[int]
    name: str = ""  # "subgraph_<k>" for TIDL subgraphs, "arm_<k>" for ARM segments
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)


def node_name(node: onnx.NodeProto) -> str:
    """TIDL names a node by its name, or by its first output when it has none."""
    return node.name or (node.output[0] if node.output else "")


def allowlist(
    model: onnx.ModelProto, deny_types: Iterable[str] = (), deny_names: Iterable[str] = ()
) -> list[Verdict]:
    types, names = set(deny_types), set(deny_names)
    shapes = _ranks(model)
    verdicts = []
    for i, node in enumerate(model.graph.node):
        name = node_name(node)
        reason = ""
        if node.op_type in types or name in names:
            reason = (
                f"Node in deny list...delegated to ARM --- layer type - {node.op_type}, Node name - {name}"
            )
        elif node.domain not in ("", "ai.onnx") or node.op_type not in SUPPORTED_OPS:
            reason = f"Layers type not supported by TIDL --- layer type - {node.op_type},  Node name -{name}"
        elif node.input and shapes.get(node.input[0], 0) > MAX_DIMS:
            reason = f"Number of input dims > {MAX_DIMS} .. not supported by TIDL"
        verdicts.append(Verdict(i, node.op_type, name, not reason, reason))
    return verdicts


def _ranks(model: onnx.ModelProto) -> dict[str, int]:
    values = [*model.graph.input, *model.graph.value_info, *model.graph.output]
    return {v.name: len(v.type.tensor_type.shape.dim) for v in values if v.type.HasField("tensor_type")}


def partition(verdicts: list[Verdict], max_subgraphs: int) -> tuple[int, list[Segment]]:
    """(preliminary number of TIDL subgraphs, final segments in execution order)."""
    runs: list[Segment] = []
    for v in verdicts:
        if runs and runs[-1].tidl == v.delegated:
            runs[-1].nodes.append(v.index)
        else:
            runs.append(Segment(v.delegated, [v.index]))
    preliminary = sum(1 for r in runs if r.tidl)
    tidl_runs = sorted((r for r in runs if r.tidl), key=lambda r: len(r.nodes), reverse=True)
    for dropped in tidl_runs[max(max_subgraphs, 0) :]:
        dropped.tidl = False
    merged: list[Segment] = []
    for r in runs:
        if merged and not r.tidl and not merged[-1].tidl:
            merged[-1].nodes.extend(r.nodes)
        else:
            merged.append(r)
    tidl_k = arm_k = 0
    for seg in merged:
        if seg.tidl:
            seg.name, tidl_k = f"subgraph_{tidl_k}", tidl_k + 1
        else:
            seg.name, arm_k = f"arm_{arm_k}", arm_k + 1
    return preliminary, merged


def wire(model: onnx.ModelProto, segments: list[Segment]) -> None:
    """Fill each segment's boundary tensors: what it reads from before it, what later segments need."""
    graph = model.graph
    initializers = {t.name for t in graph.initializer}
    outputs = {o.name for o in graph.output}
    consumed_after: list[set[str]] = []
    later: set[str] = set(outputs)
    for seg in reversed(segments):
        consumed_after.append(set(later))
        for i in seg.nodes:
            later.update(x for x in graph.node[i].input if x)
    consumed_after.reverse()
    for seg, needed in zip(segments, consumed_after, strict=True):
        produced: set[str] = set()
        inputs: list[str] = []
        for i in seg.nodes:
            node = graph.node[i]
            for x in node.input:
                if x and x not in produced and x not in initializers and x not in inputs:
                    inputs.append(x)
            produced.update(node.output)
        seg.inputs = inputs
        seg.outputs = [x for i in seg.nodes for x in graph.node[i].output if x in needed]


def segment_model(
    model: onnx.ModelProto, seg: Segment, types: Mapping[str, onnx.ValueInfoProto]
) -> onnx.ModelProto:
    """A standalone ONNX model of the segment's nodes, with the initializers they use."""
    graph = model.graph
    nodes = [graph.node[i] for i in seg.nodes]
    used = {x for n in nodes for x in n.input}
    inits = [t for t in graph.initializer if t.name in used]
    sub = helper.make_graph(
        nodes,
        seg.name,
        [_value(name, types) for name in seg.inputs],
        [_value(name, types) for name in seg.outputs],
        inits,
    )
    out = helper.make_model(sub, opset_imports=list(model.opset_import), producer_name="hil-sim-tidl")
    out.ir_version = model.ir_version
    return out


def _value(name: str, types: Mapping[str, onnx.ValueInfoProto]) -> onnx.ValueInfoProto:
    known = types.get(name)
    if known is not None:
        return known
    # Shape inference could not type it: a float tensor of unknown shape, what vision graphs carry.
    return helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None)


def value_types(model: onnx.ModelProto) -> dict[str, onnx.ValueInfoProto]:
    inferred = onnx.shape_inference.infer_shapes(model)
    g = inferred.graph
    return {v.name: v for v in [*g.value_info, *g.input, *g.output] if v.type.HasField("tensor_type")}
