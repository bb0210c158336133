"""The simulated SNPE DLC: its file format, and how the emulated SNPE tools really change the network.

A real DLC is Qualcomm's own container; a simulated one holds the ONNX network the emulated runtime executes,
so that what it computes is what the conversion made of the model. File format:

    b"HILSIM-SNPE-DLC\\n"
    one line of UTF-8 JSON (the header, HEADER_KEYS below):
        {"format": 1, "snpe_version": "2.22.0.240425", "source_sha256": <sha256 of the source ONNX>,
         "commands": [the command line of every tool that wrote this DLC, in order],
         "float_bitwidth": 32 | 16, "quantized": bool,
         "encodings": null | "source-qdq" (the ONNX's QuantizeLinear/DequantizeLinear scales)
                      | "calibrated" (snpe-dlc-quantize on the raw tensors of an input list),
         "inputs":  {name: {"dims": [DLC dims], "onnx_dims": [ONNX dims]}},
         "outputs": {name: {"dims": [...], "onnx_dims": [...]}},
         "htp_cache": null | {"socs": ["sa8255"], "dsp_arch": "v73"},
         "sections": [["network", <bytes>], ["htp_cache", <bytes>]]}
    b"\\n"
    the sections' bytes, in the order listed: "network" is the serialized ONNX ModelProto the CPU and GPU
    runtimes execute; "htp_cache" (after snpe-dlc-graph-prepare) is the same network as ONNX Runtime's
    offline-optimized graph, which the DSP runtime loads instead of preparing the graph itself.

Dims: like SNPE, a DLC keeps 4-D image tensors channel-last. An ONNX input [N, C, H, W] is a DLC input
[N, H, W, C]: raw input files are NHWC float32, and 4-D outputs are written NHWC. Other ranks stay as
they are.

What each tool really does to the network (so precision differences are real on ONNX Runtime):
- `snpe-onnx-to-dlc --float_bitwidth 16`: weights and activations to float16, I/O kept float32.
- `snpe-dlc-quantize`: a float network is quantized to QDQ with the input list's raw tensors as calibration
  data (SNPE's scheme: 8-bit asymmetric activations, symmetric weights, per channel on request); a network
  that came from a QDQ ONNX keeps its encodings (`--override_params`).
- `snpe-dlc-graph-prepare`: ONNX Runtime's offline graph optimization, stored as the HTP cache.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort

from hil.sim.engine import is_qdq, to_fp16

DLC_MAGIC = b"HILSIM-SNPE-DLC\n"
SNPE_VERSION = "2.22.0.240425"
HEADER_KEYS = ("format", "snpe_version", "source_sha256", "commands", "float_bitwidth", "quantized")
# SoCs the emulated snpe-dlc-graph-prepare knows, with their Hexagon (HTP) architecture.
HTP_SOCS = {
    "sa8255": "v73", "sa8295": "v68", "sa8775": "v73", "sm8450": "v69", "sm8550": "v73", "sm8650": "v75",
    "sm8750": "v79", "qcs6490": "v68", "qcs8550": "v73",
}  # fmt: skip

# ONNX operators of the default domain the emulated SNPE 2.22 converter translates (those of SNPE's ONNX
# support list that vision networks use). Any other operator, and any node of another domain, has no
# translation and fails the conversion as the real converter does. Control flow (If, Loop), Einsum and
# NonZero are not translated by SNPE's converter either.
SUPPORTED_OPS = frozenset(
    {
        "Abs", "Add", "And", "ArgMax", "ArgMin", "AveragePool", "BatchNormalization", "Cast", "Ceil", "Clip",
        "Concat", "Constant", "ConstantOfShape", "Conv", "ConvTranspose", "Cos", "CumSum", "DepthToSpace",
        "DequantizeLinear", "Div", "Dropout", "Elu", "Equal", "Erf", "Exp", "Expand", "Flatten", "Floor",
        "GRU", "Gather", "GatherElements", "GatherND", "Gelu", "Gemm", "GlobalAveragePool", "GlobalMaxPool",
        "Greater", "GreaterOrEqual", "GridSample", "HardSigmoid", "HardSwish", "Identity",
        "InstanceNormalization", "LRN", "LSTM", "LayerNormalization", "LeakyRelu", "Less", "LessOrEqual",
        "Log", "LogSoftmax", "MatMul", "Max", "MaxPool", "Mean", "Min", "Mul", "Neg", "Not", "Or", "PRelu",
        "Pad", "Pow", "QuantizeLinear", "Reciprocal", "ReduceL2", "ReduceMax", "ReduceMean", "ReduceMin",
        "ReduceProd", "ReduceSum", "Relu", "Reshape", "Resize", "RoiAlign", "Round", "ScatterElements",
        "ScatterND", "Shape", "Sigmoid", "Sign", "Sin", "Slice", "Softmax", "Softplus", "SpaceToDepth",
        "Split", "Sqrt", "Squeeze", "Sub", "Sum", "Tanh", "Tile", "TopK", "Transpose", "Unsqueeze",
        "Upsample", "Where",
    }
)  # fmt: skip


class DlcFormatError(ValueError):
    """A file that is not a simulated DLC, or a damaged one."""


@dataclass
class Dlc:
    header: dict[str, Any]
    network: bytes  # the serialized ONNX the CPU/GPU runtimes execute
    htp_cache: bytes | None = None
    sections: list[tuple[str, bytes]] = field(default_factory=list)

    def to_bytes(self) -> bytes:
        sections = [("network", self.network)]
        if self.htp_cache is not None:
            sections.append(("htp_cache", self.htp_cache))
        header = {**self.header, "sections": [[name, len(data)] for name, data in sections]}
        line = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return DLC_MAGIC + line + b"\n" + b"".join(data for _, data in sections)

    def write(self, path: str | Path) -> int:
        data = self.to_bytes()
        Path(path).write_bytes(data)
        return len(data)

    def model(self) -> onnx.ModelProto:
        return onnx.load_from_string(self.network)


def parse_dlc(data: bytes, source: str = "dlc") -> Dlc:
    if not data.startswith(DLC_MAGIC):
        raise DlcFormatError(f"{source}: not a DLC (bad magic {data[: len(DLC_MAGIC)]!r})")
    line, newline, rest = data[len(DLC_MAGIC) :].partition(b"\n")
    if not newline:
        raise DlcFormatError(f"{source}: DLC header is not terminated")
    try:
        header = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DlcFormatError(f"{source}: DLC header is not JSON ({exc})") from exc
    if not isinstance(header, dict) or any(k not in header for k in (*HEADER_KEYS, "sections")):
        raise DlcFormatError(f"{source}: DLC header lacks some of {', '.join(HEADER_KEYS)}")
    blobs: dict[str, bytes] = {}
    offset = 0
    for name, size in header.pop("sections"):
        blobs[name] = rest[offset : offset + size]
        if len(blobs[name]) != size:
            raise DlcFormatError(f"{source}: DLC is truncated in its {name} record")
        offset += size
    if "network" not in blobs:
        raise DlcFormatError(f"{source}: DLC is missing mandatory record: model")
    return Dlc(header, blobs["network"], blobs.get("htp_cache"))


def read_dlc(path: str | Path) -> Dlc:
    return parse_dlc(Path(path).read_bytes(), str(path))


# -- conversion ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RejectedNode:
    index: int
    node: onnx.NodeProto

    @property
    def name(self) -> str:
        """The node's name, or the `<op>_<index>` name the converter gives an unnamed node."""
        return self.node.name or f"{self.node.op_type}_{self.index}"

    @property
    def translation(self) -> str:
        return f"onnx_{self.node.op_type.lower()}"


def first_rejected_node(model: onnx.ModelProto) -> RejectedNode | None:
    for index, node in enumerate(model.graph.node):
        if node.domain not in ("", "ai.onnx") or node.op_type not in SUPPORTED_OPS:
            return RejectedNode(index, node)
    return None


def to_dlc_dims(dims: list[int]) -> list[int]:
    """SNPE keeps 4-D image tensors channel-last: NCHW -> NHWC."""
    return [dims[0], dims[2], dims[3], dims[1]] if len(dims) == 4 else list(dims)


def tensor_dims(value: onnx.ValueInfoProto) -> list[int]:
    """Static dims of a graph input or output; an unknown dim (a batch of N) becomes 1, as SNPE fixes it."""
    return [
        d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else 1
        for d in value.type.tensor_type.shape.dim
    ]


def io_dims(model: onnx.ModelProto) -> tuple[dict[str, Any], dict[str, Any]]:
    initializers = {init.name for init in model.graph.initializer}

    def describe(values: Any) -> dict[str, Any]:
        return {
            v.name: {"dims": to_dlc_dims(tensor_dims(v)), "onnx_dims": tensor_dims(v)}
            for v in values
            if v.name not in initializers
        }

    return describe(model.graph.input), describe(model.graph.output)


def convert_network(model: onnx.ModelProto, float_bitwidth: int) -> onnx.ModelProto:
    """The network a fresh DLC holds: the model itself, or its float16 version for --float_bitwidth 16."""
    if float_bitwidth == 16 and not is_qdq(model):
        return to_fp16(model)
    return model


# -- quantization -------------------------------------------------------------------------------------------


class _RawReader:
    """onnxruntime.quantization's CalibrationDataReader over the tensors of an input list."""

    def __init__(self, batches: list[dict[str, np.ndarray]]) -> None:
        self._batches: Iterator[dict[str, np.ndarray]] = iter(batches)

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self._batches, None)


def quantize_network(
    model: onnx.ModelProto, batches: list[dict[str, np.ndarray]], per_channel: bool, act_bits: int = 8
) -> onnx.ModelProto:
    """Static post-training quantization to QDQ, calibrated (min/max, SNPE's default 'tf' mode) on
    `batches` (ONNX layout): asymmetric unsigned activations, symmetric signed weights, per output channel
    on request."""
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static

    activation = QuantType.QUInt16 if act_bits == 16 else QuantType.QUInt8
    with tempfile.TemporaryDirectory(prefix="hilsim-dlc-") as tmp:
        out = Path(tmp) / "quantized.onnx"
        previous = logging.root.manager.disable
        logging.disable(logging.WARNING)  # ORT's pre-processing advice is not SNPE output
        try:
            quantize_static(
                model,
                out,
                _RawReader(batches),
                quant_format=QuantFormat.QDQ,
                per_channel=per_channel,
                activation_type=activation,
                weight_type=QuantType.QInt8,
                extra_options={"ActivationSymmetric": False, "WeightSymmetric": True},
            )
        finally:
            logging.disable(previous)
        return onnx.load(str(out))


@dataclass(frozen=True)
class Encoding:
    """One activation's quantization as snpe-dlc-quantize prints it: min/max/delta/offset at `bw` bits."""

    tensor: str
    bw: int
    min: float
    max: float
    delta: float
    offset: float


def activation_encodings(model: onnx.ModelProto) -> list[Encoding]:
    """The encodings of every activation a QuantizeLinear node quantizes, in graph order."""
    inits = {i.name: onnx.numpy_helper.to_array(i) for i in model.graph.initializer}
    found: list[Encoding] = []
    for node in model.graph.node:
        if node.op_type != "QuantizeLinear" or node.input[0] in inits or len(node.input) < 3:
            continue
        scale = float(np.asarray(inits.get(node.input[1], 1.0)).reshape(-1)[0])
        zero = np.asarray(inits.get(node.input[2], 0))
        bits = 16 if zero.dtype in (np.uint16, np.int16) else 8
        signed = zero.dtype.kind == "i"
        low = -(2 ** (bits - 1)) if signed else 0
        zp = float(zero.reshape(-1)[0])
        offset = low - zp  # SNPE's offset: the integer that real 0.0 maps from, negated
        span = 2**bits - 1
        found.append(Encoding(node.input[0], bits, offset * scale, (offset + span) * scale, scale, offset))
    return found


# -- graph preparation and sessions ------------------------------------------------------------------------


def prepare_htp(network: bytes) -> bytes:
    """ONNX Runtime's offline-optimized graph of `network` (extended level: constant folding and QDQ fusion,
    nothing tied to the host's instruction set), serialized: the emulated HTP cache."""
    with tempfile.TemporaryDirectory(prefix="hilsim-htp-") as tmp:
        out = Path(tmp) / "prepared.onnx"
        options = _options()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
        options.optimized_model_filepath = str(out)
        ort.InferenceSession(network, options, providers=["CPUExecutionProvider"])
        return out.read_bytes()


LEVELS = {
    "none": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
    "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
    "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
}


def _options() -> ort.SessionOptions:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1  # one CPU thread plays the board's accelerator
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return options


def make_session(
    network: bytes, profile_prefix: str | None = None, level: str = "all"
) -> ort.InferenceSession:
    """A one-thread CPU session; `level` is ONNX Runtime's graph optimization ("none", "extended", "all")."""
    options = _options()
    options.graph_optimization_level = LEVELS[level]
    if profile_prefix is not None:
        options.enable_profiling = True
        options.profile_file_prefix = profile_prefix
    return ort.InferenceSession(network, options, providers=["CPUExecutionProvider"])


def nhwc_to_onnx(array: np.ndarray, onnx_dims: list[int]) -> np.ndarray:
    """A raw DLC-layout tensor to the ONNX layout the network takes."""
    if len(onnx_dims) == 4:
        n, c, h, w = onnx_dims
        return np.ascontiguousarray(array.reshape(n, h, w, c).transpose(0, 3, 1, 2))
    return array.reshape(onnx_dims)


def onnx_to_nhwc(array: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(array.transpose(0, 2, 3, 1)) if array.ndim == 4 else array


def element_count(dims: Mapping[str, Any]) -> int:
    return int(np.prod(dims["dims"]))
