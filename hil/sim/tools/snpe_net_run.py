"""Emulated `snpe-net-run` (SNPE 2.22) of a simulated QCS8255: runs a simulated DLC on an input list.

    snpe-net-run --container M.dlc --input_list list.txt [--output_dir output]
                 [--use_gpu [--gpu_mode default|float16] | --use_dsp] [--perf_profile P]
                 [--profiling_level off|basic|moderate|detailed] [--set_output_tensors a,b]

For each line of the input list it reads the raw float32 tensors (DLC layout, NHWC for images), runs the
network once and writes `<output_dir>/Result_<i>/<output name>.raw` (float32, DLC layout; a `/` in a name
makes sub-folders, as SNPE does). `<output_dir>/SNPEDiag_0.log` (SNPE 2.x's name; older releases wrote
SNPEDiag.log) records measured times (snpe_diaglog).

Runtimes, all executed by ONNX Runtime on one host CPU thread:
- CPU (default): the DLC's network as it is.
- GPU (`--use_gpu`): float16 storage; the network is converted to float16 (hil.sim.engine.to_fp16) unless
  the DLC is float16 or quantized already. `--gpu_mode float16` is the same here; the default mode's float32
  arithmetic is not modelled.
- DSP (`--use_dsp`): a quantized DLC runs its QDQ network; a float DLC runs as float16 (HTP FP16). With an
  HTP cache (snpe-dlc-graph-prepare) the prepared graph is loaded as it is; without one the runtime
  prepares (optimizes) the graph itself at start-up, inside the measured `Create` time.

Measured per inference (time.perf_counter): Total Inference Time = the whole execute (raw tensors to the
network's layout, the run, outputs back to DLC layout); Forward Propagate Time = the network run alone.
`--profiling_level detailed` adds per-layer times from ONNX Runtime's profiler (kernel time per node, us).
`--perf_profile` is accepted and recorded; it has no effect on a host CPU.
`--debug` ("output from all layers of the network will be saved", SNPE's help; the SDK's C++ sample builds
with `SNPEBuilder::setDebugMode` and saves every tensor of the output map as `OutputDir/Result_N/<name>.raw`)
writes every layer's output beside the network outputs, float32 in DLC layout (hil.sim.layer_dump).

Faults (key "snpe-net-run"): hang (after the banner), crash (after the first result), disk_full (writing
the first result fails), corrupt (results are written as garbage, success reported).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from hil.sim import dlc, faults
from hil.sim.engine import is_qdq, to_fp16
from hil.sim.layer_dump import LayerDump
from hil.sim.tools import snpe_args
from hil.sim.tools.snpe_diaglog import DiagLog

COMMAND = "snpe-net-run"
DIAG_LOG = "SNPEDiag_0.log"  # as SNPE 2.9 writes it (../shared/real-logs/snpe-01.txt)
PLATFORMS = ("qcs8255",)

FLAGS = {"--use_gpu", "--use_dsp", "--use_aip", "--use_cpu", "--enable_cpu_fallback", "--userbuffer_float"}
FLAGS |= {"--help", "-h", "--version", "--use_native_input_files", "--use_native_output_files", "--debug"}
VALUED = {
    "--container", "--input_list", "--output_dir", "--gpu_mode", "--perf_profile", "--profiling_level",
    "--set_output_tensors", "--runtime_order", "--platform_options",
}  # fmt: skip
PERF_PROFILES = {
    "default", "balanced", "high_performance", "power_saver", "system_settings", "sustained_high_performance",
    "burst", "low_power_saver", "high_power_saver", "low_balanced", "extreme_power_saver",
}  # fmt: skip
PROFILING_LEVELS = ("off", "basic", "moderate", "detailed")
RULE = "-" * 79
USAGE = """\
DESCRIPTION:
------------
Example application demonstrating how to load and execute a neural network
using the SNPE C/C++ API.

REQUIRED ARGUMENTS:
-------------------
  --container  <FILE>       Path to the DL container containing the network.
  --input_list <FILE>       Path to a file listing the inputs for the network.

OPTIONAL ARGUMENTS:
-------------------
  --output_dir <DIR>        The directory to save output to. Defaults to ./output
  --use_gpu                 Use the GPU runtime for SNPE.
  --gpu_mode <VAL>          GPU mode: default (float32 math, float16 storage) or float16.
  --use_dsp                 Use the DSP fixed point runtime for SNPE.
  --perf_profile <VAL>      Performance profile, e.g. balanced, high_performance, burst.
  --profiling_level <VAL>   off, basic, moderate or detailed. Default is basic.
  --set_output_tensors <VAL> Comma separated list of output tensors.
  --debug                   Specifies that output from all layers of the network
                            will be saved.
  --version                 Show SNPE Version Number.
  --help                    Show this help message.
"""


class RunError(Exception):
    pass


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    fault = faults.fault_for(COMMAND)
    try:
        args = snpe_args.parse(argv, FLAGS, VALUED)
    except snpe_args.ArgError as exc:
        print(f"{exc}\n{USAGE}", file=sys.stderr)
        return 1
    if (answered := snpe_args.help_or_version(args, USAGE)) is not None:
        return answered
    print(f"{RULE}\nModel String: N/A\n{snpe_args.version_line()}\n{RULE}", flush=True)
    if fault == "hang":
        faults.hang()
    try:
        return run(args, fault)
    except RunError as exc:
        print(str(exc), file=sys.stderr, flush=True)
        return 1


def runtime_of(args: snpe_args.Args) -> str:
    if args.has("--use_aip"):
        raise RunError(
            "error_code=102; error_message=Selected runtime not present. AIP runtime is not available"
        )
    if args.has("--use_dsp"):
        return "DSP"
    if args.has("--use_gpu"):
        mode = args.get("--gpu_mode", "default")
        if mode not in ("default", "float16"):
            raise RunError(f"Invalid gpu_mode: {mode} (valid: default, float16)")
        return "GPU_FP16" if mode == "float16" else "GPU"
    return "CPU"


def run(args: snpe_args.Args, fault: str | None) -> int:
    if not args.get("--container") or not args.get("--input_list"):
        raise RunError(f"Missing required argument: --container and --input_list\n{USAGE}")
    runtime = runtime_of(args)
    profile, level = args.get("--perf_profile", "default"), args.get("--profiling_level", "basic")
    if profile not in PERF_PROFILES:
        raise RunError(f"Invalid perf_profile: {profile}")
    if level not in PROFILING_LEVELS:
        raise RunError(f"Invalid profiling_level: {level}")
    try:
        listing = snpe_args.read_input_list(args.get("--input_list"))
    except OSError as exc:
        raise RunError(f"Could not open input list: {args.get('--input_list')}") from exc
    out_dir = Path(args.get("--output_dir", "output"))
    out_dir.mkdir(parents=True, exist_ok=True)
    diag = DiagLog(
        header={
            "created": time.time(),
            "steady_us": int(time.monotonic() * 1e6),
            "version": dlc.SNPE_VERSION,
            "runtime": runtime,
            "perf_profile": profile,
            "profiling_level": level,
            "simulated": True,
        }
    )
    with tempfile.TemporaryDirectory(prefix="hilsim-prof-") as tmp:
        loaded = Loaded.load(args.get("--container"), runtime, f"{tmp}/ort" if level == "detailed" else None)
        diag.create = loaded.create
        wanted = [t for t in args.get("--set_output_tensors").split(",") if t] or listing.output_tensors
        debug = LayerDump(network_for(loaded.model, runtime)[0]) if args.has("--debug") else None
        try:
            for index, entry in enumerate(listing.entries):
                print("Processing DNN input(s):", *entry.values(), sep="\n", flush=True)
                outputs, timing = loaded.execute(entry)
                if debug is not None:  # every layer's output too (see hil.sim.layer_dump)
                    feed = {
                        n: dlc.nhwc_to_onnx(loaded._read(n, entry), d["onnx_dims"])
                        for n, d in loaded.inputs.items()
                    }
                    dumped = {n: dlc.onnx_to_nhwc(a) for n, a in debug.run(feed).items()}
                    outputs = {**dumped, **outputs}
                    wanted = []
                if faults.fault_for("runtime") == "wrong_outputs":
                    outputs = {name: faults.wrong_outputs(value) for name, value in outputs.items()}
                diag.executions.append({"index": index, **timing, "layers": None})
                write_results(out_dir / f"Result_{index}", outputs, wanted, fault)
                if fault == "crash":
                    faults.crash()
        finally:
            layers = loaded.finish()
            for record, per_layer in zip(diag.executions, layers, strict=False):
                record["layers"] = per_layer
            diag.deinit_us = loaded.deinit_us
            diag.write(out_dir / DIAG_LOG)
    return 0


def write_results(folder: Path, outputs: dict[str, np.ndarray], wanted: list[str], fault: str | None) -> None:
    for name, array in outputs.items():
        if wanted and name not in wanted:
            continue
        # OutputDir + "/Result_N/" + name + ".raw", as SNPE concatenates it: a '/' in the name makes
        # sub-folders and a leading one collapses into the separator (never a path from the root)
        path = folder / f"{name.lstrip('/')}.raw"
        path.parent.mkdir(parents=True, exist_ok=True)
        data = array.astype(np.float32).tobytes()
        if fault == "disk_full":
            path.write_bytes(data[: len(data) // 2])
            raise RunError(f"Failed to write output file: {path} (No space left on device)")
        if fault == "corrupt":
            data = np.random.default_rng(len(data)).standard_normal(array.size).astype(np.float32).tobytes()
        path.write_bytes(data)


class Loaded:
    """A DLC loaded for one runtime, with its create-time statistics (microseconds, measured)."""

    def __init__(self, model: dlc.Dlc, session: Any, create: dict[str, int], profiled: bool) -> None:
        self.model, self.session, self.create, self.profiled = model, session, create, profiled
        self.inputs: dict[str, Any] = model.header["inputs"]
        self.output_names = [o.name for o in session.get_outputs()]
        self.deinit_us: int | None = None
        self.slow = faults.fault_for("runtime") == "slow"

    @classmethod
    def load(cls, path: str, runtime: str, profile_prefix: str | None) -> Loaded:
        t0 = time.perf_counter()
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise RunError(
                f"error_code=311; error_message=Dlc container is bad. Could not open {path}; "
                "error_component=Dl Container; line_no=94"
            ) from exc
        t1 = time.perf_counter()
        try:
            model = dlc.parse_dlc(data, path)
            network, level = network_for(model, runtime)
        except Exception as exc:  # a damaged header or network: the container is bad either way
            raise RunError(
                f"error_code=311; error_message=Dlc container is bad. {exc}; "
                "error_component=Dl Container; line_no=94"
            ) from exc
        t2 = time.perf_counter()
        session = dlc.make_session(network, profile_prefix, level)
        t3 = time.perf_counter()
        us = [round((b - a) * 1e6) for a, b in ((t0, t1), (t1, t2), (t2, t3), (t0, t3))]
        create = {"load_us": us[0], "deserialize_us": us[1], "create_us": us[2], "init_us": us[3]}
        create["create_network_us"] = us[2]
        return cls(model, session, create, profile_prefix is not None)

    def execute(self, entry: dict[str, str]) -> tuple[dict[str, np.ndarray], dict[str, int]]:
        raws = {name: self._read(name, entry) for name in self.inputs}
        start = time.perf_counter()
        feed = {name: dlc.nhwc_to_onnx(raw, self.inputs[name]["onnx_dims"]) for name, raw in raws.items()}
        t0 = time.perf_counter()
        results = self.session.run(None, feed)
        for _ in range(2 if self.slow else 0):  # the `runtime=slow` fault: every inference runs three times
            results = self.session.run(None, feed)
        t1 = time.perf_counter()
        outputs = {
            n: dlc.onnx_to_nhwc(np.asarray(a)) for n, a in zip(self.output_names, results, strict=True)
        }
        end = time.perf_counter()
        return outputs, {"total_us": round((end - start) * 1e6), "forward_us": round((t1 - t0) * 1e6)}

    def _read(self, name: str, entry: dict[str, str]) -> np.ndarray:
        path = entry.get(name) or (entry.get("") if len(self.inputs) == 1 else None)
        if path is None:
            raise RunError(f"No input file for input tensor {name} in the input list")
        try:
            data = np.fromfile(path, dtype=np.float32)
        except OSError as exc:
            raise RunError(f"Could not open input file: {path}") from exc
        expected = dlc.element_count(self.inputs[name])
        if data.size != expected:
            dims = ",".join(map(str, self.inputs[name]["dims"]))
            raise RunError(
                f"Input file {path} has {data.size} elements; tensor {name} of dims {dims} needs {expected}"
            )
        return data

    def finish(self) -> list[list[list[Any]]]:
        """End the session (measured as De-Init); per-inference layer times when profiling was on."""
        layers = _layer_times(self.session.end_profiling()) if self.profiled else []
        t0 = time.perf_counter()
        del self.session
        self.deinit_us = round((time.perf_counter() - t0) * 1e6)
        return layers


def network_for(model: dlc.Dlc, runtime: str) -> tuple[bytes, str]:
    """(ONNX bytes, ONNX Runtime optimization level) the runtime executes for this DLC."""
    quantized = bool(model.header.get("quantized")) or model.header.get("encodings") == "source-qdq"
    if runtime == "DSP" and model.htp_cache is not None:
        return model.htp_cache, "none"  # prepared offline: loaded as it is
    if runtime == "CPU" or quantized or model.header.get("float_bitwidth") == 16:
        return model.network, "extended" if runtime == "DSP" else "all"
    network = model.model()
    if is_qdq(network):
        return model.network, "all"
    return to_fp16(network).SerializeToString(), "extended" if runtime == "DSP" else "all"


def _layer_times(profile_path: str) -> list[list[list[Any]]]:
    """[[name, op type, us], ...] per inference from ONNX Runtime's profile (kernel time of each node)."""
    try:
        events = json.loads(Path(profile_path).read_text())
    except (OSError, json.JSONDecodeError):
        return []
    runs = sorted((e["ts"], e["ts"] + e["dur"]) for e in events if e.get("name") == "model_run")
    per_run: list[list[list[Any]]] = [[] for _ in runs]
    for event in events:
        if event.get("cat") != "Node" or not str(event.get("name", "")).endswith("_kernel_time"):
            continue
        for i, (start, end) in enumerate(runs):
            if start <= event["ts"] <= end:
                name = event["name"].removesuffix("_kernel_time")
                per_run[i].append([name, event.get("args", {}).get("op_name", ""), int(event["dur"])])
                break
    Path(profile_path).unlink(missing_ok=True)
    return per_run


if __name__ == "__main__":
    sys.exit(main())
