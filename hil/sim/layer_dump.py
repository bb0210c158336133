"""Every layer's output of an emulated engine's network, computed with ONNX Runtime (for vendor debug dumps).

    LayerDump(network_bytes).run(feed) -> {tensor name: array}

The network is the one the emulated runtime executes; every float tensor a node produces becomes a graph
output (types from ONNX shape inference), so the values are what the engine computed, not a second model's.
A tensor that the network re-quantizes (QuantizeLinear -> DequantizeLinear) is reported after that pair,
under its own name: a fixed-point runtime holds the quantized value, and a debug dump writes it back as float
(e.g. `snpe-net-run --debug` without `--use_native_output_files`). Graph optimizations are off for the dump
session so that the network's own tensor names survive; Q/DQ internals are not layers and are left out.
Board-side (Python 3.8) code does not import this: the emulated tools run on the host's Python.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import onnx
import onnxruntime as ort

_FLOATS = {onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16, onnx.TensorProto.DOUBLE}
_QDQ = {"QuantizeLinear", "DequantizeLinear"}


class LayerDump:
    def __init__(self, network: bytes) -> None:
        model = onnx.load_from_string(network)
        inferred = onnx.shape_inference.infer_shapes(model)
        types = {v.name: v for v in [*inferred.graph.value_info, *inferred.graph.output]}
        consumers: dict[str, list[onnx.NodeProto]] = {}
        for node in model.graph.node:
            for name in node.input:
                consumers.setdefault(name, []).append(node)
        self.layers: dict[
            str, str
        ] = {}  # layer tensor -> the tensor holding its value as the engine keeps it
        for node in model.graph.node:
            if node.op_type in _QDQ or node.op_type == "Constant":
                continue
            for out in node.output:
                held = out
                for q in consumers.get(out, []):
                    if q.op_type == "QuantizeLinear":
                        dq = [c for c in consumers.get(q.output[0], []) if c.op_type == "DequantizeLinear"]
                        if dq:
                            held = dq[0].output[0]
                            break
                if held in types and types[held].type.tensor_type.elem_type in _FLOATS:
                    self.layers[out] = held
        existing = {o.name for o in model.graph.output}
        for held in dict.fromkeys(self.layers.values()):
            if held not in existing:
                model.graph.output.append(types[held])
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.log_severity_level = 3
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        self.session = ort.InferenceSession(
            model.SerializeToString(), options, providers=["CPUExecutionProvider"]
        )
        self.names = [o.name for o in self.session.get_outputs()]

    def run(self, feed: Mapping[str, npt.NDArray[Any]]) -> dict[str, npt.NDArray[np.float32]]:
        values = dict(zip(self.names, self.session.run(self.names, dict(feed)), strict=True))
        return {layer: np.asarray(values[held], dtype=np.float32) for layer, held in self.layers.items()}
