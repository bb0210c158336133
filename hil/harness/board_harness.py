#!/usr/bin/env python3
"""hil's on-board harness: decode a clip, preprocess, infer, postprocess, and time each stage per frame.

Runs ON the board, so it imports nothing from hil but the shared decoders pushed beside it
(hil.harness.SHARED, standard library and numpy): the Python standard library and numpy, plus OpenCV and
the board's runtime where present (TensorRT's Python API on a Jetson; ONNX Runtime for simulated engines
and plain ONNX models). Writes one JSON object per frame to --out, then a final {"summary": ...} line.

    python3 board_harness.py --engine m.engine --clip cabin.mp4 --out frames.jsonl --warmup 10

Timing (see docs/results.md): every processed frame records `start_s` (before its decode) and `end_s`
(after its postprocess), seconds from the harness's origin; the summary gives the origin as wall-clock
`origin_epoch` and the timed replay window (first timed frame's start to the last frame's end) as epoch
`windows`, so power samples can be cut to it. Model load happens before the origin and is never in it.

Camera-paced replay (--fps F): frame i arrives at a_i = a_0 + i/F (a_0: when the first frame is taken).
A frame is processed no earlier than its arrival; its deadline is its successor's arrival. A frame the
pipeline would start only after its successor has arrived is dropped, as a camera pipeline with a
one-frame buffer drops it (it is read to advance the video, not processed). `due_s` is a_i.

Scoring: `predicted` is the argmax of output 0 (a classifier's class). With --task-json (the card's task as
hil.measure.tasks.task_spec writes it) each frame is also decoded on the board by hil.measure.decoders, in
the postprocess stage, and its record carries `decoded` ({"boxes"}, {"points"} or {"values"}, in pixels of
the frame) and `frame_size` [W, H]: only what scoring needs comes back, whatever the size of the outputs.

Parity: every output of the first --parity-frames processed frames (bounded to PARITY_MAX_BYTES in all) is
saved to --parity-out (.npz: `index`, `out0`, `out1`, ... in the runtime's output order; names in the
summary).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

try:  # on the host, the package; on a board the bundle is flat and runtimes.py sits beside this file
    from hil.harness.runtimes import load_backend
except ImportError:
    from runtimes import load_backend  # type: ignore[no-redef]

PARITY_FRAMES = 32  # processed frames whose every output is kept for the parity check
A = TypeVar("A")
B = TypeVar("B")
PARITY_MAX_BYTES = 16 * 1024 * 1024  # fewer frames are kept when their outputs would exceed this


def zip_exact(a: Sequence[A], b: Sequence[B]) -> list[tuple[A, B]]:
    """zip(a, b, strict=True) for the boards' Python 3.8: pairs, or ValueError when the lengths differ."""
    if len(a) != len(b):
        raise ValueError(f"zip_exact: {len(a)} items against {len(b)}")
    return list(zip(a, b))


# -- input frames ----------------------------------------------------------------------------------------


def frames_from_clip(path: str) -> Iterator[tuple[np.ndarray, float]]:
    """(BGR or gray frame, decode milliseconds) per frame, decoded with OpenCV."""
    import cv2

    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        raise SystemExit(f"harness: cannot open clip {path} (not a video OpenCV can decode)")
    while True:
        t0 = time.perf_counter()
        ok, frame = cap.read()
        dt = (time.perf_counter() - t0) * 1000.0
        if not ok:
            break
        yield frame, dt
    cap.release()


def frames_from_npy(path: str) -> Iterator[tuple[np.ndarray, float]]:
    """Frames the host decoded (for boards without a decoder); 'decode' is then the array read."""
    frames = np.load(path, mmap_mode="r")
    for i in range(frames.shape[0]):
        t0 = time.perf_counter()
        frame = np.ascontiguousarray(frames[i])
        yield frame, (time.perf_counter() - t0) * 1000.0


# -- preprocessing (must match hil.artifacts.frames on the host) -----------------------------------------


def resize(img: np.ndarray, width: int, height: int) -> np.ndarray:
    try:
        import cv2

        return np.asarray(cv2.resize(img, (width, height), interpolation=cv2.INTER_AREA))
    except ImportError:  # nearest neighbour without OpenCV
        ys = (np.arange(height) * img.shape[0] / height).astype(int)
        xs = (np.arange(width) * img.shape[1] / width).astype(int)
        return img[ys][:, xs]


def to_colour(frame: np.ndarray, colour: str) -> np.ndarray:
    """OpenCV decodes BGR; gray frames from .npy arrive 2-D."""
    if frame.ndim == 2:
        return frame if colour == "gray" else np.repeat(frame[:, :, None], 3, axis=2)
    if colour == "gray":
        try:
            import cv2

            return np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))
        except ImportError:  # OpenCV's own weights, rounded
            b, g, r = frame[..., 0], frame[..., 1], frame[..., 2]
            return np.clip(0.114 * b + 0.587 * g + 0.299 * r + 0.5, 0, 255).astype(np.uint8)
    return frame[..., ::-1] if colour == "rgb" else frame


def preprocess(frame: np.ndarray, spec: dict[str, Any]) -> np.ndarray:
    _, a, b, c = spec["shape"]
    nchw = spec.get("layout", "NCHW") == "NCHW"
    height, width = (b, c) if nchw else (a, b)
    img = resize(to_colour(frame, spec.get("colour", "gray")), width, height).astype(np.float32)
    if img.ndim == 2:
        img = img[:, :, None]
    mean = np.asarray(spec.get("mean", [0.0]), dtype=np.float32)
    std = np.asarray(spec.get("std", [1.0]), dtype=np.float32)
    img = (img * np.float32(spec.get("scale", 1.0 / 255.0)) - mean) / std
    if nchw:
        img = img.transpose(2, 0, 1)
    return np.ascontiguousarray(img[None, ...].astype(np.float32))


# -- decoding for scoring (hil.measure.decoders, pushed beside this file) ---------------------------------

if TYPE_CHECKING:  # Python 3.8 on boards: aliases of builtin generics only for the type checker
    Decoder = Callable[[list[np.ndarray], list[str], tuple[int, int]], dict[str, Any]]


def task_decoder(task_json: str) -> Decoder | None:
    """Per frame (outputs, output names, frame (W, H)) -> the decoded result to send back; None without a
    task (a classifier, or a model without a card)."""
    if not task_json:
        return None
    from hil.measure.decoders import decode_frame, rounded  # the bundle's copy on a board

    spec = json.loads(task_json)

    def run(outputs: list[np.ndarray], names: list[str], frame_size: tuple[int, int]) -> dict[str, Any]:
        try:
            return rounded(decode_frame(spec, dict(zip_exact(names, outputs)), frame_size))
        except (ValueError, KeyError, IndexError) as exc:
            raise SystemExit(
                f"harness: error: the model card's {spec.get('task')} section does not fit the outputs "
                f"({', '.join(names)}): {exc}"
            ) from exc

    return run


def frame_size_of(frame: np.ndarray) -> tuple[int, int]:
    return int(frame.shape[1]), int(frame.shape[0])


# -- the replay loop ------------------------------------------------------------------------------------


def default_spec(shape: list[int]) -> dict[str, Any]:
    """A model without a card: input read from the graph, frames resized to it, gray if one channel."""
    nchw = shape[1] in (1, 3)
    channels = shape[1] if nchw else shape[3]
    return {
        "shape": shape,
        "layout": "NCHW" if nchw else "NHWC",
        "colour": "gray" if channels == 1 else "rgb",
        "scale": 1.0 / 255.0,
        "mean": [0.0],
        "std": [1.0],
    }


def process_start_epoch() -> float:
    """Wall-clock time this process started (Linux /proc, ~10 ms), before the interpreter loaded anything:
    the end of the idle power window. Falls back to now."""
    try:
        with open("/proc/self/stat") as fh:
            ticks = int(fh.read().rsplit(")", 1)[1].split()[19])  # field 22, starttime in clock ticks
        with open("/proc/uptime") as fh:
            uptime = float(fh.read().split()[0])
        return time.time() - (uptime - ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return time.time()


class ParityKeeper:
    """Every output of the first processed frames, bounded in count and bytes, for the host's parity check."""

    def __init__(self, frames: int) -> None:
        self.frames = frames
        self.index: list[int] = []
        self.outputs: list[list[np.ndarray]] = []
        self.bytes = 0

    def keep(self, index: int, outputs: list[np.ndarray]) -> None:
        size = sum(o.nbytes for o in outputs)
        if len(self.index) >= self.frames or self.bytes + size > PARITY_MAX_BYTES:
            return
        self.index.append(index)
        self.outputs.append([np.array(o, dtype=np.float32) for o in outputs])
        self.bytes += size

    def save(self, path: str) -> None:
        arrays: dict[str, Any] = {"index": np.asarray(self.index, dtype=np.int64)}
        if self.outputs:
            for k in range(len(self.outputs[0])):
                arrays[f"out{k}"] = np.stack([frame[k] for frame in self.outputs])
        with open(path, "wb") as fh:
            np.savez(fh, **arrays)


if TYPE_CHECKING:
    Slot = tuple[float, float, float | None]


def camera_schedule(durations_s: list[float], period_s: float) -> list[Slot | None]:
    """(start, end, due) of each frame run one after another on one pipeline, or None for a dropped frame.

    Free run (period 0): each frame starts when the previous one ends. Camera-paced: the rules of replay()
    above, applied to measured per-frame durations (for runtimes that process a batch, like snpe-net-run).
    """
    out: list[Slot | None] = []
    free = 0.0  # when the pipeline is free again
    for i, duration in enumerate(durations_s):
        if not period_s:
            out.append((free, free + duration, None))
            free += duration
            continue
        due = i * period_s
        if free >= due + period_s:
            out.append(None)
            continue
        start = max(free, due)
        free = start + duration
        out.append((start, free, due))
    return out


def timed_window(records: list[dict[str, Any]], origin_epoch: float) -> list[list[float]]:
    """[[epoch of the first timed frame's start, epoch of the last frame's end]]; [] with no timed frame."""
    timed = [r for r in records if not r["warmup"]]
    if not timed:
        return []
    return [[round(origin_epoch + timed[0]["start_s"], 6), round(origin_epoch + timed[-1]["end_s"], 6)]]


def replay(args: argparse.Namespace) -> int:
    launched_epoch = process_start_epoch()  # the idle power window ends here
    backend = load_backend(args.engine, args.threads, args.backend, args.backend_options)
    spec = json.loads(args.input_json) if args.input_json else default_spec(backend.input_shape)
    frames = iter(frames_from_npy(args.frames) if args.frames else frames_from_clip(args.clip))
    period = 1.0 / args.fps if args.fps > 0 else 0.0
    parity = ParityKeeper(args.parity_frames if args.parity_out else 0)
    decoder = task_decoder(args.task_json)
    names = list(backend.output_names)
    records: list[dict[str, Any]] = []
    dropped: list[int] = []
    origin, origin_epoch = time.perf_counter(), time.time()
    first_arrival: float | None = None
    with open(args.out, "w") as out:
        index = -1
        while not (args.max_frames and index + 1 >= args.max_frames):
            index += 1
            due = None
            if period:
                now = time.perf_counter()
                first_arrival = now if first_arrival is None else first_arrival
                due = first_arrival + index * period
                if now >= due + period:  # its successor has arrived: a camera pipeline drops this frame
                    if next(frames, None) is None:
                        break
                    dropped.append(index)
                    continue
                if now < due:
                    time.sleep(due - now)
            t_start = time.perf_counter()
            item = next(frames, None)
            if item is None:
                break
            frame, decode_ms = item
            t0 = time.perf_counter()
            tensor = preprocess(frame, spec)
            t1 = time.perf_counter()
            outputs = backend.infer(tensor)
            t2 = time.perf_counter()
            flat = outputs[0].reshape(-1).astype(np.float64)
            predicted = int(np.argmax(flat)) if flat.size else None
            decoded = decoder(outputs, names, frame_size_of(frame)) if decoder is not None else None
            t3 = time.perf_counter()
            parity.keep(index, outputs)
            record = {
                "index": index,
                "warmup": index < args.warmup,
                "decode_ms": round(decode_ms, 4),
                "preprocess_ms": round((t1 - t0) * 1000.0, 4),
                "infer_ms": round((t2 - t1) * 1000.0, 4),
                "postprocess_ms": round((t3 - t2) * 1000.0, 4),
                "total_ms": round(decode_ms + (t3 - t0) * 1000.0, 4),
                "start_s": round(t_start - origin, 6),
                "end_s": round(t3 - origin, 6),
                "due_s": None if due is None else round(due - origin, 6),
                "predicted": predicted,
                "output": [round(float(v), 6) for v in flat[: args.keep_outputs]],
            }
            if decoded is not None:
                record.update(decoded=decoded, frame_size=list(frame_size_of(frame)))
            out.write(json.dumps(record) + "\n")
            records.append(record)
        if args.parity_out:
            parity.save(args.parity_out)
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        misses = sum(1 for r in records if r["due_s"] is not None and r["end_s"] > r["due_s"] + period)
        summary = {
            "frames": len(records),
            "runtime": backend.name,
            "peak_rss_mb": round(peak_kb / 1024.0, 2),
            "wall_s": round(time.perf_counter() - origin, 4),
            "deadline_misses": misses if period else None,
            "target_fps": args.fps if period else None,
            "dropped": dropped,
            "warmup": args.warmup,
            "launched_epoch": round(launched_epoch, 6),
            "origin_epoch": round(origin_epoch, 6),
            "windows": timed_window(records, origin_epoch),
            "timing": "measured",
            "output_names": list(getattr(backend, "output_names", [])),
            "parity_file": args.parity_out or None,
        }
        out.write(json.dumps({"summary": summary}) + "\n")
    if not records:
        print("harness: the clip has no frames", file=sys.stderr)
        return 3
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--engine", required=True, help="engine file (TensorRT, simulated) or .onnx")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--clip", help="video file, decoded with OpenCV")
    source.add_argument("--frames", help=".npy of frames the host decoded")
    parser.add_argument("--out", required=True, help="JSON lines, one per frame, then a summary")
    parser.add_argument("--input-json", default="", help="input spec from the model card (JSON)")
    parser.add_argument("--task-json", default="", help="the card's task (JSON): decode each frame here")
    parser.add_argument("--warmup", type=int, default=10, help="first N frames are marked warm-up")
    parser.add_argument("--fps", type=float, default=0.0, help="camera-paced rate; 0 = free run")
    parser.add_argument("--max-frames", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="CPU threads for ONNX Runtime")
    parser.add_argument("--backend", default="", help="runtime module beside this file (default: by file)")
    parser.add_argument("--backend-options", default="", help="JSON options for --backend")
    parser.add_argument("--keep-outputs", type=int, default=16, help="raw output values kept per frame")
    parser.add_argument("--parity-out", default="", help=".npz for every output of the first frames")
    parser.add_argument("--parity-frames", type=int, default=PARITY_FRAMES, help="frames kept for parity")
    return replay(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
