"""The host FP32 reference for output parity: the FP32 ONNX on ONNX Runtime (CPU) on the board's frames.

The frames are decoded and preprocessed by the harness's own code (hil.harness.board_harness), with the
model card's input spec (or, without a card, the spec the harness derives from the graph), so the reference
sees the tensors the board saw. Outputs are cached per model x clip for the life of the process: every
board and precision of a run compares against one reference computation.
"""

from __future__ import annotations

import io
import threading
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from hil.harness import board_harness
from hil.measure.decoders import decode_frame
from hil.measure.parity import compare
from hil.measure.tasks import decoded_box_parity
from hil.records import OutputParity, ParityResult
from hil.runs.score import Replay, quality
from hil.runs.suite import Clip, ModelUnderTest

_Key = tuple[str, int, int, str, int, int]
_CACHE: dict[_Key, tuple[list[str], dict[int, list[np.ndarray]]]] = {}
_LOCK = threading.Lock()  # boards run in threads; one computation per model x clip


def _key(model: Path, clip: Path) -> _Key:
    m, c = model.stat(), clip.stat()
    return (str(model.resolve()), m.st_size, m.st_mtime_ns, str(clip.resolve()), c.st_size, c.st_mtime_ns)


def reference_outputs(
    model: ModelUnderTest, clip: Clip, indices: list[int]
) -> tuple[list[str], list[np.ndarray]]:
    """(output names, one array per output stacked over `indices`) of the FP32 model on those frames."""
    key = _key(model.path, clip.path)
    with _LOCK:
        names, frames = _CACHE.get(key, ([], {}))
        missing = [i for i in indices if i not in frames]
        if missing:
            names, computed = _compute(model, clip, max(missing) + 1)
            frames = {**frames, **computed}
            _CACHE[key] = (names, frames)
    absent = [i for i in indices if i not in frames]
    if absent:
        raise ValueError(f"the clip has no frame {absent[0]} for the reference")
    return names, [np.stack([frames[i][k] for i in indices]) for k in range(len(names))]


def _compute(model: ModelUnderTest, clip: Clip, count: int) -> tuple[list[str], dict[int, list[np.ndarray]]]:
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(str(model.path), options, providers=["CPUExecutionProvider"])
    inp = session.get_inputs()[0]
    shape = [d if isinstance(d, int) and d > 0 else 1 for d in inp.shape]
    # What the board was told to feed (the card's input, or the shape given with --input-shape, in its
    # layout), never the graph's own dims: a dynamic dim is 1 there, a 1x1 image of a channels-last model.
    spec: dict[str, Any] = model.input_spec() or board_harness.default_spec(shape)
    names = [o.name for o in session.get_outputs()]
    out: dict[int, list[np.ndarray]] = {}
    for index, (frame, _) in enumerate(board_harness.frames_from_clip(str(clip.path))):
        if index >= count:
            break
        tensor = board_harness.preprocess(frame, spec)
        out[index] = [np.asarray(x, dtype=np.float32) for x in session.run(None, {inp.name: tensor})]
    return names, out


def board_parity(
    model: ModelUnderTest, clip: Clip, npz: bytes, summary: dict[str, Any]
) -> ParityResult | None:
    """Parity of the outputs the harness saved (.npz: index, out0, out1, ...) against the reference.

    Board outputs are matched to the reference's by name when the names agree (SNPE writes files in name
    order), else by position. None when the harness kept no frame.
    """
    with np.load(io.BytesIO(npz)) as data:
        indices = [int(i) for i in data["index"]]
        board = [data[f"out{k}"] for k in range(len(data.files) - 1)]
    if not indices or not board:
        return None
    names, reference = reference_outputs(model, clip, indices)
    board_names = [str(n) for n in summary.get("output_names") or []]
    if sorted(board_names) == sorted(names) and len(board_names) == len(board):
        by_name = dict(zip(board_names, board, strict=True))
        board = [by_name[n] for n in names]
    if len(board) != len(names):
        raise ValueError(
            f"the board returned {len(board)} outputs, the model has {len(names)}: {', '.join(names)}"
        )
    layout = str(summary.get("output_layout") or "")
    outputs = {
        name: OutputParity.model_validate(compare(ref, got, layout))
        for name, ref, got in zip(names, reference, board, strict=True)
    }
    return ParityResult(reference="host-fp32", frames=len(indices), outputs=outputs)


BOX_PARITY_FRAMES = 32  # the first processed frames whose boxes are compared with the reference's


def board_box_parity(
    model: ModelUnderTest, clip: Clip, decoded: dict[int, dict[str, Any]]
) -> dict[str, float | int | None] | None:
    """A detector's boxes as the board decoded them against the host FP32 reference's boxes, decoded by the
    same code (hil.measure.decoders) on the first processed frames; None for other tasks."""
    card, spec = model.card, model.task_spec()
    if card is None or spec is None or card.task != "detection" or not decoded:
        return None
    indices = sorted(decoded)[:BOX_PARITY_FRAMES]
    names, stacked = reference_outputs(model, clip, indices)
    reference = []
    for k, index in enumerate(indices):
        size = decoded[index].get("frame_size") or _frame_size(clip)
        outputs = {name: stacked[n][k] for n, name in enumerate(names)}
        reference.append(decode_frame(spec, outputs, (int(size[0]), int(size[1]))))
    return decoded_box_parity(card, reference, [decoded[i] for i in indices])


def _frame_size(clip: Clip) -> tuple[int, int]:
    for frame, _ in board_harness.frames_from_clip(str(clip.path)):
        return board_harness.frame_size_of(frame)
    raise ValueError(f"the clip {clip.name} has no frames")


def reference_quality(model: ModelUnderTest, clip: Clip, replay: Replay) -> dict[str, Any] | None:
    """quality() of the host FP32 reference on exactly the frames the board processed: the other side of
    the loss gate. The reference's class is the arg-max of the card's output (the harness's rule); a
    detector's, landmark or regression model's outputs are decoded by the same code as the board's
    (hil.measure.decoders), at the frame size the board decoded at. None without a card or frames."""
    if model.card is None or not replay.samples:
        return None
    indices = [s.index for s in replay.samples]
    names, stacked = reference_outputs(model, clip, indices)
    first = names.index(model.card.output) if model.card.output in names else 0
    spec = model.task_spec()
    samples = []
    decoded: dict[int, dict[str, Any]] = {}
    for k, sample in enumerate(replay.samples):
        outputs = {name: stacked[n][k] for n, name in enumerate(names)}
        flat = outputs[names[first]].reshape(-1)
        samples.append(sample.model_copy(update={"predicted": int(np.argmax(flat)) if flat.size else None}))
        if spec is not None:
            size = (replay.decoded.get(sample.index) or {}).get("frame_size") or _frame_size(clip)
            frame_size = (int(size[0]), int(size[1]))
            decoded[sample.index] = {
                **decode_frame(spec, outputs, frame_size),
                "frame_size": list(frame_size),
            }
    return quality(Replay(samples, {}, decoded), model, clip)
