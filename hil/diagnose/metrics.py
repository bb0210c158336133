"""Per-layer comparison of a reduced-precision network with its FP32 reference: pure functions on arrays.

    compare_layers(layers, reference, test) -> list[LayerError]      every layer, in graph order
    first_jump(errors, drop_db=JUMP_DB) -> LayerError | None         where the error first jumps
    rank_contributions(full_error, without) -> list[Contribution]    which layers explain the output error

A *layer* is an ONNX node of the FP32 model, named as in that model, whose first output is a float tensor;
`reference[tensor]` and `test[tensor]` are that tensor on the same frames (one array per frame, any shape,
compared flattened). Three figures per layer, the ones every vendor debugger prints (Polygraphy's
`--check-error-stat`, Qualcomm's accuracy debugger, ONNX Runtime's `qdq_loss_debug`):

- cosine similarity of the two tensors (1 = same direction; robust to a uniform scale),
- SNR in dB, 20 log10(||ref|| / ||ref - test||): the formula of ONNX Runtime's
  `qdq_loss_debug.compute_signal_to_quantization_noice_ratio`, so host and board numbers agree with it,
- the largest absolute difference.

The first jump is the first layer whose SNR falls under a floor (20 dB: noise at a tenth of the signal;
a healthy INT8 layer keeps 30-45 dB) in a step of at least 6 dB (one bit) from the layer before it, else the
first layer under the floor. Ranking is one-at-a-time
sensitivity: the output error of the whole quantized model, minus the output error with one layer's
quantization removed, as a share of the whole. This is the "partial quantization" analysis of Wu et al.,
*Integer Quantization for Deep Learning Inference: Principles and Empirical Evaluation* (NVIDIA, 2020,
arXiv:2004.09602, section 6.1), and what Polygraphy's `debug precision` and TIDL's and QNN's mixed-precision
guides do by hand. Shares need not add to 1: errors of different layers interact.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

JUMP_DB = 6.0  # one bit of resolution lost in one step
FLOOR_DB = 20.0  # noise at a tenth of the signal; a healthy INT8 layer keeps 30-45 dB
SNR_CAP_DB = 200.0  # identical tensors: a finite number, so JSON stays valid
_EPS = float(np.finfo(np.float32).eps)

Arrays = Sequence[npt.NDArray[Any]]


@dataclass(frozen=True)
class Layer:
    """One ONNX node of the FP32 model: its name, op type and the output tensor compared."""

    name: str
    op: str
    tensor: str


@dataclass(frozen=True)
class LayerError:
    depth: int  # position among the compared layers, 0 = nearest the input
    name: str
    op: str
    tensor: str
    cosine: float
    snr_db: float
    max_abs: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Contribution:
    name: str
    share: float  # of the full model's output error removed by keeping this layer at full precision
    error_without: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _flat(arrays: Arrays) -> npt.NDArray[np.float64]:
    if not len(arrays):
        raise ValueError("no frames to compare")
    return np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays])


def cosine(reference: Arrays, test: Arrays) -> float:
    ref, got = _pair(reference, test)
    nr, ng = float(np.linalg.norm(ref)), float(np.linalg.norm(got))
    if nr < _EPS and ng < _EPS:
        return 1.0
    if nr < _EPS or ng < _EPS:
        return 0.0
    return float(np.dot(ref, got) / (nr * ng))


def snr_db(reference: Arrays, test: Arrays) -> float:
    ref, got = _pair(reference, test)
    signal = max(float(np.linalg.norm(ref)), _EPS)
    noise = float(np.linalg.norm(ref - got))
    if noise <= signal * 10 ** (-SNR_CAP_DB / 20):
        return SNR_CAP_DB
    return 20 * math.log10(signal / noise)


def max_abs(reference: Arrays, test: Arrays) -> float:
    ref, got = _pair(reference, test)
    return float(np.max(np.abs(ref - got))) if ref.size else 0.0


def _pair(reference: Arrays, test: Arrays) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    ref, got = _flat(reference), _flat(test)
    if ref.shape != got.shape:
        raise ValueError(f"tensor sizes differ: reference {ref.size} values, test {got.size}")
    return ref, got


def compare_layers(
    layers: Sequence[Layer], reference: Mapping[str, Arrays], test: Mapping[str, Arrays]
) -> list[LayerError]:
    """Every layer present in both, in the given (graph) order; a layer missing on either side is skipped
    (a converter fuses layers: a fused Conv+Relu leaves no Conv output to compare)."""
    out: list[LayerError] = []
    for layer in layers:
        if layer.tensor not in reference or layer.tensor not in test:
            continue
        ref, got = reference[layer.tensor], test[layer.tensor]
        out.append(
            LayerError(
                depth=len(out),
                name=layer.name,
                op=layer.op,
                tensor=layer.tensor,
                cosine=round(cosine(ref, got), 6),
                snr_db=round(snr_db(ref, got), 3),
                max_abs=float(f"{max_abs(ref, got):.6g}"),
            )
        )
    return out


def first_jump(
    errors: Sequence[LayerError], drop_db: float = JUMP_DB, floor_db: float = FLOOR_DB
) -> LayerError | None:
    """The first layer whose SNR is under `floor_db` and at least `drop_db` below the layer before it (the
    first layer: under the floor is enough); failing that, the first layer under the floor (a slide, not a
    step); None when every layer stays above the floor. INT8 layers that each lose a little stay above it."""
    below = [i for i, err in enumerate(errors) if err.snr_db < floor_db]
    for i in below:
        if i == 0 or errors[i].snr_db <= errors[i - 1].snr_db - drop_db:
            return errors[i]
    return errors[below[0]] if below else None


def output_error(reference: Mapping[str, Arrays], test: Mapping[str, Arrays]) -> float:
    """The error of a model's outputs: mean squared difference over every output value, all outputs
    together (the noise power the SNR divides by)."""
    if not reference:
        raise ValueError("no outputs to compare")
    total, count = 0.0, 0
    for name, ref_arrays in reference.items():
        if name not in test:
            raise ValueError(f"output {name} is missing from the test run")
        ref, got = _pair(ref_arrays, test[name])
        total += float(np.sum((ref - got) ** 2))
        count += ref.size
    return total / max(count, 1)


def rank_contributions(full_error: float, without: Mapping[str, float]) -> list[Contribution]:
    """Layers by the share of `full_error` (the quantized model's output error) that keeping each at full
    precision removes (`without[name]` = the output error then), largest first; a layer whose removal makes
    the output worse has a negative share and sorts last."""
    ranked = [
        Contribution(
            name=name,
            share=round((full_error - err) / full_error, 6) if full_error > 0 else 0.0,
            error_without=float(f"{err:.6g}"),
        )
        for name, err in without.items()
    ]
    return sorted(ranked, key=lambda c: (-c.share, c.name))


@dataclass(frozen=True)
class Verdict:
    """Where the loss comes from: "converter" (the board falls behind the host QDQ model at `layer`),
    "quantization" (the host QDQ model itself jumps at `layer`), or "none" (both track FP32)."""

    source: str
    layer: str | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def verdict(
    host: Sequence[LayerError], board: Sequence[LayerError] | None, drop_db: float = JUMP_DB
) -> Verdict:
    """Host QDQ and board errors of the same layers against FP32 -> where the loss comes from. The board is
    to blame from the first layer where it is at least `drop_db` below the host QDQ model; otherwise the
    quantization is, if the host QDQ model has a first jump."""
    if board is not None:
        host_by_name = {e.name: e for e in host}
        for err in board:
            ref = host_by_name.get(err.name)
            if ref is not None and err.snr_db <= ref.snr_db - drop_db:
                return Verdict(
                    "converter",
                    err.name,
                    f"the board is {ref.snr_db - err.snr_db:.1f} dB below the host QDQ model at {err.name} "
                    f"({err.snr_db:.1f} vs {ref.snr_db:.1f} dB SNR against FP32)",
                )
    jump = first_jump(host)
    if jump is not None:
        return Verdict(
            "quantization",
            jump.name,
            f"the host QDQ model itself falls to {jump.snr_db:.1f} dB SNR at {jump.name}"
            + ("; the board follows it" if board is not None else ""),
        )
    return Verdict("none", None, "every layer stays within 6 dB of the host QDQ model and above 20 dB SNR")
