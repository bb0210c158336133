"""The simulated TensorRT engine: its file format, and how the emulated builder really converts a network.

File format (the on-board harness reads the same bytes with its own small reader). A real plan's layout is
NVIDIA's own and undocumented (there is no API that reads its version without deserializing it:
NVIDIA/TensorRT#3073); this one puts what a real plan is known to carry, and is refused for, in plain view:
the TensorRT version and the GPU compute capability it was built with.

    b"HILSIM-TRT-ENGINE\\n"
    one line of UTF-8 JSON: {"precision": "fp32"|"fp16"|"int8", "onnx_sha256": <sha256 of the source
        ONNX file>, "tensorrt_version": "10.3.0", "compute_capability": "8.7", "flags": [builder flags as
        given], "inputs": {name: shape}, "outputs": {name: shape}}
    b"\\n"
    the ONNX model the engine executes (serialized ModelProto), to the end of the file

Building really changes the network, so that precision differences are real when it runs on ONNX Runtime:
fp16 converts weights and activations to float16 (inputs and outputs stay float32, as TensorRT's default
I/O formats); int8 keeps a QDQ network as it is, or quantizes a float network with random-data
calibration, as trtexec does without a calibration cache (accuracy then degrades, as on a board).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort

ENGINE_MAGIC = b"HILSIM-TRT-ENGINE\n"
TENSORRT_VERSION = "10.3.0"  # the emulation's default; a board's `sim_toolchain: {tensorrt: 8.5.2}` wins
# The simulated board is a Jetson Orin, CUDA compute capability 8.7 (NVIDIA, developer.nvidia.com/cuda-gpus).
# A real plan holds the compute capability it was built for, and TensorRT refuses it on another GPU.
COMPUTE_CAPABILITY = "8.7"


def tensorrt_version() -> str:
    """The TensorRT version of the simulated board this runs on (its sim_toolchain override, else default)."""
    from hil.sim.boards import toolchain_version

    return toolchain_version("tensorrt", TENSORRT_VERSION)


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", version)[:3])


PRECISIONS = ("fp32", "fp16", "int8")
HEADER_KEYS = ("precision", "onnx_sha256", "tensorrt_version", "flags", "inputs", "outputs")
QDQ_OPS = frozenset({"QuantizeLinear", "DequantizeLinear"})
CALIBRATION_BATCHES = 8

# Operators of the default ONNX domain that the emulated TensorRT 10.3 ONNX parser imports: the operators
# of TensorRT's published operator support matrix that a vision network uses. Anything else, and every
# node of another domain (com.microsoft, ai.onnx.ml, custom ops), is rejected the way TensorRT rejects a
# node it has no importer or plugin for. Note QLinearConv / QLinearMatMul / ConvInteger (ONNX Runtime's
# QOperator format) are rejected: TensorRT only takes QDQ networks, and so does this emulation.
SUPPORTED_OPS = frozenset(
    {
        "Abs", "Acos", "Acosh", "Add", "And", "ArgMax", "ArgMin", "Asin", "Asinh", "Atan", "Atanh",
        "AveragePool", "BatchNormalization", "Cast", "Ceil", "Celu", "Clip", "Concat", "Constant",
        "ConstantOfShape", "Conv", "ConvTranspose", "Cos", "Cosh", "CumSum", "DepthToSpace",
        "DequantizeLinear", "Div", "Dropout", "Einsum", "Elu", "Equal", "Erf", "Exp", "Expand",
        "EyeLike", "Flatten", "Floor", "GRU", "Gather", "GatherElements", "GatherND", "Gelu", "Gemm",
        "GlobalAveragePool", "GlobalLpPool", "GlobalMaxPool", "Greater", "GreaterOrEqual", "GridSample",
        "GroupNormalization", "HardSigmoid", "HardSwish", "Identity", "If", "InstanceNormalization",
        "IsInf", "IsNaN", "LRN", "LSTM", "LayerNormalization", "LeakyRelu", "Less", "LessOrEqual", "Log",
        "LogSoftmax", "Loop", "LpNormalization", "LpPool", "MatMul", "Max", "MaxPool", "Mean", "Min",
        "Mish", "Mod", "Mul", "Neg", "NonMaxSuppression", "NonZero", "Not", "OneHot", "Or", "PRelu",
        "Pad", "Pow", "QuantizeLinear", "RNN", "RandomNormal", "RandomNormalLike", "RandomUniform",
        "RandomUniformLike", "Range", "Reciprocal", "ReduceL1", "ReduceL2", "ReduceLogSum",
        "ReduceLogSumExp", "ReduceMax", "ReduceMean", "ReduceMin", "ReduceProd", "ReduceSum",
        "ReduceSumSquare", "Relu", "Reshape", "Resize", "ReverseSequence", "RoiAlign", "Round",
        "ScatterElements", "ScatterND", "Selu", "Shape", "Shrink", "Sigmoid", "Sign", "Sin", "Sinh",
        "Size", "Slice", "Softmax", "Softplus", "Softsign", "SpaceToDepth", "Split", "Sqrt", "Squeeze",
        "Sub", "Sum", "Tan", "Tanh", "ThresholdedRelu", "Tile", "TopK", "Transpose", "Trilu",
        "Unsqueeze", "Upsample", "Where", "Xor",
    }
)  # fmt: skip
_NO_KERNEL = re.compile(r"Could not find an implementation for (\w+)\(")


class EngineFormatError(ValueError):
    """A file that is not a simulated engine, or a damaged one."""


# -- file format ---------------------------------------------------------------------------------------


def make_header(
    precision: str,
    onnx_sha256: str,
    flags: list[str],
    inputs: Mapping[str, list[int]],
    outputs: Mapping[str, list[int]],
) -> dict[str, Any]:
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, not {precision!r}")
    return {
        "precision": precision,
        "onnx_sha256": onnx_sha256,
        "tensorrt_version": tensorrt_version(),
        "compute_capability": COMPUTE_CAPABILITY,
        "flags": list(flags),
        "inputs": {name: list(shape) for name, shape in inputs.items()},
        "outputs": {name: list(shape) for name, shape in outputs.items()},
    }


def engine_bytes(onnx_bytes: bytes, header: Mapping[str, Any]) -> bytes:
    missing = [key for key in HEADER_KEYS if key not in header]
    if missing:
        raise ValueError(f"engine header lacks {', '.join(missing)}")
    # json.dumps escapes newlines inside strings, so the header is always exactly one line.
    line = json.dumps(dict(header), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return ENGINE_MAGIC + line + b"\n" + onnx_bytes


def write_engine(path: str | Path, onnx_bytes: bytes, header: Mapping[str, Any]) -> int:
    """Write the engine file; returns its size in bytes."""
    data = engine_bytes(onnx_bytes, header)
    Path(path).write_bytes(data)
    return len(data)


def parse_engine(data: bytes, source: str = "engine") -> tuple[dict[str, Any], bytes]:
    if not data.startswith(ENGINE_MAGIC):
        raise EngineFormatError(
            f"{source}: not a simulated TensorRT engine (bad magic: expected {ENGINE_MAGIC!r}, "
            f"found {data[: len(ENGINE_MAGIC)]!r})"
        )
    rest = data[len(ENGINE_MAGIC) :]
    line, newline, onnx_bytes = rest.partition(b"\n")
    if not newline:
        raise EngineFormatError(f"{source}: engine header line is not terminated")
    try:
        header = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EngineFormatError(f"{source}: engine header is not JSON ({exc})") from exc
    if not isinstance(header, dict) or any(key not in header for key in HEADER_KEYS):
        raise EngineFormatError(f"{source}: engine header lacks some of {', '.join(HEADER_KEYS)}")
    return header, onnx_bytes


def read_engine(path: str | Path) -> tuple[dict[str, Any], bytes]:
    """(header, onnx_bytes) of an engine file; EngineFormatError when it is not one."""
    return parse_engine(Path(path).read_bytes(), str(path))


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- the emulated builder ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RejectedNode:
    """The first node the emulated parser has no importer for; `index` counts nodes as TensorRT does."""

    index: int
    node: onnx.NodeProto


@dataclass(frozen=True)
class TensorSpec:
    shape: list[int]
    dtype: np.dtype[Any]


def first_rejected_node(model: onnx.ModelProto) -> RejectedNode | None:
    for index, node in enumerate(model.graph.node):
        if _rejected(node):
            return RejectedNode(index, node)
    return None


def _rejected(node: onnx.NodeProto) -> bool:
    if node.domain not in ("", "ai.onnx") or node.op_type not in SUPPORTED_OPS:
        return True
    # If/Loop bodies are parsed too; a rejected node inside one rejects the enclosing node.
    return any(_rejected(inner) for attr in node.attribute if attr.g for inner in attr.g.node)


def is_qdq(model: onnx.ModelProto) -> bool:
    return any(node.op_type in QDQ_OPS for node in model.graph.node)


def input_specs(
    model: onnx.ModelProto, shapes: Mapping[str, list[int]]
) -> tuple[dict[str, TensorSpec], list[str]]:
    """Each graph input's shape (from `shapes`, else the model; unknown dims become 1) and dtype.

    Also returns the inputs whose dynamic dims were overridden without a given shape, for TensorRT's warning.
    """
    initializers = {init.name for init in model.graph.initializer}
    specs: dict[str, TensorSpec] = {}
    overridden: list[str] = []
    for value in model.graph.input:
        if value.name in initializers:
            continue
        tensor = value.type.tensor_type
        dtype = np.dtype(onnx.helper.tensor_dtype_to_np_dtype(tensor.elem_type))
        if value.name in shapes:
            specs[value.name] = TensorSpec(list(shapes[value.name]), dtype)
            continue
        dims = [dim.dim_value if dim.HasField("dim_value") else -1 for dim in tensor.shape.dim]
        if any(d < 1 for d in dims):
            overridden.append(value.name)
        specs[value.name] = TensorSpec([d if d >= 1 else 1 for d in dims], dtype)
    return specs, overridden


def graph_input_dims(model: onnx.ModelProto) -> dict[str, list[int]]:
    """Graph inputs (not initializers) -> dims, a dynamic dimension as -1 (TensorRT's notation)."""
    initializers = {init.name for init in model.graph.initializer}
    return {
        value.name: [
            d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else -1
            for d in value.type.tensor_type.shape.dim
        ]
        for value in model.graph.input
        if value.name not in initializers
    }


def random_feed(specs: Mapping[str, TensorSpec], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Random input values, as trtexec uses when no --loadInputs is given."""
    feed: dict[str, np.ndarray] = {}
    for name, spec in specs.items():
        if spec.dtype.kind == "f":
            feed[name] = rng.uniform(0.0, 1.0, spec.shape).astype(spec.dtype)
        elif spec.dtype.kind == "b":
            feed[name] = rng.integers(0, 2, spec.shape).astype(bool)
        else:
            feed[name] = rng.integers(0, 8, spec.shape).astype(spec.dtype)
    return feed


def make_session(model_bytes: bytes) -> ort.InferenceSession:
    """One ONNX Runtime CPU session on one thread: the simulated board's single 'GPU' stream."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])


def convert(model: onnx.ModelProto, precision: str, specs: Mapping[str, TensorSpec]) -> onnx.ModelProto:
    """The network the engine will execute at `precision` (see the module doc)."""
    if is_qdq(model):
        return model  # explicit quantization: the Q/DQ scales decide, whatever the flags
    if precision == "fp16":
        return to_fp16(model)
    if precision == "int8":
        return quantize_random(model, specs)
    return model


def to_fp16(model: onnx.ModelProto) -> onnx.ModelProto:
    """float16 weights and activations; an op ONNX Runtime has no CPU float16 kernel for stays float32
    (with casts around it), as TensorRT falls back to FP32 for a layer without an FP16 tactic."""
    from onnxruntime.transformers.float16 import DEFAULT_OP_BLOCK_LIST, convert_float_to_float16

    blocked = list(DEFAULT_OP_BLOCK_LIST)
    for _ in range(len(SUPPORTED_OPS)):
        converted = convert_float_to_float16(model, keep_io_types=True, op_block_list=blocked)
        try:
            make_session(converted.SerializeToString())
            return converted
        except Exception as exc:  # ONNX Runtime raises its own exception types
            missing = _NO_KERNEL.search(str(exc))
            if missing is None or missing.group(1) in blocked:
                raise
            blocked.append(missing.group(1))
    raise RuntimeError("float16 conversion did not converge")


class _RandomCalibration:
    """An onnxruntime.quantization CalibrationDataReader over random batches."""

    def __init__(self, specs: Mapping[str, TensorSpec], seed: int) -> None:
        rng = np.random.default_rng(seed)
        self._batches: Iterator[dict[str, np.ndarray]] = iter(
            [random_feed(specs, rng) for _ in range(CALIBRATION_BATCHES)]
        )

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self._batches, None)


def quantize_random(
    model: onnx.ModelProto, specs: Mapping[str, TensorSpec], seed: int = 0
) -> onnx.ModelProto:
    """Symmetric INT8 QDQ (TensorRT's scheme) calibrated on random data: no real calibration set exists."""
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static

    opset = max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), default=13)
    with tempfile.TemporaryDirectory(prefix="hilsim-int8-") as tmp:
        out = Path(tmp) / "int8.onnx"
        previous = logging.root.manager.disable
        logging.disable(logging.WARNING)  # ORT's "consider pre-processing" advice is not TensorRT output
        try:
            quantize_static(
                model,
                out,
                _RandomCalibration(specs, seed),
                quant_format=QuantFormat.QDQ,
                per_channel=opset >= 13,
                activation_type=QuantType.QInt8,
                weight_type=QuantType.QInt8,
                extra_options={"ActivationSymmetric": True, "WeightSymmetric": True},
            )
        finally:
            logging.disable(previous)
        return onnx.load(str(out))
