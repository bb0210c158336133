"""The emulated TIDLCompilationProvider: import, calibrate, quantize and write the artifacts folder.

As with TI's provider, creating the session imports the model (ONNX Runtime loads it first, so a node no
provider can run fails here with ONNX Runtime's own error), allow-lists the nodes and prints the subgraph
counts. Every `run()` is a calibration frame, answered by the float network; when `calibration_frames`
frames have been seen, TIDL calibrates and writes the artifacts (with fewer frames it writes nothing, as the
real tools do). A QDQ model (`advanced_options:prequantized_model`) keeps its own scales.

Faults (sim-faults.json, key `tidl_compile`): `hang` at import, `crash` after the subgraph counts,
`unsupported_op` denies every node (nothing is offloaded), `disk_full` fails writing the first network
file, `corrupt` writes damaged IO descriptors and reports success.

Mixed precision (TI's docs/tidl_fsg_quantization.md, "C.1 Manual Mixed Precision"): the compile options
`advanced_options:output_feature_16bit_names_list` (layer outputs, and their parameters, in 16 bit) and
`advanced_options:params_16bit_names_list` (parameters only), comma-separated names of layers as in the
original model (an ONNX layer is named by its output tensor), are honoured by TIDL's own calibration: the
named layers are quantized to int16 (quantize.quantize_subgraph). A pre-quantized model keeps the types its
QDQ pairs give; the lists are then reported as unused (what TIDL itself does with them is not documented).

Every TIDL subgraph's layers are listed in `tempDir/<subgraph>_tidl_net.bin.layer_info.txt` (artifacts.py),
the map from a trace's dataId to the original model's name that TI's layer traces are read with.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import onnx

from hil.sim import faults
from hil.sim.layer_dump import LayerDump
from hil.sim.tidl import TOOLS_VERSION, artifacts, log, partition
from hil.sim.tidl.pipeline import Pipeline, Stage, make_session
from hil.sim.tidl.quantize import is_prequantized, quantize_subgraph

PROVIDERS = ["TIDLCompilationProvider", "CPUExecutionProvider"]


def _int(options: Mapping[str, Any], key: str, default: int) -> int:
    value = options.get(key, default)
    return int(value) if str(value).strip() != "" else default


def _names(options: Mapping[str, Any], key: str) -> list[str]:
    return [x.strip() for x in str(options.get(key, "")).replace(";", ",").split(",") if x.strip()]


def _require_static_inputs(model: onnx.ModelProto) -> None:
    """TIDL imports a network of static shapes only: a dynamic (or zero) input dimension stops the import."""
    initializers = {init.name for init in model.graph.initializer}
    for value in model.graph.input:
        if value.name in initializers:
            continue
        dims = [d.dim_value if d.HasField("dim_value") else -1 for d in value.type.tensor_type.shape.dim]
        if any(d <= 0 for d in dims):
            shown = "x".join("?" if d <= 0 else str(d) for d in dims)
            raise RuntimeError(
                f"TIDL_IMPORT: input '{value.name}' has dynamic dimensions ({shown}); TIDL supports static "
                "input shapes only: fix the input dimensions of the ONNX model before compiling"
            )


class CompileSession:
    def __init__(self, model_bytes: bytes, options: Mapping[str, Any], sess_options: Any) -> None:
        self.options = dict(options)
        for required in ("tidl_tools_path", "artifacts_folder"):
            if not str(self.options.get(required, "")).strip():
                raise RuntimeError(f"TIDL: the required option '{required}' is missing")
        fault = faults.fault_for("tidl_compile")
        self.fault = fault
        self.full = make_session(model_bytes, sess_options)  # ONNX Runtime's own load and checks first
        if fault == "hang":
            faults.hang()
        self.model = onnx.load_from_string(model_bytes)
        _require_static_inputs(self.model)
        self.model_sha256 = hashlib.sha256(model_bytes).hexdigest()
        self.bits = _int(self.options, "tensor_bits", 8)
        self.debug = _int(self.options, "debug_level", 0)
        deny_types = _names(self.options, "deny_list") + _names(self.options, "deny_list:layer_type")
        if fault == "unsupported_op":
            deny_types += [n.op_type for n in self.model.graph.node]
        self.verdicts = partition.allowlist(
            self.model, deny_types, _names(self.options, "deny_list:layer_name")
        )
        max_subgraphs = _int(self.options, "max_num_subgraphs", 16)
        self.preliminary, self.segments = partition.partition(self.verdicts, max_subgraphs)
        partition.wire(self.model, self.segments)
        self.types = partition.value_types(self.model)
        lines = log.options_dump(self.options) + log.verdict_lines(self.verdicts) if self.debug >= 1 else []
        log.emit(lines + log.partition_lines(self.preliminary, self.segments, len(self.model.graph.node)))
        if fault == "crash":
            faults.crash()
        self.seg_models = {s.name: partition.segment_model(self.model, s, self.types) for s in self.segments}
        stages = [Stage(s, make_session(self.seg_models[s.name].SerializeToString())) for s in self.segments]
        self.pipeline = Pipeline(stages, [o.name for o in self.model.graph.output], time_subgraphs=False)
        self.frames: list[dict[str, np.ndarray]] = []
        self.wanted = _int(self.options, "advanced_options:calibration_frames", 20)
        self.written = False
        self.features16 = frozenset(_names(self.options, "advanced_options:output_feature_16bit_names_list"))
        self.params16 = frozenset(_names(self.options, "advanced_options:params_16bit_names_list"))

    # -- the InferenceSession API ---------------------------------------------------------------------

    def get_inputs(self) -> Any:
        return self.full.get_inputs()

    def get_outputs(self) -> Any:
        return self.full.get_outputs()

    def get_providers(self) -> list[str]:
        return list(PROVIDERS)

    def get_TI_benchmark_data(self) -> dict[str, int]:
        return dict(self.pipeline.benchmark)

    def run(
        self, output_names: list[str] | None, feed: Mapping[str, np.ndarray], run_options: Any = None
    ) -> list[np.ndarray]:
        outputs = self.pipeline.run(feed, output_names)
        if not self.written:
            self.frames.append({k: np.array(v) for k, v in feed.items()})
            if len(self.frames) >= self.wanted:
                self.written = True
                self.compile()
        return outputs

    # -- calibration and artifacts --------------------------------------------------------------------

    def compile(self) -> None:
        folder = Path(str(self.options["artifacts_folder"]))
        (folder / "tempDir").mkdir(parents=True, exist_ok=True)
        prequantized = bool(_int(self.options, "advanced_options:prequantized_model", 0)) or is_prequantized(
            self.model
        )
        iterations = _int(self.options, "advanced_options:calibration_iterations", 50)
        calibrate = _int(self.options, "accuracy_level", 1) >= 1 and not prequantized
        boundary = [self.pipeline.run_all(frame) for frame in self.frames]
        header = {"tidl_tools_version": TOOLS_VERSION, "tensor_bits": self.bits}
        log.emit(log.import_header())
        named = self.features16 | self.params16
        if named:
            outputs = {o for n in self.model.graph.node for o in n.output}
            unknown = sorted(named - outputs)
            if unknown:
                log.emit([f"WARNING: 16-bit names list: no layer named {', '.join(unknown)} in the model"])
            if prequantized:
                log.emit(["WARNING: 16-bit names lists unused: the pre-quantized model's QDQ types are kept"])
        for seg in (s for s in self.segments if s.tidl):
            feeds = [{n: tensors[n] for n in seg.inputs} for tensors in boundary]
            float_model = self.seg_models[seg.name]
            scales: dict[str, float] = {}
            if prequantized:
                quantized = float_model
            else:
                quantized, scales = quantize_subgraph(
                    float_model, feeds, self.bits, self.features16, self.params16
                )
            data = quantized.SerializeToString()
            session = make_session(data)
            stats = artifacts.stats_path(folder, seg.name)
            log.emit(log.range_collection(str(stats), _timed(session, seg.outputs, feeds)))
            for number in range(iterations if calibrate else 0):
                log.emit(log.iteration(number, _timed(session, seg.outputs, feeds)))
            log.emit(log.compiler_traces())
            self._write(folder, seg, header, data, scales)
        offloaded = {i for s in self.segments if s.tidl for i in s.nodes}  # after max_num_subgraphs
        delegated = [v.name for v in self.verdicts if v.index in offloaded]
        meta = artifacts.Meta(
            TOOLS_VERSION,
            self.bits,
            prequantized,
            self.model_sha256,
            len(self.model.graph.node),
            self.segments,
        )
        artifacts.write_meta(folder, meta, delegated)

    def _write(
        self,
        folder: Path,
        seg: partition.Segment,
        header: dict[str, Any],
        data: bytes,
        scales: dict[str, float],
    ) -> None:
        if self.fault == "disk_full":
            path = artifacts.net_path(folder, seg.name)
            path.write_bytes(artifacts.NET_MAGIC + data[: len(data) // 3])  # what fitted
            raise OSError(28, "No space left on device", str(path))
        artifacts.write_net(folder, seg, header, data)
        artifacts.write_io(folder, seg, self.bits, scales)
        artifacts.write_layer_info(folder, seg.name, LayerDump(data).layers)
        if self.fault == "corrupt":
            io = artifacts.io_path(folder, seg.name)
            io.write_bytes(bytes(b ^ 0x5A for b in io.read_bytes()))


def _timed(session: Any, outputs: list[str], feeds: list[dict[str, np.ndarray]]) -> list[float]:
    """Milliseconds per calibration frame through the quantized subgraph, measured."""
    times = []
    for feed in feeds:
        start = time.perf_counter()
        session.run(outputs, feed)
        times.append((time.perf_counter() - start) * 1000.0)
    return times
