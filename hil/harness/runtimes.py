#!/usr/bin/env python3
"""The inference runtimes board_harness.py drives, run ON the board (standard library and numpy, plus the
board's runtime): ONNX Runtime for simulated engines and plain ONNX models, TensorRT's Python API on a
Jetson, a platform's own runtime named as a plugin module beside this file, and the simulated board's
faults (`runtime=wrong_outputs`, `runtime=slow`) that make them misbehave for real.

Pushed in the harness bundle beside board_harness.py, which imports it as a sibling on the board.
"""

from __future__ import annotations

import importlib
import json
import os
from typing import Any, Protocol

import numpy as np

SIM_ENGINE_MAGIC = b"HILSIM-TRT-ENGINE\n"


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
        self.output_names = [o.name for o in self.session.get_outputs()]

    def infer(self, tensor: np.ndarray) -> list[np.ndarray]:
        """Every output of the model, in the graph's order."""
        return [np.asarray(x) for x in self.session.run(None, {self.input_name: tensor})]


def cuda_runtime() -> Any:
    """cuda-python's runtime API: `cuda.bindings.runtime` (cuda-bindings 12.6 and later, 13.x), else the
    old `cuda.cudart` (cuda-python 11.x-12.x: JetPack 5's CUDA 11.4 needs an 11.x)."""
    try:
        from cuda.bindings import runtime  # type: ignore[import-not-found,unused-ignore]

        return runtime
    except ImportError:
        from cuda import cudart  # type: ignore[import-not-found,attr-defined,unused-ignore]

        return cudart


def cuda_check(cudart: Any, result: Any, what: str) -> Any:
    """A cuda-python call's value(s): each returns (cudaError_t, *values); anything but cudaSuccess raises
    with the error's name (`cudaErrorMemoryAllocation`), never passes silently."""
    err, values = result[0], tuple(result[1:])
    if err != cudart.cudaError_t.cudaSuccess:
        _, name = cudart.cudaGetErrorName(err)
        # str(bytes, "utf-8"), not .decode(): vermin takes .decode() for Python 2's str
        text = str(name, "utf-8") if isinstance(name, bytes) else str(name)
        raise RuntimeError(f"harness: CUDA {what} failed: {text}")
    return values[0] if len(values) == 1 else values


class TensorRTBackend:
    """TensorRT's name-based Python API (8.5 and later, 10.x) with cuda-python, as on a real Jetson.

    Shapes come from the execution context, never the engine: a dynamic input reports -1 in the engine, so
    each one is set to its optimization profile's shape (hil builds min = opt = max) with set_input_shape,
    and every output's shape is then read from the context. Every output is copied back; every CUDA call's
    error is raised with its name; execute_async_v3 returning False is an error."""

    name = "tensorrt"

    def __init__(self, engine_bytes: bytes) -> None:
        import tensorrt as trt  # type: ignore[import-not-found,unused-ignore]

        self.cudart = cudart = cuda_runtime()
        logger = trt.Logger(trt.Logger.WARNING)
        self.engine = trt.Runtime(logger).deserialize_cuda_engine(engine_bytes)
        if self.engine is None:
            raise SystemExit("harness: TensorRT could not deserialize the engine (built by another version?)")
        self.context = self.engine.create_execution_context()
        self.stream = cuda_check(cudart, cudart.cudaStreamCreate(), "cudaStreamCreate")
        names = [self.engine.get_tensor_name(i) for i in range(self.engine.num_io_tensors)]
        self.inputs = [n for n in names if self.engine.get_tensor_mode(n) == trt.TensorIOMode.INPUT]
        self.outputs = [n for n in names if n not in self.inputs]
        for name in self.inputs:
            shape = tuple(self.engine.get_tensor_shape(name))
            if -1 in shape:
                shape = tuple(self.engine.get_tensor_profile_shape(name, 0)[1])  # the profile's opt shape
            if not self.context.set_input_shape(name, shape):
                raise SystemExit(f"harness: TensorRT refused input shape {shape} for {name}")
        self.host: dict[str, np.ndarray] = {}
        self.device: dict[str, int] = {}
        for name in names:
            shape = tuple(self.context.get_tensor_shape(name))
            if -1 in shape:
                raise SystemExit(f"harness: TensorRT left {name} with a dynamic shape {shape}")
            self.host[name] = np.empty(shape, dtype=trt.nptype(self.engine.get_tensor_dtype(name)))
            ptr = cuda_check(cudart, cudart.cudaMalloc(max(self.host[name].nbytes, 1)), f"cudaMalloc({name})")
            self.device[name] = int(ptr)
            if not self.context.set_tensor_address(name, int(ptr)):
                raise SystemExit(f"harness: TensorRT refused the address of {name}")
        self.input_name = self.inputs[0]
        self.input_shape = list(self.host[self.input_name].shape)
        self.output_names = list(self.outputs)

    def infer(self, tensor: np.ndarray) -> list[np.ndarray]:
        cudart = self.cudart
        src = np.ascontiguousarray(tensor.astype(self.host[self.input_name].dtype))
        if src.shape != self.host[self.input_name].shape:
            raise SystemExit(f"harness: input {src.shape} does not fit the engine's {self.input_shape}")
        kinds = cudart.cudaMemcpyKind
        stream = self.stream
        copy = cudart.cudaMemcpyAsync(
            self.device[self.input_name], src.ctypes.data, src.nbytes, kinds.cudaMemcpyHostToDevice, stream
        )
        cuda_check(cudart, copy, "cudaMemcpyAsync (input)")
        if not self.context.execute_async_v3(int(stream)):
            raise SystemExit("harness: TensorRT execute_async_v3 failed")
        for name in self.outputs:
            out = self.host[name]
            back = cudart.cudaMemcpyAsync(
                out.ctypes.data, self.device[name], out.nbytes, kinds.cudaMemcpyDeviceToHost, stream
            )
            cuda_check(cudart, back, f"cudaMemcpyAsync ({name})")
        cuda_check(cudart, cudart.cudaStreamSynchronize(stream), "cudaStreamSynchronize")
        return [self.host[name].copy() for name in self.outputs]


class Backend(Protocol):
    name: str
    input_shape: list[int]
    output_names: list[str]

    def infer(self, tensor: np.ndarray) -> list[np.ndarray]: ...


class WrongOutputs:
    """The simulated runtime with the `wrong_outputs` fault: it runs, its outputs are wrong."""

    def __init__(self, inner: OrtBackend) -> None:
        self.inner = inner
        self.name = inner.name + " [fault: wrong_outputs]"
        self.input_shape = inner.input_shape
        self.output_names = inner.output_names

    def infer(self, tensor: np.ndarray) -> list[np.ndarray]:
        return [np.asarray(out[..., ::-1] * 0.5 + 0.1) for out in self.inner.infer(tensor)]


class SlowBackend:
    """A simulated board's runtime under the `slow` fault: every inference really runs `repeat` times, so
    measured latency rises without any number being invented (hil/sim/faults.py)."""

    def __init__(self, inner: Backend, repeat: int) -> None:
        self.inner = inner
        self.repeat = repeat
        self.name = f"{inner.name} (slow fault: x{repeat})"
        self.input_shape = inner.input_shape
        self.output_names = inner.output_names

    def infer(self, tensor: np.ndarray) -> list[np.ndarray]:
        for _ in range(self.repeat - 1):
            self.inner.infer(tensor)
        return self.inner.infer(tensor)


SLOW_REPEAT = 3


def sim_fault(tool: str) -> str | None:
    """The fault set for `tool` on a simulated board ($HIL_BOARD_ROOT/sim-faults.json), else None. A real
    board has no HIL_BOARD_ROOT. (This file runs on boards, so it cannot import hil.sim.faults.)"""
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
        if sim_fault("runtime") == "wrong_outputs":
            return WrongOutputs(sim)
        return sim
    if path.endswith(".onnx"):
        return OrtBackend(data, threads)
    return TensorRTBackend(data)
