"""One diagnosis: a model's FP32 reference, its host QDQ model and (optionally) a board's layer dump, compared
layer by layer on a few frames of the clips, with the first jump, the ranking and the host-vs-board verdict.

    frames_for(model, clips, count) -> Feeds           frames sampled over clips, states and lighting
    write_snpe_inputs(feeds, folder) -> input list     raw DLC-layout inputs for `snpe-net-run --debug`
    diagnose(model, qdq, feeds, snpe_dump=None, rank=True) -> Diagnosis
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import onnx

from hil.artifacts.calibration import sample_calibration
from hil.artifacts.card import load_card
from hil.artifacts.frames import preprocess
from hil.artifacts.quantize import graph_input_spec
from hil.diagnose import host
from hil.diagnose.dumps import read_snpe_debug, read_tidl_traces, read_trt_debug, tensor_shapes
from hil.diagnose.metrics import (
    Contribution,
    LayerError,
    Verdict,
    compare_layers,
    first_jump,
    output_error,
    verdict,
)
from hil.errors import ConfigError

SCHEMA = 1


@dataclass
class Diagnosis:
    model: str
    qdq: str
    frames: int
    host: list[LayerError]
    board: list[LayerError] | None = None
    board_source: str | None = None
    board_command: str | None = None  # the vendor command lines that produced the board's layers
    ranking: list[Contribution] = field(default_factory=list)
    output_error: float | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def host_jump(self) -> LayerError | None:
        return first_jump(self.host)

    @property
    def board_jump(self) -> LayerError | None:
        return first_jump(self.board) if self.board is not None else None

    @property
    def worst(self) -> LayerError | None:
        """The host QDQ layer with the lowest SNR (the first of equals)."""
        return min(self.host, key=lambda e: e.snr_db) if self.host else None

    @property
    def verdict(self) -> Verdict:
        return verdict(self.host, self.board)

    def to_dict(self) -> dict[str, Any]:
        jump_h, jump_b = self.host_jump, self.board_jump
        return {
            "schema": SCHEMA,
            "model": self.model,
            "qdq": self.qdq,
            "frames": self.frames,
            "board_source": self.board_source,
            "board_command": self.board_command,
            "verdict": self.verdict.to_dict(),
            "host_first_jump": jump_h.name if jump_h else None,
            "board_first_jump": jump_b.name if jump_b else None,
            "host_worst": self.worst.name if self.worst else None,
            "output_error": self.output_error,
            "host": [e.to_dict() for e in self.host],
            "board": [e.to_dict() for e in self.board] if self.board is not None else None,
            "ranking": [c.to_dict() for c in self.ranking],
            "seconds": self.seconds,
        }


CANDIDATES_PER_FRAME = 16  # frames screened for each frame diagnosed
MIN_CANDIDATES = 64


def frames_for(model: Path, clips: list[Path], count: int, qdq: Path | None = None) -> host.Feeds:
    """`count` frames from the clips, preprocessed as the model card says. Without `qdq`: frames stratified
    over clips, states and lighting (the calibration sampler's choice, so it is repeatable). With `qdq`:
    the `count` frames, among 16x as many sampled that way, where the QDQ model's outputs differ most from
    FP32 (a loss often lives in a few frames; a diagnosis on frames where nothing is lost shows nothing)."""
    if count < 1:
        raise ConfigError(f"--frames must be at least 1, not {count}")
    if not clips:
        raise ConfigError("no clips to take frames from", hint="pass --clips with one or more .mp4 clips")
    card = load_card(model)
    spec = card.input if card is not None else graph_input_spec(onnx.load(str(model)))
    screened = count if qdq is None else max(count * CANDIDATES_PER_FRAME, MIN_CANDIDATES)
    frames = sample_calibration(clips, screened).frames
    feeds = [{spec.name: preprocess(f, spec)} for f in frames]
    if qdq is None or len(feeds) <= count:
        return feeds[:count]
    reference, quantized = host.run_outputs(model, feeds), host.run_outputs(qdq, feeds)
    errors = [
        output_error({k: [v[i]] for k, v in reference.items()}, {k: [v[i]] for k, v in quantized.items()})
        for i in range(len(feeds))
    ]
    worst = sorted(range(len(feeds)), key=lambda i: -errors[i])[:count]
    return [feeds[i] for i in sorted(worst)]


def write_snpe_inputs(feeds: host.Feeds, folder: Path) -> Path:
    """Each frame as a raw float32 file in DLC layout (4-D inputs channel-last), and their input list."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for i, feed in enumerate(feeds):
        parts = []
        for name, value in feed.items():
            path = folder / f"frame_{i}_{name.replace('/', '_')}.raw"
            array = value.transpose(0, 2, 3, 1) if value.ndim == 4 else value
            np.ascontiguousarray(array, dtype=np.float32).tofile(path)
            parts.append(str(path.resolve()) if len(feed) == 1 else f"{name}:={path.resolve()}")
        lines.append(" ".join(parts))
    listing = folder / "input_list.txt"
    listing.write_text("\n".join(lines) + "\n")
    return listing


def diagnose(
    model: Path,
    qdq: Path,
    feeds: host.Feeds,
    snpe_dump: Path | None = None,
    rank: bool = True,
    tidl_traces: Path | None = None,
    trt_debug: tuple[Path, dict[str, str]] | None = None,
) -> Diagnosis:
    fp32 = onnx.load(str(model))
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    reference = host.reference_tensors(model, feeds)
    host_errors = host.host_qdq_errors(model, qdq, feeds, reference)
    seconds["host"] = round(time.perf_counter() - t0, 3)
    result = Diagnosis(str(model), str(qdq), len(feeds), host_errors, seconds=seconds)
    if snpe_dump is not None or tidl_traces is not None or trt_debug is not None:
        t0 = time.perf_counter()
        shapes, outputs = tensor_shapes(fp32, feeds[0]), [o.name for o in fp32.graph.output]
        if snpe_dump is not None:
            board = read_snpe_debug(snpe_dump, shapes, len(feeds), outputs)
            result.board_source = f"snpe-net-run --debug: {snpe_dump}"
        elif tidl_traces is not None:
            board = read_tidl_traces(tidl_traces, shapes, len(feeds), outputs)
            result.board_source = f"TIDL layer traces (debug_level 4): {tidl_traces}"
        else:
            assert trt_debug is not None
            folder, marks = trt_debug
            board = read_trt_debug(folder, marks, shapes, len(feeds))
            result.board_source = f"trtexec --saveDebugTensors: {folder}"
        result.board = compare_layers(host.layers(fp32), reference, board)
        seconds["board_read"] = round(time.perf_counter() - t0, 3)
    if rank:
        t0 = time.perf_counter()
        full, ranking = host.rank_layers(model, qdq, feeds, host.run_outputs(model, feeds))
        result.output_error, result.ranking = float(f"{full:.6g}"), ranking
        seconds["rank"] = round(time.perf_counter() - t0, 3)
    return result


def trt_marks(fp32: onnx.ModelProto, qdq: onnx.ModelProto) -> dict[str, str]:
    """Tensors of the QDQ network to mark as TensorRT debug tensors -> the FP32 tensor each one is: every
    FP32 layer output a QDQ node produces (a graph output ONNX Runtime's quantizer renamed to
    `<name>_QuantizeLinear_Input` under that name)."""
    produced = {o for n in qdq.graph.node if n.op_type not in host.SKIP_OPS for o in n.output}
    inferred = onnx.shape_inference.infer_shapes(fp32)
    floats = {
        v.name
        for v in [*inferred.graph.value_info, *inferred.graph.output]
        if v.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    }
    marks: dict[str, str] = {}
    for layer in host.layers(fp32):
        if layer.tensor not in floats:
            continue  # shape arithmetic (int64): no activation to compare
        for candidate in (layer.tensor, f"{layer.tensor}_QuantizeLinear_Input"):
            if candidate in produced:
                marks[candidate] = layer.tensor
                break
    return marks
