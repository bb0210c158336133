"""The emulated TIDL at 16 bits is never worse than at 8 bits when both calibrate on the same frames: the
same power-of-2 rule on the same ranges gives a grid at least 256 times finer (TI's simple calibration:
power-of-2 feature-map scales from the calibrated min/max, docs/tidl_fsg_quantization.md)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import onnx
import pytest

from hil.artifacts.card import load_card
from hil.artifacts.frames import preprocess, read_frames
from hil.sim.tidl import partition
from hil.sim.tidl.pipeline import Pipeline, Stage, make_session
from hil.sim.tidl.quantize import pow2_scale, quantize_subgraph

ARTIFACTS = Path(__file__).resolve().parents[3] / "artifacts"


@pytest.mark.parametrize("absmax", [1e-6, 0.0039, 0.5, 0.99, 1.0, 22.94, 127.0, 128.0, 3.3e4])
def test_the_16_bit_grid_is_at_least_256_times_finer_and_covers_the_range(absmax: float) -> None:
    s8, s16 = pow2_scale(absmax, 8), pow2_scale(absmax, 16)
    assert s16 <= s8 / 256
    assert 127 * s8 >= absmax and 32767 * s16 >= absmax  # nothing calibrated clips, at either width
    assert math.log2(s16).is_integer() and math.log2(s8).is_integer()


def _pipeline(model: onnx.ModelProto, segments: list[partition.Segment], parts: dict, outputs: list[str]):
    stages = [Stage(s, make_session(parts[s.name].SerializeToString())) for s in segments]
    return Pipeline(stages, outputs, time_subgraphs=False)


@pytest.mark.parametrize("name", ["dms-small", "dms-face", "dms-eyes"])
def test_on_each_demo_model_16_bit_is_as_close_to_float_as_8_bit_or_closer(name: str) -> None:
    """The compiler's own partition and quantization, 12 calibration frames spread over a clip, 30 other
    frames of it judged: each output's mean error against the float network, 16 bits <= 8 bits."""
    path = ARTIFACTS / "models" / f"{name}.onnx"
    card = load_card(path)
    assert card is not None
    model = onnx.load(str(path))
    for dim, value in zip(model.graph.input[0].type.tensor_type.shape.dim, card.input.shape, strict=True):
        dim.Clear()
        dim.dim_value = value  # TIDL compiles the host's static-shape copy
    _, segments = partition.partition(partition.allowlist(model), 16)
    partition.wire(model, segments)
    types = partition.value_types(model)
    floats = {s.name: partition.segment_model(model, s, types) for s in segments}
    outputs = [o.name for o in model.graph.output]
    reference = _pipeline(model, segments, floats, outputs)
    tensors = np.concatenate(
        [preprocess(f, card.input) for f in read_frames(ARTIFACTS / "clips" / "cabin-02.mp4")]
    )
    calibration, held_out = tensors[::25][:12], tensors[5::10][:30]
    feed = card.input.name
    boundary = [reference.run_all({feed: calibration[i : i + 1]}) for i in range(len(calibration))]
    expected = [reference.run({feed: held_out[i : i + 1]}) for i in range(len(held_out))]
    errors: dict[int, list[float]] = {}
    for bits in (8, 16):
        parts = dict(floats)
        for seg in (s for s in segments if s.tidl):
            feeds = [{n: b[n] for n in seg.inputs} for b in boundary]
            parts[seg.name], _ = quantize_subgraph(floats[seg.name], feeds, bits)
        quantized = _pipeline(model, segments, parts, outputs)
        got = [quantized.run({feed: held_out[i : i + 1]}) for i in range(len(held_out))]
        errors[bits] = [
            float(np.mean([np.abs(e[k] - g[k]).mean() for e, g in zip(expected, got, strict=True)]))
            for k in range(len(outputs))
        ]
    assert all(e16 <= e8 for e8, e16 in zip(errors[8], errors[16], strict=True)), errors
    assert any(e8 > 0 for e8 in errors[8]), errors  # 8 bits really quantized something
