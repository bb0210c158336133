"""The emulated trtexec's command line and the layout of its log (TensorRT 10.3, as on JetPack 6).

Every line is `[MM/DD/YYYY-HH:MM:SS] [I] ...` like a real capture; [I]/[V] lines go to stdout and [W]/[E]
lines to stderr, as trtexec's logger does. Numbers are printed as C++ streams print floats (6 significant
digits), and the statistics use trtexec's own median and percentile rules.
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from hil.sim import conformance
from hil.sim.conformance import FlagRules
from hil.sim.engine import tensorrt_version, version_tuple


def banner() -> str:
    """`TensorRT.trtexec [TensorRT v8502]` (TensorRT 8: major*1000 + minor*100 + patch) or
    `[TensorRT v100300] [b17]` (10: major*10000 + ...; its build tag), as the real banners print them."""
    major, minor, patch = (*version_tuple(tensorrt_version()), 0, 0, 0)[:3]
    if major >= 10:
        return f"TensorRT.trtexec [TensorRT v{major * 10000 + minor * 100 + patch}] [b17]"
    return f"TensorRT.trtexec [TensorRT v{major * 1000 + minor * 100 + patch}]"


def flag_rules() -> FlagRules | None:
    """What this board's TensorRT release of trtexec accepts (hil/sim/conformance/orin-trt*.yaml): e.g.
    `--buildOnly` before 8.6, both names at 8.6 (the old one deprecated), only `--skipInference` from 10.0."""
    return conformance.flag_rules("orin", "tensorrt", tensorrt_version(), "trtexec")


DEVICE = "Orin (simulated: host CPU)"
# What the emulation acts out; which of them a release accepts is the conformance file's (flag_rules).
FLAGS = {
    "--fp16", "--int8", "--best", "--verbose", "--allowGPUFallback", "--noDataTransfers", "--useSpinWait",
    "--separateProfileRun", "--help", "-h", "--buildOnly", "--skipInference",
}  # fmt: skip
VALUED = {
    "--onnx", "--saveEngine", "--loadEngine", "--iterations", "--duration", "--warmUp", "--avgRuns",
    "--shapes", "--minShapes", "--optShapes", "--maxShapes", "--memPoolSize", "--useDLACore",
    "--timingCacheFile", "--exportTimes", "--builderOptimizationLevel",
    "--markDebug", "--loadInputs", "--saveDebugTensors",
}  # fmt: skip
PERCENTILES = (90, 95, 99)
ON = {True: "Enabled", False: "Disabled"}


class Log:
    def __init__(self, verbose: bool) -> None:
        self.verbose = verbose

    def _emit(self, level: str, message: str) -> None:
        out = sys.stderr if level in "WE" else sys.stdout
        out.write(f"{time.strftime('[%m/%d/%Y-%H:%M:%S]')} [{level}] {message}\n")
        out.flush()

    def i(self, message: str = "") -> None:
        self._emit("I", message)

    def w(self, message: str) -> None:
        self._emit("W", message)

    def e(self, message: str) -> None:
        self._emit("E", message)

    def v(self, message: str) -> None:
        if self.verbose:
            self._emit("V", message)


@dataclass
class Options:
    raw: dict[str, str]
    flags: set[str]
    shapes: dict[str, list[int]] = field(default_factory=dict)
    # Flags this release of trtexec accepts that the emulation does not act out (refused, never ignored),
    # and the deprecation warnings the real parser prints.
    not_emulated: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def get(self, key: str, default: str = "") -> str:
        return self.raw.get(key, default)

    def number(self, key: str, default: float) -> float:
        return float(self.raw[key]) if key in self.raw else default

    def has(self, flag: str) -> bool:
        return flag in self.flags

    @property
    def precisions(self) -> set[str]:
        """Requested reduced precisions; --best asks for all of them."""
        asked = {f[2:] for f in self.flags} & {"fp16", "int8", "best"}
        return {"fp16", "int8"} if "best" in asked else asked


def parse_args(argv: list[str], rules: FlagRules | None = None) -> tuple[Options, list[str]]:
    """Options, and the unknown arguments as this release's trtexec reports them (`Unknown option: --key
    value`). `rules` (default: the board's release, flag_rules()) says which flags exist."""
    rules = rules or flag_rules()
    raw: dict[str, str] = {}
    flags: set[str] = set()
    unknown: list[str] = []
    not_emulated: list[str] = []
    warnings: list[str] = []
    for arg in argv:
        key, _, value = arg.partition("=")
        if rules is not None and key not in rules.accepted:
            unknown.append(rules.message.format(name=key, value=value))
            continue
        if rules is not None and key in rules.deprecated:
            warnings.append(rules.deprecated[key])
        if key in FLAGS:
            flags.add(key)
        elif key in VALUED:
            raw[key] = value
        elif rules is None:
            unknown.append(f"Unknown option: {key} {value}")
        else:
            not_emulated.append(key)
    shapes = {}
    for item in filter(None, (raw.get("--shapes") or raw.get("--optShapes", "")).split(",")):
        name, _, dims = item.rpartition(":")
        shapes[name.strip("'\"")] = [int(d) for d in dims.split("x")]
    return Options(raw, flags, shapes, not_emulated, warnings), unknown


def usage() -> str:
    lines = ["=== Options ===", "  --onnx=<file>  ONNX model", "  --loadEngine=<file>  a saved engine"]
    lines += [f"  {name}=<value>" for name in sorted(VALUED - {"--onnx", "--loadEngine"})]
    lines += [f"  {name}" for name in sorted(FLAGS)]
    return "\n".join([*lines, ""])


# -- the options echo -----------------------------------------------------------------------------------


def print_options(log: Log, opts: Options) -> None:
    for title, lines in [
        ("Model Options", _model_options(opts)),
        ("Build Options", _build_options(opts)),
        ("System Options", ["Device: 0", f"DLACore: {opts.get('--useDLACore')}", "Plugins:", ""]),
        ("Inference Options", _inference_options(opts)),
        ("Reporting Options", _reporting_options(log, opts)),
        ("Device Information", _device_information()),
    ]:
        log.i(f"=== {title} ===")
        for line in lines:
            log.i(line)


def _model_options(opts: Options) -> list[str]:
    return ["Format: " + ("ONNX" if opts.get("--onnx") else "*"), f"Model: {opts.get('--onnx')}", "Output:"]


def _shapes(opts: Options) -> str:
    return ", ".join(f"{n}={'x'.join(map(str, d))}" for n, d in opts.shapes.items()) or "model"


def _spec(text: str) -> dict[str, str]:
    return {n.strip("'\""): d for n, _, d in (i.rpartition(":") for i in text.split(",") if i)}


def _build_shapes(opts: Options) -> str:
    """`Input build shape: x=1x3x8x8+4x3x8x8+16x3x8x8` per input of an explicit profile (as TensorRT prints
    it), else the --shapes used for the build, else `Input build shapes: model`."""
    low, opt, high = (_spec(opts.get(k)) for k in ("--minShapes", "--optShapes", "--maxShapes"))
    if opt:
        return "Input build shape: " + ", ".join(
            f"{n}={low.get(n, d)}+{d}+{high.get(n, d)}" for n, d in opt.items()
        )
    return f"Input build shapes: {_shapes(opts)}"


def _build_options(opts: Options) -> list[str]:
    pools = dict.fromkeys(("workspace", "dlaSRAM", "dlaLocalDRAM", "dlaGlobalDRAM"), "default")
    for item in filter(None, opts.get("--memPoolSize").split(",")):
        pool, _, size = item.partition(":")
        pools[pool] = f"{size} MiB" if size.replace(".", "", 1).isdigit() else size
    precision = "".join(["FP32", *(f"+{p.upper()}" for p in ("fp16", "int8") if p in opts.precisions)])
    cache = opts.get("--timingCacheFile")
    return [
        "Memory Pools: " + ", ".join(f"{k}: {v}" for k, v in pools.items()) + ", tacticSharedMem: default",
        "avgTiming: 8",
        f"Precision: {precision}",
        "LayerPrecisions: ",
        "Layer Device Types: ",
        "Calibration: " + ("Dynamic" if "int8" in opts.precisions else ""),
        "Refit: Disabled",
        "Strip weights: Disabled",
        "Version Compatible: Disabled",
        "TensorRT runtime: full",
        "Sparsity: Disabled",
        "Safe mode: Disabled",
        f"Allow GPU fallback for DLA: {ON[opts.has('--allowGPUFallback')]}",
        f"Skip inference: {ON[opts.has('--skipInference') or opts.has('--buildOnly')]}",
        f"Save engine: {opts.get('--saveEngine')}",
        f"Load engine: {opts.get('--loadEngine')}",
        "Tactic sources: Using default tactic sources",
        "timingCacheMode: " + ("global" if cache else "local"),
        f"timingCacheFile: {cache}",
        f"BuilderOptimizationLevel: {opts.get('--builderOptimizationLevel', '-1')}",
        "Input(s)s format: fp32:CHW",
        "Output(s)s format: fp32:CHW",
        _build_shapes(opts),
        "Input calibration shapes: model",
    ]


def _inference_options(opts: Options) -> list[str]:
    return [
        "Batch: Explicit",
        f"Input inference shapes: {_shapes(opts)}",
        f"Iterations: {int(opts.number('--iterations', 10))}",
        f"Duration: {opts.number('--duration', 3):g}s (+ {opts.number('--warmUp', 200):g}ms warm up)",
        "Sleep time: 0ms",
        "Idle time: 0ms",
        "Inference Streams: 1",
        f"Data transfers: {ON[not opts.has('--noDataTransfers')]}",
        f"Spin-wait: {ON[opts.has('--useSpinWait')]}",
        "Multithreading: Disabled",
        "CUDA Graph: Disabled",
        f"Separate profiling: {ON[opts.has('--separateProfileRun')]}",
        "Inputs:",
    ]


def _reporting_options(log: Log, opts: Options) -> list[str]:
    return [
        f"Verbose: {ON[log.verbose]}",
        f"Averages: {int(opts.number('--avgRuns', 10))} inferences",
        "Percentiles: " + ",".join(map(str, PERCENTILES)),
        "Dump output: Disabled",
        "Profile: Disabled",
        f"Export timing to JSON file: {opts.get('--exportTimes')}",
        "",
    ]


def _device_information() -> list[str]:
    return [
        "Available Devices: ",
        f'  Device 0: "{DEVICE}"',
        f"Selected Device: {DEVICE}",
        "Selected Device ID: 0",
        f"Device Global Memory: {_host_memory_mib()} MiB",
        "",
        f"TensorRT version: {tensorrt_version()}",
        "Loading standard plugins",
    ]


def _host_memory_mib() -> int:
    # An Orin's GPU shares system memory, so the host's RAM is the honest stand-in.
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    return 0


# -- the performance report ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """One timed query: when each stage ended, in seconds from the start of inference."""

    enq_start: float
    h2d_end: float
    compute_end: float
    d2h_end: float

    @property
    def h2d(self) -> float:
        return (self.h2d_end - self.enq_start) * 1000

    @property
    def compute(self) -> float:
        return (self.compute_end - self.h2d_end) * 1000

    @property
    def d2h(self) -> float:
        return (self.d2h_end - self.compute_end) * 1000

    @property
    def latency(self) -> float:
        return self.h2d + self.compute + self.d2h

    @property
    def enqueue(self) -> float:
        return (self.d2h_end - self.enq_start) * 1000


EXPLANATIONS = [
    "Explanations of the performance metrics:",
    "Total Host Walltime: the host walltime from when the first query (after warmups) is enqueued to when "
    "the last query is completed.",
    "GPU Compute Time: the GPU latency to execute the kernels for a query. (Simulated board: the measured "
    "ONNX Runtime CPU run time.)",
    "Total GPU Compute Time: the summation of the GPU Compute Time of all the queries.",
    "Throughput: the observed throughput computed by dividing the number of queries by the Total Host "
    "Walltime.",
    "Enqueue Time: the host latency to enqueue a query.",
    "H2D Latency: the latency for host-to-device data transfers for input tensors of a single query.",
    "D2H Latency: the latency for device-to-host data transfers for output tensors of a single query.",
    "Latency: the summation of H2D Latency, GPU Compute Time, and D2H Latency. This is the latency to "
    "infer a single query.",
]


def g(value: float) -> str:
    return f"{value:.6g}"  # C++ ostream's default float format


def summary(values_ms: list[float]) -> str:
    """trtexec's statistics line: median = mean of the middle two for an even count; percentile p =
    sorted[n - 1 - k] with k = int((1 - p/100) * n)."""
    ordered = sorted(values_ms)
    n = len(ordered)
    median = ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2
    parts = [
        f"min = {g(ordered[0])} ms",
        f"max = {g(ordered[-1])} ms",
        f"mean = {g(statistics.fmean(ordered))} ms",
        f"median = {g(median)} ms",
    ]
    for p in PERCENTILES:
        parts.append(f"percentile({p}%) = {g(ordered[max(n - 1 - int((1 - p / 100) * n), 0)])} ms")
    return ", ".join(parts)


def report(log: Log, timed: list[Query], walltime: float, runs_per_average: int) -> None:
    log.i()
    log.i("=== Trace details ===")
    log.i(f"Trace averages of {runs_per_average} runs:")
    for first in range(0, len(timed) - runs_per_average + 1, runs_per_average):
        group = timed[first : first + runs_per_average]
        gpu = g(statistics.fmean(q.compute for q in group))
        host = g(statistics.fmean(q.latency for q in group))
        enqueue = g(statistics.fmean(q.enqueue for q in group))
        log.i(
            f"Average on {runs_per_average} runs - GPU latency: {gpu} ms - Host latency: {host} ms "
            f"(enqueue {enqueue} ms)"
        )
    log.i()
    log.i("=== Performance summary ===")
    log.i(f"Throughput: {g(len(timed) / walltime)} qps")
    compute = [q.compute for q in timed]
    log.i(f"Latency: {summary([q.latency for q in timed])}")
    log.i(f"Enqueue Time: {summary([q.enqueue for q in timed])}")
    log.i(f"H2D Latency: {summary([q.h2d for q in timed])}")
    log.i(f"GPU Compute Time: {summary(compute)}")
    log.i(f"D2H Latency: {summary([q.d2h for q in timed])}")
    log.i(f"Total Host Walltime: {g(walltime)} s")
    log.i(f"Total GPU Compute Time: {g(sum(compute) / 1000)} s")
    mean = statistics.fmean(compute)
    cov = 100 * statistics.pstdev(compute) / mean if mean else 0.0
    if cov > 1.0:
        log.w(f"* GPU compute time is unstable, with coefficient of variance = {g(cov)}%.")
        log.w(
            "  If not already in use, locking GPU clock frequency or adding --useSpinWait may improve "
            "the stability."
        )
    if log.verbose:
        for line in EXPLANATIONS:
            log.v(line)
    else:
        log.i("Explanations of the performance metrics are printed in the verbose logs.")
    log.i()


def export_times(path: Path, timed: list[Query]) -> None:
    """The per-query JSON trace of `--exportTimes`, in trtexec's own layout (times in ms)."""
    lines = ["["]
    for index, q in enumerate(timed):
        fields = {
            "startEnqMs": q.enq_start * 1000,
            "endEnqMs": q.d2h_end * 1000,
            "startH2dMs": q.enq_start * 1000,
            "endH2dMs": q.h2d_end * 1000,
            "startComputeMs": q.h2d_end * 1000,
            "endComputeMs": q.compute_end * 1000,
            "startD2hMs": q.compute_end * 1000,
            "endD2hMs": q.d2h_end * 1000,
            "h2dMs": q.h2d,
            "computeMs": q.compute,
            "d2hMs": q.d2h,
            "latencyMs": q.latency,
        }
        body = ", ".join(f'"{key}" : {g(value)}' for key, value in fields.items())
        lines.append(f"{'  ' if index == 0 else ', '}{{ {body} }}")
    path.write_text("\n".join([*lines, "]", ""]))
