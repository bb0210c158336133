"""Running a partitioned graph: segments one after the other, tensors passed by name, every step timed.

This is how ONNX Runtime executes a model split between TIDL and the ARM cores: the TIDL execution provider
runs each TIDL subgraph (copy the inputs into the accelerator's buffers, process, copy the outputs back) and
the CPU provider runs the rest. The timestamps are those TI's runtime reports through
get_TI_benchmark_data(): nanoseconds, `ts:run_start`, `ts:run_end` and, per TIDL subgraph,
`ts:<subgraph>_copy_in_start` ... `_copy_in_end`, `_proc_start` ... `_proc_end`, `_copy_out_start` ...
`_copy_out_end`. All are measured with time.monotonic_ns. The DDR counters (`ddr:read_start`, ...) are
left out: no host can measure the TDA4VM's DDR traffic, and a missing counter is what TI's tools report
as unavailable.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from hil.sim.tidl.partition import Segment


@dataclass
class Stage:
    segment: Segment
    session: Any  # a real onnxruntime.InferenceSession on the CPU provider


class Pipeline:
    def __init__(self, stages: list[Stage], outputs: list[str], time_subgraphs: bool) -> None:
        self.stages = stages
        self.outputs = outputs
        self.time_subgraphs = time_subgraphs  # compile-time float runs report no offload, as TIDL does
        self.benchmark: dict[str, int] = {}

    def run(self, feed: Mapping[str, np.ndarray], names: list[str] | None = None) -> list[np.ndarray]:
        tensors = self.run_all(feed)
        return [tensors[n] for n in (names or self.outputs)]

    def run_all(self, feed: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Every tensor the segments exchanged, graph inputs included."""
        bench: dict[str, int] = {"ts:run_start": time.monotonic_ns()}
        tensors: dict[str, np.ndarray] = dict(feed)
        for stage in self.stages:
            seg = stage.segment
            timed = seg.tidl and self.time_subgraphs
            if timed:
                bench[f"ts:{seg.name}_copy_in_start"] = time.monotonic_ns()
            inputs = {
                n: np.array(tensors[n], copy=True, order="C") if timed else tensors[n] for n in seg.inputs
            }
            if timed:
                bench[f"ts:{seg.name}_copy_in_end"] = bench[f"ts:{seg.name}_proc_start"] = time.monotonic_ns()
            results = stage.session.run(seg.outputs, inputs)
            if timed:
                bench[f"ts:{seg.name}_proc_end"] = bench[f"ts:{seg.name}_copy_out_start"] = (
                    time.monotonic_ns()
                )
                results = [np.array(r, copy=True) for r in results]
                bench[f"ts:{seg.name}_copy_out_end"] = time.monotonic_ns()
            tensors.update(zip(seg.outputs, results, strict=True))
        bench["ts:run_end"] = time.monotonic_ns()
        self.benchmark = bench
        return tensors


def make_session(model_bytes: bytes, options: Any = None) -> Any:
    """A real ONNX Runtime CPU session (never the TIDL providers, which this package implements)."""
    from onnxruntime.capi.onnxruntime_inference_collection import InferenceSession

    if options is None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1  # one C7x DSP: one stream of work
        options.log_severity_level = 3
    return InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])
