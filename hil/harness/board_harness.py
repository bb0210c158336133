#!/usr/bin/env python3
"""hil's on-board harness: decode a clip, preprocess, infer, postprocess, and time each stage per frame.

Runs ON the board, so it imports nothing from hil: the Python standard library and numpy, plus OpenCV and
the board's runtime where present (TensorRT's Python API on a Jetson; ONNX Runtime for simulated engines and
plain ONNX models). Writes one JSON object per frame to --out, then a final {"summary": ...} line.

    python3 board_harness.py --engine m.engine --clip cabin.mp4 --out frames.jsonl --warmup 10
"""

from __future__ import annotations

import argparse
import importlib
import json
import resource
import sys
import time
from collections.abc import Iterator
from typing import Any, Protocol

import numpy as np

SIM_ENGINE_MAGIC = b"HILSIM-TRT-ENGINE\n"


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


# -- runtimes -------------------------------------------------------------------------------------------


class OrtBackend:
    """ONNX Runtime on the CPU: simulated engines (an ONNX model inside) and plain ONNX files."""

    name = "onnxruntime"

    def __init__(self, model: bytes, threads: int) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        self.session = ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])
        inp = self.session.get_inputs()[0]
        self.input_name = inp.name
        self.input_shape = [d if isinstance(d, int) else 1 for d in inp.shape]

    def infer(self, tensor: np.ndarray) -> np.ndarray:
        return np.asarray(self.session.run(None, {self.input_name: tensor})[0])


class TensorRTBackend:
    """TensorRT 10 Python API with cuda-python, as on a real Jetson (JetPack 6)."""

    name = "tensorrt"

    def __init__(self, engine_bytes: bytes) -> None:
        import tensorrt as trt
        from cuda import cudart

        self.cudart = cudart
        logger = trt.Logger(trt.Logger.WARNING)
        self.engine = trt.Runtime(logger).deserialize_cuda_engine(engine_bytes)
        if self.engine is None:
            raise SystemExit("harness: TensorRT could not deserialize the engine")
        self.context = self.engine.create_execution_context()
        _, self.stream = cudart.cudaStreamCreate()
        self.host: dict[str, np.ndarray] = {}
        self.device: dict[str, int] = {}
        self.inputs: list[str] = []
        self.outputs: list[str] = []
        for i in range(self.engine.num_io_tensors):
            name = self.engine.get_tensor_name(i)
            shape = tuple(self.engine.get_tensor_shape(name))
            dtype = trt.nptype(self.engine.get_tensor_dtype(name))
            self.host[name] = np.empty(shape, dtype=dtype)
            _, ptr = cudart.cudaMalloc(self.host[name].nbytes)
            self.device[name] = ptr
            self.context.set_tensor_address(name, ptr)
            is_input = self.engine.get_tensor_mode(name) == trt.TensorIOMode.INPUT
            (self.inputs if is_input else self.outputs).append(name)
        self.input_name = self.inputs[0]
        self.input_shape = list(self.host[self.input_name].shape)

    def infer(self, tensor: np.ndarray) -> np.ndarray:
        cudart = self.cudart
        src = np.ascontiguousarray(tensor.astype(self.host[self.input_name].dtype))
        h2d = cudart.cudaMemcpyKind.cudaMemcpyHostToDevice
        d2h = cudart.cudaMemcpyKind.cudaMemcpyDeviceToHost
        cudart.cudaMemcpyAsync(self.device[self.input_name], src.ctypes.data, src.nbytes, h2d, self.stream)
        self.context.execute_async_v3(self.stream)
        out = self.host[self.outputs[0]]
        cudart.cudaMemcpyAsync(out.ctypes.data, self.device[self.outputs[0]], out.nbytes, d2h, self.stream)
        cudart.cudaStreamSynchronize(self.stream)
        return out.copy()


class Backend(Protocol):
    name: str
    input_shape: list[int]

    def infer(self, tensor: np.ndarray) -> np.ndarray: ...


class SlowBackend:
    """A simulated board's runtime under the `slow` fault: every inference really runs `repeat` times, so
    measured latency rises without any number being invented (hil/sim/faults.py)."""

    def __init__(self, inner: Backend, repeat: int) -> None:
        self.inner = inner
        self.repeat = repeat
        self.name = f"{inner.name} (slow fault: x{repeat})"
        self.input_shape = inner.input_shape

    def infer(self, tensor: np.ndarray) -> np.ndarray:
        for _ in range(self.repeat - 1):
            self.inner.infer(tensor)
        return self.inner.infer(tensor)


SLOW_REPEAT = 3


def sim_fault(tool: str) -> str | None:
    """The fault set for `tool` on a simulated board ($HIL_BOARD_ROOT/sim-faults.json), else None. A real
    board has no HIL_BOARD_ROOT. (This file runs on boards, so it cannot import hil.sim.faults.)"""
    import os

    root = os.environ.get("HIL_BOARD_ROOT")
    if not root:
        return None
    try:
        with open(os.path.join(root, "sim-faults.json")) as fh:
            table = json.load(fh)
    except FileNotFoundError:
        return None
    mode = table.get(tool) if isinstance(table, dict) else None
    return str(mode) if mode else None


def load_backend(path: str, threads: int, plugin: str = "", options: str = "") -> Backend:
    """The runtime for `path` (run `SLOW_REPEAT` times per frame under a simulated `runtime=slow` fault)."""
    backend = _load_backend(path, threads, plugin, options)
    if sim_fault("runtime") == "slow":
        return SlowBackend(backend, SLOW_REPEAT)
    return backend


def _load_backend(path: str, threads: int, plugin: str = "", options: str = "") -> Backend:
    """The runtime for `path`; `plugin` names a module beside this file with `load(path, threads, options)`
    (a platform's own runtime, e.g. ONNX Runtime with a vendor execution provider)."""
    if plugin:
        module = importlib.import_module(plugin)
        backend: Backend = module.load(path, threads, json.loads(options) if options else {})
        return backend
    with open(path, "rb") as fh:
        data = fh.read()
    if data.startswith(SIM_ENGINE_MAGIC):
        # hil's simulated TensorRT: one JSON header line, then the ONNX model the engine executes.
        body = data[len(SIM_ENGINE_MAGIC) :]
        _header, _, onnx_bytes = body.partition(b"\n")
        sim = OrtBackend(onnx_bytes, threads)
        sim.name = "onnxruntime (simulated TensorRT engine)"
        return sim
    if path.endswith(".onnx"):
        return OrtBackend(data, threads)
    return TensorRTBackend(data)


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


def replay(args: argparse.Namespace) -> int:
    backend = load_backend(args.engine, args.threads, args.backend, args.backend_options)
    spec = json.loads(args.input_json) if args.input_json else default_spec(backend.input_shape)
    frames = frames_from_npy(args.frames) if args.frames else frames_from_clip(args.clip)
    period = 1.0 / args.fps if args.fps > 0 else 0.0
    misses = 0
    count = 0
    start = time.perf_counter()
    with open(args.out, "w") as out:
        for index, (frame, decode_ms) in enumerate(frames):
            if args.max_frames and index >= args.max_frames:
                break
            t0 = time.perf_counter()
            tensor = preprocess(frame, spec)
            t1 = time.perf_counter()
            raw = backend.infer(tensor)
            t2 = time.perf_counter()
            flat = raw.reshape(-1).astype(np.float64)
            predicted = int(np.argmax(flat)) if flat.size else None
            t3 = time.perf_counter()
            record = {
                "index": index,
                "warmup": index < args.warmup,
                "decode_ms": round(decode_ms, 4),
                "preprocess_ms": round((t1 - t0) * 1000.0, 4),
                "infer_ms": round((t2 - t1) * 1000.0, 4),
                "postprocess_ms": round((t3 - t2) * 1000.0, 4),
                "total_ms": round(decode_ms + (t3 - t0) * 1000.0, 4),
                "predicted": predicted,
                "output": [round(float(v), 6) for v in flat[: args.keep_outputs]],
            }
            out.write(json.dumps(record) + "\n")
            count += 1
            if period:
                # Camera-paced: frame i is due at start + i*period; finishing past the next due time misses.
                due = start + (index + 1) * period
                now = time.perf_counter()
                if now > due:
                    misses += 1
                else:
                    time.sleep(due - now)
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        summary = {
            "frames": count,
            "runtime": backend.name,
            "peak_rss_mb": round(peak_kb / 1024.0, 2),
            "wall_s": round(time.perf_counter() - start, 4),
            "deadline_misses": misses if period else None,
        }
        out.write(json.dumps({"summary": summary}) + "\n")
    if count == 0:
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
    parser.add_argument("--warmup", type=int, default=10, help="first N frames are marked warm-up")
    parser.add_argument("--fps", type=float, default=0.0, help="camera-paced rate; 0 = free run")
    parser.add_argument("--max-frames", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="CPU threads for ONNX Runtime")
    parser.add_argument("--backend", default="", help="runtime module beside this file (default: by file)")
    parser.add_argument("--backend-options", default="", help="JSON options for --backend")
    parser.add_argument("--keep-outputs", type=int, default=16, help="raw output values kept per frame")
    return replay(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
