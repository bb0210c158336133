"""Test material shared by the TDA4VM unit and integration tests."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import onnx


def qdq_sibling(model: Path, clip: Path) -> Path:
    """`<model>.int8.onnx`: the model quantized to QDQ int8 by ONNX Runtime on the clip's frames, as
    `hil quantize` would make it (symmetric, per-channel)."""
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static

    cap = cv2.VideoCapture(str(clip))
    feeds = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        gray = cv2.resize(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), (32, 32), interpolation=cv2.INTER_AREA)
        feeds.append({"input": (gray.astype(np.float32) / 255.0)[None, None]})
    cap.release()

    class Reader:
        def __init__(self) -> None:
            self.it = iter(feeds)

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self.it, None)

    out = model.with_name(model.name.removesuffix(".onnx") + ".int8.onnx")
    quantize_static(
        onnx.load(str(model)),
        out,
        Reader(),
        quant_format=QuantFormat.QDQ,
        per_channel=True,
        activation_type=QuantType.QInt8,
        weight_type=QuantType.QInt8,
        extra_options={"ActivationSymmetric": True, "WeightSymmetric": True},
    )
    return out
