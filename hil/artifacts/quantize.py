"""Host-side FP16 and INT8 variants of an FP32 ONNX model, each with its model card.

- FP16: every float tensor and op to float16 with ONNX Runtime's converter, inputs and outputs kept
  float32 (`keep_io_types`), so the replay path feeds all precisions the same tensor.
- INT8: static post-training quantization to QDQ ONNX (QuantizeLinear/DequantizeLinear pairs), which
  TensorRT, QNN and TIDL all import. Shape inference and graph clean-up first (`quant_pre_process`, as ONNX
  Runtime recommends), then `quantize_static` with per-channel int8 weights and int8 activations whose
  ranges come from a calibration set. Activations are symmetric by default (zero point 0), because
  TensorRT accepts nothing else. Weights use 7 of their 8 bits by default (`reduce_range`): ONNX Runtime's
  int8 convolution on x86 CPUs without VNNI (AVX2 only) multiplies with vpmaddubsw, whose 16-bit pair sums
  saturate with full-range weights and inputs (the demo model fell from 98 % to 66 % that way, while the
  same QDQ graph evaluated unfused scored 98 %). 7-bit weights cannot saturate there, cost little
  accuracy, and remain plain int8 for every board toolchain.
- The output head of a landmark or regression model stays float: its last weighted layer (Conv, Gemm or
  MatMul) and everything after it. Coordinates squeezed through a symmetric int8 grid move by up to 1/254
  of the input width (half a pixel at 64 px): dms-eyes lost 23 % of its NME that way, 2.5 % with the head
  float. Keeping the first or last layer in higher precision is the vendors' standard remedy (TensorRT
  per-layer precision, QNN/TIDL mixed precision); classifiers and detectors are quantized whole.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import onnx
from google.protobuf.message import DecodeError
from onnxruntime.quantization import (
    CalibrationDataReader,
    CalibrationMethod,
    QuantFormat,
    QuantType,
    quantize_static,
)
from onnxruntime.quantization.shape_inference import quant_pre_process
from onnxruntime.transformers.float16 import convert_float_to_float16

from hil.artifacts.calibration import CalibrationSet
from hil.artifacts.card import InputSpec, ModelCardSpec, card_path, load_card, write_card
from hil.artifacts.frames import preprocess
from hil.errors import ArtifactError, ConfigError

Target = Literal["fp16", "int8"]
METHODS = {
    "minmax": CalibrationMethod.MinMax,
    "entropy": CalibrationMethod.Entropy,
    "percentile": CalibrationMethod.Percentile,
}


@dataclass
class QuantizeResult:
    precision: str
    path: Path
    card: Path | None
    bytes: int


def load_onnx(model: Path) -> onnx.ModelProto:
    """The parsed, checked model; an ArtifactError for a missing file or one that is not ONNX."""
    if not model.is_file():
        raise ArtifactError(f"model {model} does not exist")
    try:
        proto = onnx.load(str(model))
        onnx.checker.check_model(proto)
    except (DecodeError, onnx.checker.ValidationError, ValueError, RuntimeError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ArtifactError(
            f"{model} is not a valid ONNX model: {reason}",
            hint="pass the .onnx file exported from your training framework",
        ) from exc
    if not proto.graph.node:
        raise ArtifactError(f"{model} is not a valid ONNX model: its graph is empty")
    return proto


def graph_input_spec(proto: onnx.ModelProto) -> InputSpec:
    """An input spec read from the graph, for a model without a card: gray NCHW when it has 1 channel."""
    inputs = [i for i in proto.graph.input if i.name not in {t.name for t in proto.graph.initializer}]
    if not inputs:
        raise ArtifactError("the model has no graph input")
    dims = [d.dim_value if d.dim_value > 0 else 1 for d in inputs[0].type.tensor_type.shape.dim]
    if len(dims) != 4:
        raise ArtifactError(f"input {inputs[0].name} has shape {dims}; hil feeds 4-D image tensors")
    nhwc = dims[3] in (1, 3) and dims[1] not in (1, 3)
    channels = dims[3] if nhwc else dims[1]
    return InputSpec(
        name=inputs[0].name,
        shape=dims,
        layout="NHWC" if nhwc else "NCHW",
        colour="gray" if channels == 1 else "rgb",
        mean=[0.0] * channels,
        std=[1.0] * channels,
    )


def input_spec(model: Path, proto: onnx.ModelProto | None = None) -> tuple[InputSpec, ModelCardSpec | None]:
    card = load_card(model)
    if card is not None:
        return card.input, card
    return graph_input_spec(proto if proto is not None else load_onnx(model)), None


def default_output(model: Path, precision: str) -> Path:
    """`dms-small.onnx` -> `dms-small.int8.onnx`, beside it."""
    return model.with_name(f"{model.name.removesuffix('.onnx')}.{precision}.onnx")


def _derived_card(
    model: Path, out: Path, card: ModelCardSpec | None, precision: Target, calibration: str | None
) -> Path | None:
    if card is None:
        return None
    if card.precision != "fp32":
        raise ConfigError(f"{model} is already {card.precision}; quantize the FP32 model it came from")
    update = {"precision": precision, "source": card_path(model).name, "calibration": calibration}
    return write_card(out, card.model_copy(update=update))


def to_fp16(model: Path, out: Path | None = None) -> QuantizeResult:
    proto = load_onnx(model)
    _, card = input_spec(model, proto)
    out = out or default_output(model, "fp16")
    converted = convert_float_to_float16(proto, keep_io_types=True)
    _toposort(converted.graph)
    converted.doc_string = f"FP16 of {model.name} (hil quantize)"
    onnx.save(converted, str(out))
    return QuantizeResult("fp16", out, _derived_card(model, out, card, "fp16", None), out.stat().st_size)


def _toposort(graph: onnx.GraphProto) -> None:
    """Reorder nodes so each comes after its inputs' producers. The FP16 converter appends the Cast nodes
    of `keep_io_types` at the end, which ONNX Runtime tolerates but the ONNX checker (and some board
    converters) reject."""
    ready = {i.name for i in graph.input} | {t.name for t in graph.initializer} | {""}
    pending, ordered = list(graph.node), []
    while pending:
        progress = [n for n in pending if all(i in ready for i in n.input)]
        if not progress:
            raise ArtifactError("the converted graph has a cycle or an input nothing produces")
        for node in progress:
            ordered.append(node)
            ready.update(node.output)
        pending = [n for n in pending if n not in progress]
    del graph.node[:]
    graph.node.extend(ordered)


class _FrameReader(CalibrationDataReader):
    """Feeds the calibration frames, preprocessed per the model card, one at a time."""

    def __init__(self, frames: list[np.ndarray], spec: InputSpec) -> None:
        self._spec = spec
        self._frames = frames
        self._it: Iterator[np.ndarray] = iter(frames)

    def get_next(self) -> dict[str, np.ndarray] | None:
        frame = next(self._it, None)
        return None if frame is None else {self._spec.name: preprocess(frame, self._spec)}

    def rewind(self) -> None:
        self._it = iter(self._frames)


WEIGHTED = frozenset({"Conv", "Gemm", "MatMul", "ConvTranspose"})


def _regresses(card: ModelCardSpec | None) -> bool:
    return card is not None and card.task in ("landmarks", "regression")


def float_head(model: onnx.ModelProto) -> list[str]:
    """Names of the nodes from the last weighted layer to the end of the graph (in topological order)."""
    nodes = list(model.graph.node)
    last = max((i for i, n in enumerate(nodes) if n.op_type in WEIGHTED), default=None)
    return [] if last is None else [n.name for n in nodes[last:] if n.name]


def to_int8(
    model: Path,
    calibration: CalibrationSet,
    out: Path | None = None,
    method: str = "minmax",
    symmetric_activations: bool = True,
    reduce_range: bool = True,
    keep: Sequence[str] = (),
) -> QuantizeResult:
    """`keep`: nodes left in float (ONNX Runtime's `nodes_to_exclude`): the host's way of keeping layers at
    the higher precision (docs/diagnose.md)."""
    proto = load_onnx(model)
    spec, card = input_spec(model, proto)
    if method not in METHODS:
        raise ConfigError(f"unknown calibration method {method!r}; choose one of {', '.join(METHODS)}")
    if not calibration.frames:
        raise ConfigError("the calibration set is empty")
    out = out or default_output(model, "int8")
    with tempfile.TemporaryDirectory(prefix="hil-quant-") as tmp:
        prepared = Path(tmp) / "prepared.onnx"
        # Symbolic shape inference needs sympy and adds nothing for the static shapes hil feeds.
        quant_pre_process(str(model), str(prepared), skip_symbolic_shape=True)
        prepared_proto = onnx.load(str(prepared))
        names = {n.name for n in prepared_proto.graph.node}
        unknown = [k for k in keep if k not in names]
        if unknown:
            raise ConfigError(
                f"--keep names {unknown[0]!r}, which is no node of {model.name} (after ONNX Runtime's "
                "pre-processing)",
                hint=f"name nodes as `hil diagnose {model}` prints them",
            )
        excluded = [*(float_head(prepared_proto) if _regresses(card) else []), *keep]
        quantize_static(
            str(prepared),
            str(out),
            _FrameReader(calibration.frames, spec),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            reduce_range=reduce_range,
            activation_type=QuantType.QInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=METHODS[method],
            extra_options={"ActivationSymmetric": symmetric_activations, "WeightSymmetric": True},
            nodes_to_exclude=list(dict.fromkeys(excluded)) or None,
        )
    name = calibration.manifest.get("name", "calibration")
    head = ", output head float" if _regresses(card) else ""
    head += f", kept float: {', '.join(keep)}" if keep else ""
    label = f"{name}@{calibration.digest} ({method}, {7 if reduce_range else 8}-bit weights{head})"
    return QuantizeResult("int8", out, _derived_card(model, out, card, "int8", label), out.stat().st_size)


def quantize(
    model: Path,
    precision: Target,
    calibration: CalibrationSet | None = None,
    out: Path | None = None,
    method: str = "minmax",
    reduce_range: bool = True,
    keep: Sequence[str] = (),
) -> QuantizeResult:
    if precision == "fp16":
        return to_fp16(model, out)
    if calibration is None:
        raise ConfigError(
            "INT8 needs a calibration set",
            hint="make one with `hil calibrate --clips CLIPS --frames 300 --out DIR`; pass --calibration DIR",
        )
    return to_int8(model, calibration, out, method, reduce_range=reduce_range, keep=keep)
