"""Output parity: a board's outputs against the host FP32 ONNX Runtime reference on the same frames.

Per output tensor, over the parity frames (see docs/results.md):
- max_abs, mean_abs: largest and mean absolute difference over every value;
- cosine: the mean over frames of the cosine similarity of the frame's flattened output with the
  reference's (1.0 when both are all zeros);
- top1_agreement: the share of frames whose arg-max (over the flattened output) is the reference's; None
  for an output of one value per frame, where an arg-max means nothing.

The parity budget holds when every output meets its precision's floors (PARITY_FLOORS).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ParityFloor:
    cosine: float
    top1_agreement: float


# Documented defaults: FP32 must match the reference up to runtime rounding; FP16 loses ~3 decimal digits;
# INT8 (PTQ) moves logits by a few per cent and may flip a close call now and then.
PARITY_FLOORS: dict[str, ParityFloor] = {
    "fp32": ParityFloor(cosine=0.9999, top1_agreement=0.999),
    "fp16": ParityFloor(cosine=0.999, top1_agreement=0.99),
    # 16-bit fixed point (TIDL tensor_bits 16): a finer grid than FP16's 11-bit mantissa inside its range.
    "int16": ParityFloor(cosine=0.999, top1_agreement=0.99),
    "int8": ParityFloor(cosine=0.98, top1_agreement=0.95),
}


def align(reference: np.ndarray, board: np.ndarray, layout: str = "") -> np.ndarray:
    """The reference as (frames, values) in the board's value order; an NHWC board (SNPE) gets the
    reference's 4-D NCHW outputs transposed to NHWC before flattening."""
    if layout == "NHWC" and reference.ndim == 5:  # (frames, N, C, H, W)
        reference = reference.transpose(0, 1, 3, 4, 2)
    return reference.reshape(reference.shape[0], -1)


def compare(reference: np.ndarray, board: np.ndarray, layout: str = "") -> dict[str, float | None]:
    """Parity figures of one output; both arrays hold the same frames in the same order."""
    ref = align(np.asarray(reference, dtype=np.float64), board, layout)
    got = np.asarray(board, dtype=np.float64).reshape(board.shape[0], -1)
    if ref.shape != got.shape:
        raise ValueError(
            f"the board's output has shape {got.shape[1:]} per frame, the reference {ref.shape[1:]}"
        )
    diff = np.abs(ref - got)
    norms = np.linalg.norm(ref, axis=1) * np.linalg.norm(got, axis=1)
    dots = np.sum(ref * got, axis=1)
    both_zero = (np.linalg.norm(ref, axis=1) == 0) & (np.linalg.norm(got, axis=1) == 0)
    cosines = np.where(both_zero, 1.0, np.divide(dots, norms, out=np.zeros_like(dots), where=norms > 0))
    top1 = None
    if ref.shape[1] > 1:
        top1 = float(np.mean(np.argmax(ref, axis=1) == np.argmax(got, axis=1)))
    return {
        "max_abs": float(diff.max()) if diff.size else 0.0,
        "mean_abs": float(diff.mean()) if diff.size else 0.0,
        "cosine": float(np.mean(cosines)),
        "top1_agreement": top1,
    }


def parity_ok(
    outputs: dict[str, dict[str, float | None]], precision: str, top1: bool = True
) -> tuple[bool, list[str]]:
    """(verdict, failure messages naming output, figure, value and floor) against the precision's floors.
    `top1` False: the top-1 agreement is not judged (boxes, points, values: their arg-max means nothing)."""
    floor = PARITY_FLOORS[precision]
    problems: list[str] = []
    for name, figures in outputs.items():
        cosine, agreement = figures["cosine"], figures["top1_agreement"]
        if cosine is not None and cosine < floor.cosine:
            problems.append(f"parity cosine of {name} {cosine:.6f} < {floor.cosine}")
        if top1 and agreement is not None and agreement < floor.top1_agreement:
            problems.append(f"parity top-1 agreement of {name} {agreement:.4f} < {floor.top1_agreement}")
    return not problems, problems
