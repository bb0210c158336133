"""The emulated TIDLExecutionProvider: run a model with its compiled artifacts folder.

The session reads onnxrtMetaData.txt, checks that the model is the one the artifacts were compiled from and
that every TIDL subgraph's network and IO descriptor is intact and from this tools version, then runs the
segments in order: TIDL subgraphs from their quantized networks (one thread, as on the single C7x), ARM
segments as float ONNX Runtime CPU sessions with the caller's session options. get_TI_benchmark_data()
returns the measured timestamps of the last run (see pipeline.py).

Layer traces (TI's docs/tidl_osr_debug.md, "Feature Map Comparison with Reference"): with the inference
option `debug_level` 4 or more, every run writes each TIDL layer's output, dequantized to float32, as
`/tmp/tidl_trace_<subgraph>_<dataId:04d>_<batch:05d>_<channels:05d>_<width:05d>x<height:05d>_float.bin`
(TI: "tidl_traceAAAA_BBBBB_CCCCC_DDDDDxEEEEE.y ... AAAA is dataId, BBBBB is batch number, CCCCC is channel
number, DDDDD is width and EEEEE is height"; TI's trace inspector globs
`tidl_trace_subgraph_0_<dataId:04d>*_float.bin`). A tensor of fewer than 4 dimensions is named as if padded
with leading ones. Each run overwrites the last one's traces, as on the board. The values are the layer
outputs the runtime's own quantized network computes (hil.sim.layer_dump), after any re-quantization. The
fixed-point `.y` traces (debug_level 3) are not written. On a simulated board, /tmp is $HIL_BOARD_ROOT/tmp.

Faults (sim-faults.json, key `tidl_run`): `hang` in the first run, `crash` in the third run.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx

from hil.sim import faults
from hil.sim.layer_dump import LayerDump
from hil.sim.tidl import TOOLS_VERSION, artifacts, log, partition
from hil.sim.tidl.pipeline import Pipeline, Stage, make_session

PROVIDERS = ["TIDLExecutionProvider", "CPUExecutionProvider"]
CRASH_AT_RUN = 3


@dataclass(frozen=True)
class Arg:
    """What onnxruntime's NodeArg tells: name, shape (ints, or names of free dimensions) and type."""

    name: str
    shape: list[int | str | None]
    type: str


def _args(values: list[onnx.ValueInfoProto], skip: set[str]) -> list[Arg]:
    args = []
    for v in values:
        if v.name in skip:
            continue
        t = v.type.tensor_type
        dims: list[int | str | None] = [
            d.dim_value if d.HasField("dim_value") else (d.dim_param or None) for d in t.shape.dim
        ]
        elem = onnx.helper.tensor_dtype_to_np_dtype(t.elem_type).name if t.elem_type else "float32"
        args.append(Arg(v.name, dims, f"tensor({'float' if elem == 'float32' else elem})"))
    return args


class RuntimeSession:
    def __init__(self, model_bytes: bytes, options: Mapping[str, Any], sess_options: Any) -> None:
        folder = Path(str(options.get("artifacts_folder", "")))
        self.fault = faults.fault_for("tidl_run")
        self.runs = 0
        meta = artifacts.read_meta(folder)
        model = onnx.load_from_string(model_bytes)
        if hashlib.sha256(model_bytes).hexdigest() != meta.model_sha256:
            raise artifacts.ArtifactsError(
                f"TIDL_RT: ERROR: the model is not the one the artifacts in {folder} were compiled from "
                f"(sha256 {meta.model_sha256[:12]}...): recompile it"
            )
        types = partition.value_types(model)
        debug = str(options.get("debug_level", "0")).strip()
        self.traces: list[tuple[partition.Segment, LayerDump, list[tuple[int, str]]]] = []
        stages = []
        for seg in meta.segments:
            if seg.tidl:
                artifacts.check_io(folder, seg.name)
                _header, net = artifacts.read_net(folder, seg.name, TOOLS_VERSION)
                stages.append(Stage(seg, make_session(net)))
                if debug.isdigit() and int(debug) >= 4:
                    self.traces.append((seg, LayerDump(net), artifacts.read_layer_info(folder, seg.name)))
            else:
                arm = partition.segment_model(model, seg, types).SerializeToString()
                stages.append(Stage(seg, make_session(arm, sess_options)))
        initializers = {t.name for t in model.graph.initializer}
        self.inputs = _args(list(model.graph.input), initializers)
        self.outputs = _args(list(model.graph.output), set())
        self.pipeline = Pipeline(stages, [o.name for o in self.outputs], time_subgraphs=True)
        log.emit(log.runtime_loaded(id(self), meta.segments, meta.num_graph_nodes))

    def get_inputs(self) -> list[Arg]:
        return list(self.inputs)

    def get_outputs(self) -> list[Arg]:
        return list(self.outputs)

    def get_providers(self) -> list[str]:
        return list(PROVIDERS)

    def get_TI_benchmark_data(self) -> dict[str, int]:
        return dict(self.pipeline.benchmark)

    def run(
        self, output_names: list[str] | None, feed: Mapping[str, np.ndarray], run_options: Any = None
    ) -> list[np.ndarray]:
        self.runs += 1
        if self.fault == "hang":
            faults.hang()
        if self.fault == "crash" and self.runs >= CRASH_AT_RUN:
            faults.crash()
        if not self.traces:
            return self.pipeline.run(feed, output_names)
        tensors = self.pipeline.run_all(feed)
        self._write_traces(tensors)
        return [tensors[n] for n in (output_names or self.pipeline.outputs)]

    def _write_traces(self, tensors: Mapping[str, np.ndarray]) -> None:
        folder = Path(os.environ.get("HIL_BOARD_ROOT", "") + "/tmp")
        folder.mkdir(parents=True, exist_ok=True)
        for seg, dump, ids in self.traces:
            values = {
                artifacts.original_name(k): v
                for k, v in dump.run({n: tensors[n] for n in seg.inputs}).items()
            }
            for data_id, name in ids:
                value = values.get(name)
                if value is None:
                    continue
                dims = [1] * (4 - value.ndim) + list(value.shape) if value.ndim <= 4 else list(value.shape)
                batch, channels, height, width = dims[0], dims[1], dims[-2], dims[-1]
                path = folder / (
                    f"tidl_trace_{seg.name}_{data_id:04d}_{batch:05d}_{channels:05d}_"
                    f"{width:05d}x{height:05d}_float.bin"
                )
                np.ascontiguousarray(value, dtype=np.float32).tofile(path)
