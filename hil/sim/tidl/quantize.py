"""TIDL's post-training quantization of one subgraph, done for real with onnxruntime.quantization.

TIDL on TDA4VM runs fixed point: `tensor_bits` 8 or 16, symmetric (TDA4VM has no asymmetric mode), with
power-of-2 scales for feature maps. The emulation:

1. collects each activation's range over the calibration frames (ONNX Runtime's MinMax calibrator);
2. turns each range into a symmetric scale and rounds it UP to a power of 2 (so nothing calibrated clips);
3. quantizes the subgraph to QDQ with those activation scales fixed (TensorQuantOverrides), per-channel
   symmetric weights, int8 or int16 for both weights and activations.

The result runs on ONNX Runtime's CPU provider: int8 QDQ with ONNX Runtime's integer kernels where it has
them, int16 QDQ as exact 16-bit fake quantization (every tensor rounded to its 16-bit grid). TIDL's bias
calibration iterations (accuracy_level 1) are not modelled: the weights are quantized once.
"""

from __future__ import annotations

import logging
import math
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import onnx

QDQ_OPS = frozenset({"QuantizeLinear", "DequantizeLinear"})
Feed = dict[str, np.ndarray]


def is_prequantized(model: onnx.ModelProto) -> bool:
    return any(node.op_type in QDQ_OPS for node in model.graph.node)


class _Reader:
    """An onnxruntime.quantization CalibrationDataReader over a fixed list of feeds."""

    def __init__(self, feeds: list[Feed]) -> None:
        self._it: Iterator[Feed] = iter(feeds)

    def get_next(self) -> Feed | None:
        return next(self._it, None)


def pow2_scale(absmax: float, bits: int) -> float:
    """The smallest power-of-2 scale whose symmetric range covers `absmax`."""
    qmax = 2 ** (bits - 1) - 1
    return float(2.0 ** math.ceil(math.log2(max(absmax, 1e-12) / qmax)))


def activation_ranges(model_path: Path, feeds: list[Feed], workdir: Path) -> dict[str, float]:
    """Absolute maximum of every activation TIDL would quantize, over the calibration feeds."""
    from onnxruntime.quantization.calibrate import CalibrationMethod, create_calibrator

    calibrator = create_calibrator(
        model_path,
        None,
        augmented_model_path=workdir / "augmented.onnx",
        calibrate_method=CalibrationMethod.MinMax,
    )
    calibrator.collect_data(_Reader(feeds))
    ranges: dict[str, float] = {}
    data = calibrator.compute_data()
    for name in data:
        low, high = data[name].range_value
        ranges[name] = float(max(np.abs(low).max(), np.abs(high).max()))
    return ranges


def quantize_subgraph(
    model: onnx.ModelProto,
    feeds: list[Feed],
    bits: int,
    features16: frozenset[str] = frozenset(),
    params16: frozenset[str] = frozenset(),
) -> tuple[onnx.ModelProto, dict[str, float]]:
    """(QDQ model at `bits`, activation name -> power-of-2 scale used).

    Mixed precision (TIDL's `advanced_options:output_feature_16bit_names_list` / `params_16bit_names_list`,
    names of layers as in the original model, i.e. their output tensors): a layer named in `features16` gets
    its output activation and its parameters in 16 bit, one named in `params16` its parameters only; the
    rest stays at `bits`. ONNX Runtime writes the 16-bit tensors as int16 Q/DQ pairs (and converts at the
    boundaries), so the kept layers really are computed on a 16-bit grid."""
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static

    if bits not in (8, 16):
        raise ValueError(f"tensor_bits must be 8 or 16, not {bits}")
    qtype = QuantType.QInt8 if bits == 8 else QuantType.QInt16
    zero = np.array(0, dtype=np.int8 if bits == 8 else np.int16)
    with tempfile.TemporaryDirectory(prefix="hilsim-tidl-") as tmp:
        work = Path(tmp)
        source = work / "float.onnx"
        onnx.save(model, source)
        previous = logging.root.manager.disable
        logging.disable(logging.WARNING)  # ONNX Runtime's pre-processing advice is not TIDL output
        try:
            ranges = activation_ranges(source, feeds, work)
            scales = {n: pow2_scale(r, 16 if n in features16 else bits) for n, r in ranges.items()}
            overrides: dict[str, Any] = {
                n: [{"scale": np.array(s, dtype=np.float32), "zero_point": zero}] for n, s in scales.items()
            }
            for name in features16 & set(scales):
                overrides[name] = [
                    {
                        "quant_type": QuantType.QInt16,
                        "scale": np.array(scales[name], dtype=np.float32),
                        "zero_point": np.array(0, dtype=np.int16),
                    }
                ]
            for name in weights_of(model, features16 | params16):
                overrides[name] = [{"quant_type": QuantType.QInt16}]
            quantize_static(
                source,
                work / "quant.onnx",
                _Reader(feeds),
                quant_format=QuantFormat.QDQ,
                per_channel=_opset(model) >= 13,
                activation_type=qtype,
                weight_type=qtype,
                extra_options={
                    "ActivationSymmetric": True,
                    "WeightSymmetric": True,
                    "TensorQuantOverrides": dict(overrides),
                },
            )
        finally:
            logging.disable(previous)
        return onnx.load(str(work / "quant.onnx")), scales


def weights_of(model: onnx.ModelProto, layers: frozenset[str]) -> list[str]:
    """The weight initializers (not biases: ONNX Runtime sizes a bias from its weight and input scales) of
    the nodes whose first output is named in `layers`."""
    initializers = {t.name for t in model.graph.initializer}
    return [
        node.input[1]
        for node in model.graph.node
        if node.output and node.output[0] in layers and len(node.input) > 1 and node.input[1] in initializers
    ]


def _opset(model: onnx.ModelProto) -> int:
    return max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), default=13)
