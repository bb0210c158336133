"""Emulated `trtexec` (TensorRT 10.3, JetPack 6) of a simulated Orin: builds and times real engines on a CPU.

Build (`--onnx`): parse the ONNX, rejecting what TensorRT would (hil.sim.engine.SUPPORTED_OPS), really
convert it to the requested precision (hil.sim.engine.convert), write the engine file (hil.sim.engine
format); every duration printed is measured. Inference (unless `--skipInference`): run the engine's
network with ONNX Runtime on one CPU thread on random inputs, warm up for `--warmUp` ms, then time
queries until both `--duration` s and `--iterations` are reached, as trtexec does. Per query, measured
with time.perf_counter: H2D = copying the input buffers, GPU Compute = session.run, D2H = copying the
outputs, Latency = their sum, Enqueue Time = the whole host call (the CPU "device" is synchronous).
Lines that would need a number no host can measure (GPU clocks, SMs, memory pools) are left out.
The log layout is in hil.sim.tools.trtexec_log.

Debug tensors (TensorRT 10.3's trtexec, samples/common/sampleOptions.cpp and sampleInference.cpp):
`--markDebug=t1,t2` at build marks network tensors as debug tensors (kept in the engine);
`--loadInputs=name:file,...` feeds raw input files instead of random values; `--saveDebugTensors=t1:file,...`
writes each named debug tensor's raw bytes (here float32, the ONNX type) after every inference, as the
sample's DebugTensorWriter does, so the file holds the last query's value. A tensor not marked at build is
refused ("These tensors must be specified as debug tensors during build time"). A name may be wrapped in
single quotes (names with ':'). The values are the network's own (hil.sim.layer_dump: after any
re-quantization), computed with ONNX Runtime. The `bad_layer` fault (hil.sim.converter_faults) builds an
engine with one layer's weight scale 3x too large.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import onnx

from hil.sim import engine, faults
from hil.sim.engine import tensorrt_version
from hil.sim.tools.trtexec_log import (
    Log,
    Options,
    Query,
    banner,
    export_times,
    flag_rules,
    g,
    parse_args,
    print_options,
    report,
    usage,
)
from hil.sim.tools.trtexec_shapes import build_profile, check_in_profile, fix_static_inputs

COMMAND = "trtexec"
PLATFORMS = ("orin",)

BUILD_FLAGS = ("--fp16", "--int8", "--best", "--allowGPUFallback")
BUILD_VALUED = (
    "--useDLACore", "--memPoolSize", "--builderOptimizationLevel", "--shapes", "--minShapes", "--optShapes",
    "--maxShapes",
)  # fmt: skip
Network = tuple[dict[str, Any], bytes]  # (engine header, ONNX bytes the engine executes)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    command = " ".join(["trtexec", *args])
    opts, unknown = parse_args(args)
    print(f"&&&& RUNNING {banner()} # {command}", flush=True)
    if opts.has("--help") or opts.has("-h"):
        sys.stdout.write(usage())
        return 0  # after the help, trtexec prints no PASSED line
    log = Log(opts.has("--verbose"))
    try:
        rules = flag_rules()
        if rules is None:  # a release no conformance file describes: nothing to follow
            version = tensorrt_version()
            log.e(f"hil-sim: no vendor conformance file lists TensorRT {version} (hil/sim/conformance/)")
            return _finish(command, passed=False)
        if unknown:  # as trtexec.cpp main(): each leftover argument, then the help text
            for line in unknown:
                log.e(line)
            sys.stdout.write(usage())
            return _finish(command, passed=False, code=rules.exit_code)
        for warning in opts.warnings:
            log.w(warning)
        if opts.not_emulated:
            flags = ", ".join(opts.not_emulated)
            log.e(
                f"hil-sim: the emulated trtexec does not act out {flags} "
                f"(TensorRT {rules.release} accepts it)"
            )
            return _finish(command, passed=False)
        fault = faults.fault_for("trtexec")
        print_options(log, opts)
        if fault == "hang":
            faults.hang()
        if fault == "crash":
            faults.crash()
        network = setup_engine(log, opts, fault)
        if network is None:
            log.e("Engine set up failed")
            return _finish(command, passed=False)
        if opts.has("--skipInference") or opts.has("--buildOnly"):
            flag = "--skipInference" if opts.has("--skipInference") else "--buildOnly"
            log.i(f"Skipped inference phase since {flag} is added.")
        else:
            run_inference(log, opts, *network)
    except (ValueError, OSError) as exc:  # bad option values, unreadable or unwritable files
        log.e(str(exc))
        return _finish(command, passed=False)
    return _finish(command, passed=True)


def _finish(command: str, passed: bool, code: int = 1) -> int:
    print(f"&&&& {'PASSED' if passed else 'FAILED'} {banner()} # {command}", flush=True)
    return 0 if passed else code


def setup_engine(log: Log, opts: Options, fault: str | None) -> Network | None:
    if opts.get("--loadEngine"):
        return load(log, opts.get("--loadEngine"))
    if not opts.get("--onnx"):
        log.e("Model missing or format not recognized")
        return None
    return build(log, opts, fault)


def _creation_failed(log: Log) -> None:
    log.e("Failed to create engine from model or file.")


# -- building -----------------------------------------------------------------------------------------


def build(log: Log, opts: Options, fault: str | None) -> Network | None:
    started = time.perf_counter()
    log.i("Start parsing network model.")
    parsed = parse_network(log, opts.get("--onnx"), fault, started)
    if parsed is None:
        _creation_failed(log)
        return None
    source, model = parsed
    ranges = build_profile(log, opts, model)
    if ranges is None:
        log.e("Network And Config setup failed")
        _creation_failed(log)
        return None
    specs, overridden = engine.input_specs(model, {n: r.opt for n, r in ranges.items()})
    for name in overridden:
        dims = "x".join(map(str, specs[name].shape))
        log.w(
            f"Dynamic dimensions required for input: {name}, but no shapes were provided. "
            f"Automatically overriding shape to: {dims}"
        )
        profile = f"MIN={dims} OPT={dims} MAX={dims}"
        log.i(f"Set shape of input tensor {name} for optimization profile 0 to: {profile}")
    precision = _precision(opts, model)
    if precision == "int8" and not engine.is_qdq(model):
        log.w(
            "[TRT] Calibrator is not being used. Users must provide dynamic range for all tensors that are "
            "not Int32 or Bool."
        )
    if opts.get("--timingCacheFile"):
        log.i("[TRT] Global timing cache in use. Profiling results in this builder pass will be stored.")
    else:
        log.i("[TRT] Local timing cache in use. Profiling results in this builder pass will not be stored.")
    for name, r in ranges.items():
        log.i(f"Set shape of input tensor {name} for optimization profile 0 to: {r.text()}")
    # Overridden inputs are built at 1 for every dynamic dim, as TensorRT does: only that shape runs.
    fixed = {n: r.opt for n, r in ranges.items() if r.fixed} | {n: specs[n].shape for n in overridden}
    network = engine.convert(fix_static_inputs(model, fixed), precision, specs)
    if fault == "bad_layer":
        from hil.sim.converter_faults import break_one_layer

        network, _broken = break_one_layer(network)
    network_bytes = network.SerializeToString()
    # Running the built network once is the emulated tactic timing, and gives the output shapes.
    session = engine.make_session(network_bytes)
    outputs = session.run(None, engine.random_feed(specs, np.random.default_rng(0)))
    out_shapes = {o.name: list(a.shape) for o, a in zip(session.get_outputs(), outputs, strict=True)}
    log.i(f"[TRT] Detected {len(specs)} inputs and {len(out_shapes)} output network tensors.")
    log.i(f"[TRT] Engine generation completed in {g(time.perf_counter() - started)} seconds.")
    flags = [f for f in BUILD_FLAGS if opts.has(f)] + [
        f"{k}={opts.get(k)}" for k in BUILD_VALUED if k in opts.raw
    ]
    in_shapes = {name: spec.shape for name, spec in specs.items()}
    header = engine.make_header(precision, engine.sha256_hex(source), flags, in_shapes, out_shapes)
    # The optimization profile of every input (a static or overridden input: its one shape).
    header["profile"] = {n: [spec.shape] * 3 for n, spec in specs.items()} | {
        n: [r.min, r.opt, r.max] for n, r in ranges.items()
    }
    if opts.get("--markDebug"):
        header["debug_tensors"] = [n.strip("'\"") for n in _split(opts.get("--markDebug"))]
    data = engine.engine_bytes(network_bytes, header)
    log.i(f"Created engine with size: {g(len(data) / 2**20)} MiB")
    if opts.get("--saveEngine") and not _save(log, Path(opts.get("--saveEngine")), data, fault):
        return None
    if opts.get("--timingCacheFile"):
        Path(opts.get("--timingCacheFile")).write_bytes(b"HILSIM-TIMING-CACHE\n")
    log.i(f"Engine built in {g(time.perf_counter() - started)} sec.")
    log.i(f"[TRT] Loaded engine size: {len(data) // 2**20} MiB")
    return header, network_bytes


def parse_network(
    log: Log, path: str, fault: str | None, started: float
) -> tuple[bytes, onnx.ModelProto] | None:
    """(file bytes, model), or None after printing TensorRT's parser errors."""
    try:
        source = Path(path).read_bytes()
        model = onnx.load_from_string(source)
    except Exception:  # a missing file and a protobuf decode error end the same way in TensorRT
        log.e(f"[TRT] ModelImporter.cpp:745: Failed to parse ONNX model from file: {path}!")
        log.e("Failed to parse onnx file")
        log.e("Parsing model failed")
        return None
    _print_model_banner(log, path, model)
    rejected = engine.first_rejected_node(model)
    for index, node in enumerate(model.graph.node):
        log.v(f"[TRT] Parsing node: {node.name} [{node.op_type}]")
        if (fault == "unsupported_op" and index == 0) or (rejected is not None and rejected.index == index):
            _print_rejected(log, index, node, time.perf_counter() - started)
            return None
    log.i(f"Finished parsing network model. Parse time: {g(time.perf_counter() - started)}")
    return source, model


def _precision(opts: Options, model: onnx.ModelProto) -> str:
    if engine.is_qdq(model) or "int8" in opts.precisions:
        return "int8"
    return "fp16" if "fp16" in opts.precisions else "fp32"


def _print_model_banner(log: Log, path: str, model: onnx.ModelProto) -> None:
    opset = max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), default=0)
    rule = "[TRT] " + "-" * 64
    log.i(rule)
    log.i(f"[TRT] Input filename:   {path}")
    log.i(f"[TRT] ONNX IR version:  0.0.{model.ir_version}")
    log.i(f"[TRT] Opset version:    {opset}")
    log.i(f"[TRT] Producer name:    {model.producer_name}")
    log.i(f"[TRT] Producer version: {model.producer_version}")
    log.i(f"[TRT] Domain:           {model.domain}")
    log.i(f"[TRT] Model version:    {model.model_version}")
    log.i(f"[TRT] Doc string:       {model.doc_string}")
    log.i(rule)


def _print_rejected(log: Log, index: int, node: onnx.NodeProto, parse_s: float) -> None:
    """TensorRT 10's parser error for a node it has no importer (and no plugin) for."""
    op = node.op_type
    output = node.output[0] if node.output else ""
    log.i(f"[TRT] No checker registered for op: {op}. Attempting to check as plugin.")
    log.i(f"[TRT] No importer registered for op: {op}. Attempting to import as plugin.")
    log.i(f"[TRT] Searching for plugin: {op}, plugin_version: 1, plugin_namespace: ")
    log.e(f'[TRT] ModelImporter.cpp:949: While parsing node number {index} [{op} -> "{output}"]:')
    log.e("[TRT] ModelImporter.cpp:950: --- Begin node ---\n" + str(node).rstrip("\n"))
    log.e("[TRT] ModelImporter.cpp:951: --- End node ---")
    log.e(
        "[TRT] ModelImporter.cpp:954: ERROR: onnxOpImporters.cpp:6483 In function "
        "importFallbackPluginImporter:\n"
        '[6] creator && "Plugin not found, are the plugin name, version, and namespace correct?"'
    )
    log.e("Failed to parse onnx file")
    log.i(f"Finished parsing network model. Parse time: {g(parse_s)}")
    log.e("Parsing model failed")


def _save(log: Log, path: Path, data: bytes, fault: str | None) -> bool:
    try:
        faults.write_output(path, data, fault, keep=0)  # a corrupt plan is garbage from its header on
    except OSError:
        log.e("Saving engine to file failed.")
        _creation_failed(log)
        return False
    return True


# -- loading ------------------------------------------------------------------------------------------


def load(log: Log, path: str) -> Network | None:
    started = time.perf_counter()
    try:
        data = Path(path).read_bytes()
    except OSError:
        log.e(f"Error opening engine file: {path}")
        _creation_failed(log)
        return None
    log.i(f"Engine loaded in {g(time.perf_counter() - started)} sec.")
    log.i(f"[TRT] Loaded engine size: {len(data) // 2**20} MiB")
    try:
        header, network_bytes = engine.parse_engine(data, path)
        refusal = _incompatible(header)
        if refusal is not None:
            _print_incompatible(log, refusal)
            _creation_failed(log)
            return None
        onnx.load_from_string(network_bytes)
    except Exception:  # bad magic, damaged header or payload: TensorRT cannot tell them apart
        tag = "plan->header.magicTag == rt::kPLAN_MAGIC_TAG"
        where = "[runtime.cpp::parsePlan::314] Error Code 1: Serialization"
        log.e(f"Error[1]: {where} (Serialization assertion {tag} failed.)")
        log.e("Engine deserialization failed")
        _creation_failed(log)
        return None
    return header, network_bytes


def _incompatible(header: dict[str, Any]) -> str | None:
    """TensorRT's refusal of a plan built by another TensorRT version or for another GPU: "expecting" is
    this library (or device), "got" the plan's (real logs: NVIDIA/TensorRT#2983, #574; for the device,
    deepinsight/insightface#2882)."""
    mine, plan = engine.tensorrt_version(), str(header["tensorrt_version"])
    if plan != mine:
        return (
            "The engine plan file is not compatible with this version of TensorRT, expecting library "
            f"version {mine} got {plan}, please rebuild."
        )
    compute = str(header.get("compute_capability", engine.COMPUTE_CAPABILITY))
    if compute != engine.COMPUTE_CAPABILITY:
        return (
            "The engine plan file is generated on an incompatible device, expecting compute "
            f"{engine.COMPUTE_CAPABILITY} got compute {compute}, please rebuild."
        )
    return None


def _print_incompatible(log: Log, refusal: str) -> None:
    """As TensorRT 8.x prints it (`[TRT] 6: ...` then `4: [runtime.cpp::deserializeCudaEngine::66] Error
    Code 4: Internal Error (Engine deserialization failed.)`), or 10.x (`IRuntime::deserializeCudaEngine:
    Error Code 6: API Usage Error (...)`)."""
    if engine.version_tuple(engine.tensorrt_version()) < (10,):
        log.e(f"[TRT] 6: {refusal}")
        log.e(
            "[TRT] 4: [runtime.cpp::deserializeCudaEngine::66] Error Code 4: Internal Error "
            "(Engine deserialization failed.)"
        )
    else:
        log.e(f"[TRT] IRuntime::deserializeCudaEngine: Error Code 6: API Usage Error ({refusal})")
    log.e("Engine deserialization failed")


# -- inference ----------------------------------------------------------------------------------------


def run_inference(log: Log, opts: Options, header: dict[str, Any], network_bytes: bytes) -> None:
    started = time.perf_counter()
    session = engine.make_session(network_bytes)
    log.i(f"Engine deserialized in {g(time.perf_counter() - started)} sec.")
    specs = {
        i.name: engine.TensorSpec(opts.shapes.get(i.name, header["inputs"][i.name]), _np_dtype(i.type))
        for i in session.get_inputs()
    }
    for name, spec in specs.items():
        check_in_profile(name, spec.shape, header.get("profile", {}).get(name))
    host_inputs = engine.random_feed(specs, np.random.default_rng(1))
    loaded = _pairs(opts.get("--loadInputs")) if opts.get("--loadInputs") else {}
    for name, path in loaded.items():
        if name not in specs:
            raise ValueError(f'Cannot find input tensor with name "{name}" in the engine bindings!')
        data = np.fromfile(path, dtype=specs[name].dtype)
        if data.size != int(np.prod(specs[name].shape)):
            raise ValueError(f"Dimensions mismatch: {path} holds {data.size} values for input {name}")
        host_inputs[name] = data.reshape(specs[name].shape)
    debug = _pairs(opts.get("--saveDebugTensors")) if opts.get("--saveDebugTensors") else {}
    unmarked = [n for n in debug if n not in header.get("debug_tensors", [])]
    if unmarked:
        raise ValueError(
            f"--saveDebugTensors: {unmarked[0]} is not a debug tensor: these tensors must be specified as "
            "debug tensors during build time (--markDebug)"
        )
    for name, spec in specs.items():
        if name in loaded:
            log.i(f"Using values loaded from {loaded[name]} for input {name}")
            continue
        log.i(f"Using random values for input {name}")
        log.i(f"Input binding for {name} with dimensions {'x'.join(map(str, spec.shape))} is created.")
    for out, array in zip(session.get_outputs(), session.run(None, host_inputs), strict=True):
        dims = "x".join(map(str, array.shape)) or "1"
        log.i(f"Output binding for {out.name} with dimensions {dims} is created.")
    log.i("Starting inference")
    copy: Callable[[np.ndarray], np.ndarray] = (lambda a: a) if opts.has("--noDataTransfers") else np.copy
    t0 = time.perf_counter()

    def query() -> Query:
        start = time.perf_counter()
        device_inputs = {name: copy(array) for name, array in host_inputs.items()}
        h2d_end = time.perf_counter()
        outputs = session.run(None, device_inputs)
        compute_end = time.perf_counter()
        for array in outputs:
            copy(array)
        return Query(start - t0, h2d_end - t0, compute_end - t0, time.perf_counter() - t0)

    warmup_ms = opts.number("--warmUp", 200)
    warmups = 0
    while (time.perf_counter() - t0) * 1000 < warmup_ms:
        query()
        warmups += 1
    duration, iterations = opts.number("--duration", 3), int(opts.number("--iterations", 10))
    timed = [query()]
    while len(timed) < iterations or timed[-1].d2h_end - timed[0].enq_start < duration:
        timed.append(query())
    walltime = timed[-1].d2h_end - timed[0].enq_start
    log.i(f"Warmup completed {warmups} queries over {warmup_ms:g} ms")
    log.i(f"Timing trace has {len(timed)} queries over {g(walltime)} s")
    report(log, timed, walltime, int(opts.number("--avgRuns", 10)))
    if opts.get("--exportTimes"):
        export_times(Path(opts.get("--exportTimes")), timed)
    if debug:
        from hil.sim.layer_dump import LayerDump

        values = LayerDump(network_bytes).run(host_inputs)
        for name, path in debug.items():
            if name not in values:
                raise ValueError(f"debug tensor {name} is not a layer output of the network")
            log.i(f"Writing to file {path} for debug tensor {name}")
            np.ascontiguousarray(values[name], dtype=np.float32).tofile(path)


def _split(spec: str) -> list[str]:
    """Comma-separated items; a comma inside single quotes belongs to the name."""
    items, current, quoted = [], "", False
    for ch in spec:
        if ch == "'":
            quoted = not quoted
        if ch == "," and not quoted:
            items.append(current)
            current = ""
        else:
            current += ch
    return [i for i in [*items, current] if i]


def _pairs(spec: str) -> dict[str, str]:
    """`name:file` items (trtexec's Ival ::= name":"file); a quoted name may hold ':'."""
    out = {}
    for item in _split(spec):
        if item.startswith("'"):
            name, _, rest = item[1:].partition("'")
            out[name] = rest.removeprefix(":")
        else:
            name, _, path = item.rpartition(":")
            out[name] = path
    return out


def _np_dtype(ort_type: str) -> np.dtype[Any]:
    names = {"float": "float32", "double": "float64", "bool": "bool"}
    inner = ort_type.removeprefix("tensor(").removesuffix(")")
    return np.dtype(names.get(inner, inner))


if __name__ == "__main__":
    sys.exit(main())
