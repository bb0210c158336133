"""The host side of a diagnosis: FP32 reference and host QDQ model, every intermediate tensor, ONNX Runtime.

    layers(fp32) -> list[Layer]                                   FP32 nodes in graph order
    reference_tensors(fp32, feeds) -> {tensor: [per frame]}       every float tensor of the FP32 model
    host_qdq_errors(fp32, qdq, feeds, reference) -> list[LayerError]
    rank_layers(fp32, qdq, feeds, reference_outputs) -> list[Contribution]

Tensors are exposed and matched with ONNX Runtime's own debugging module, `onnxruntime.quantization.
qdq_loss_debug` (`modify_model_output_intermediate_tensors` adds every float tensor as a graph output,
`collect_activations` runs it frame by frame, `create_activation_matching` pairs each FP32 activation with
the QDQ model's tensor before and after its QuantizeLinear/DequantizeLinear pair). A layer of the QDQ model
is compared *after* its QDQ pair (what the next layer reads, and what a board's integer engine holds);
an output that is not re-quantized is compared as it is.

Ranking removes one layer's quantization at a time from the QDQ graph: the node reads its float inputs
(the tensor before the QuantizeLinear that fed it) and its float weights (the FP32 model's initializers)
instead of the dequantized ones, and its consumers read its float output (no QDQ pair after it). That is
a node kept at full precision, as `quantize_static(nodes_to_exclude=[node])` or a vendor's per-layer precision
would keep it, without a fresh calibration per layer.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import onnx
import onnxruntime as ort
from onnxruntime.quantization import CalibrationDataReader
from onnxruntime.quantization.qdq_loss_debug import (
    collect_activations,
    create_activation_matching,
    modify_model_output_intermediate_tensors,
)

from hil.diagnose.metrics import (
    Contribution,
    Layer,
    LayerError,
    compare_layers,
    output_error,
    rank_contributions,
)

Feeds = Sequence[Mapping[str, npt.NDArray[Any]]]
Tensors = dict[str, list[npt.NDArray[Any]]]
SKIP_OPS = {"Constant", "Shape", "QuantizeLinear", "DequantizeLinear"}


class _Reader(CalibrationDataReader):
    def __init__(self, feeds: Feeds) -> None:
        self._it: Iterator[Mapping[str, npt.NDArray[Any]]] = iter(feeds)

    def get_next(self) -> dict[str, npt.NDArray[Any]] | None:
        feed = next(self._it, None)
        return None if feed is None else dict(feed)


def layers(fp32: onnx.ModelProto) -> list[Layer]:
    """The FP32 model's nodes in graph (topological, as exported) order, each with its first output."""
    return [
        Layer(name=node.name or node.output[0], op=node.op_type, tensor=node.output[0])
        for node in fp32.graph.node
        if node.op_type not in SKIP_OPS and node.output
    ]


def _activations(model: Path, feeds: Feeds) -> Tensors:
    with tempfile.TemporaryDirectory(prefix="hil-diagnose-") as tmp:
        augmented = Path(tmp) / "augmented.onnx"
        modify_model_output_intermediate_tensors(str(model), str(augmented))
        return {k: list(v) for k, v in collect_activations(str(augmented), _Reader(feeds)).items()}


def reference_tensors(fp32: Path, feeds: Feeds) -> Tensors:
    """Every float tensor of the FP32 model on each frame (flattened, as qdq_loss_debug returns them)."""
    return _activations(fp32, feeds)


def qdq_tensors(fp32_tensors: Tensors, qdq: Path, feeds: Feeds) -> Tensors:
    """Each FP32 tensor's counterpart in the QDQ model: after its QDQ pair where it has one, else as is."""
    raw = _activations(qdq, feeds)
    matched = create_activation_matching(raw, fp32_tensors)
    out: Tensors = {name: list(m["post_qdq"]) for name, m in matched.items()}
    for name, values in raw.items():
        if name in fp32_tensors and name not in out:
            out[name] = values
    return out


def host_qdq_errors(fp32: Path, qdq: Path, feeds: Feeds, reference: Tensors) -> list[LayerError]:
    return compare_layers(layers(onnx.load(str(fp32))), reference, qdq_tensors(reference, qdq, feeds))


def run_outputs(model: onnx.ModelProto | Path, feeds: Feeds) -> Tensors:
    """The graph outputs on each frame, by output name."""
    data = model.SerializeToString() if isinstance(model, onnx.ModelProto) else str(model)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.log_severity_level = 3
    session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    out: Tensors = {n: [] for n in names}
    for feed in feeds:
        for name, value in zip(names, session.run(names, dict(feed)), strict=True):
            out[name].append(np.asarray(value))
    return out


def quantized_nodes(qdq: onnx.ModelProto) -> list[str]:
    """Nodes of the QDQ graph that read at least one dequantized tensor, in graph order."""
    dq_outputs = {n.output[0] for n in qdq.graph.node if n.op_type == "DequantizeLinear"}
    return [
        n.name
        for n in qdq.graph.node
        if n.op_type not in SKIP_OPS and any(i in dq_outputs for i in n.input) and n.name
    ]


def without_quantization(qdq: onnx.ModelProto, fp32: onnx.ModelProto, node_name: str) -> onnx.ModelProto:
    """A copy of `qdq` in which `node_name` runs in float: it reads float inputs instead of dequantized ones
    (an activation: the tensor its QuantizeLinear read; a weight or bias: the FP32 model's initializer), and
    its consumers read its float output."""
    float_node = next((n for n in fp32.graph.node if n.name == node_name), None)
    if float_node is None:
        raise ValueError(f"node {node_name} is not in the FP32 model")
    model = onnx.ModelProto()
    model.CopyFrom(qdq)
    node = next((n for n in model.graph.node if n.name == node_name), None)
    if node is None:
        raise ValueError(f"node {node_name} is not in the QDQ model")
    producer = {o: n for n in model.graph.node for o in n.output}
    float_inits = {t.name: t for t in fp32.graph.initializer}
    names = {t.name for t in model.graph.initializer} | set(producer)
    for i, name in enumerate(node.input):
        dq = producer.get(name)
        if dq is None or dq.op_type != "DequantizeLinear":
            continue
        q = producer.get(dq.input[0])
        if q is not None and q.op_type == "QuantizeLinear":
            node.input[i] = q.input[0]
        elif i < len(float_node.input) and float_node.input[i] in float_inits:
            float_name = f"{float_node.input[i]}__fp32"
            if float_name not in names:
                tensor = onnx.TensorProto()
                tensor.CopyFrom(float_inits[float_node.input[i]])
                tensor.name = float_name
                model.graph.initializer.append(tensor)
                names.add(float_name)
            node.input[i] = float_name
    # its outputs unquantized: whatever read an output through a QuantizeLinear/DequantizeLinear pair reads
    # the float output itself (a graph output among them is renamed back by an Identity)
    for out in node.output:
        for q in [n for n in model.graph.node if n.op_type == "QuantizeLinear" and n.input[0] == out]:
            for dq in [
                n for n in model.graph.node if n.op_type == "DequantizeLinear" and n.input[0] == q.output[0]
            ]:
                for consumer in model.graph.node:
                    for j, name in enumerate(consumer.input):
                        if name == dq.output[0]:
                            consumer.input[j] = out
                if dq.output[0] in {o.name for o in model.graph.output}:
                    model.graph.node.append(onnx.helper.make_node("Identity", [out], [dq.output[0]]))
                    model.graph.node.remove(dq)
    return model


def rank_layers(
    fp32: Path, qdq: Path, feeds: Feeds, reference_outputs: Tensors, nodes: Sequence[str] | None = None
) -> tuple[float, list[Contribution]]:
    """The QDQ model's output error against FP32, and every quantized node ranked by the share of that error
    which removing its quantization takes away."""
    fp32_proto, qdq_proto = onnx.load(str(fp32)), onnx.load(str(qdq))
    full = output_error(reference_outputs, run_outputs(qdq_proto, feeds))
    fp32_names = {n.name for n in fp32_proto.graph.node}
    candidates = [n for n in (nodes or quantized_nodes(qdq_proto)) if n in fp32_names]
    without = {
        name: output_error(
            reference_outputs, run_outputs(without_quantization(qdq_proto, fp32_proto, name), feeds)
        )
        for name in candidates
    }
    return full, rank_contributions(full, without)
