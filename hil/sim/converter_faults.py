"""A converter that gets one layer wrong: the `bad_layer` fault of the emulated quantizers.

    break_one_layer(network) -> (network, node name)

The weighted layer in the middle of the network (graph order among Conv/Gemm/MatMul nodes that read a
dequantized weight) has its weight scale multiplied by 3, as a converter bug in one layer's encodings would
do: the engine runs, its outputs are plausible and wrong. Host-side QDQ models are untouched, so a diagnosis
must blame the board's converter, not the quantization.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import numpy_helper

WEIGHTED = {"Conv", "ConvTranspose", "Gemm", "MatMul"}
FACTOR = 3.0


def break_one_layer(network: onnx.ModelProto) -> tuple[onnx.ModelProto, str | None]:
    inits = {t.name: t for t in network.graph.initializer}
    producer = {o: n for n in network.graph.node for o in n.output}
    candidates: list[tuple[onnx.NodeProto, onnx.TensorProto]] = []
    for node in network.graph.node:
        if node.op_type not in WEIGHTED or len(node.input) < 2:
            continue
        dq = producer.get(node.input[1])
        if dq is not None and dq.op_type == "DequantizeLinear" and dq.input[1] in inits:
            candidates.append((node, inits[dq.input[1]]))
    if not candidates:
        return network, None
    node, scale = candidates[len(candidates) // 2]
    broken = numpy_helper.to_array(scale).astype(np.float32) * np.float32(FACTOR)
    scale.CopyFrom(numpy_helper.from_array(broken.astype(numpy_helper.to_array(scale).dtype), scale.name))
    return network, node.name
