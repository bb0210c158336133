"""TI TDA4VM (J721E): TIDL through ONNX Runtime's TIDL execution providers, power from INA226 hwmon sysfs.

Conversion is the edgeai-tidl-tools flow: hil pushes its compile script (hil/harness/tidl_compile.py) and
runs it with the board's (or TIDL tools host's) Python, where TI's onnxruntime provides
TIDLCompilationProvider:

    python3 tidl_compile.py --model M.onnx --artifacts A --tensor-bits 16|8 --accuracy-level 1 \\
        --calibration-frames 12 --calibration-iterations 5 --debug-level 1 [--prequantized] \\
        [--calib-clip CLIP ...] [--input-json SPEC]

With kept layers (`keep`, int8 only) TIDL calibrates the FP32 model itself at tensor_bits 8 with the kept
layers in `advanced_options:output_feature_16bit_names_list` (TI documents mixed precision for its own
calibration; a pre-quantized model bypasses it).

hil precision int16 is "TIDL 16-bit" (tensor_bits 16, 16-bit fixed point calibrated on the frames), int8
is "TIDL 8-bit" (tensor_bits 8 on the host-quantized QDQ model, whose scales TIDL keeps:
advanced_options:prequantized_model). TIDL has no float mode, so fp32 is not offered. Replay is hil's
harness with `--backend tidl_backend` (TIDLExecutionProvider on the artifacts folder) and per-frame
times from TIDL's own statistics. Power: a shell loop samples every INA226 `power*_input` (microwatts)
under /sys/class/hwmon for exactly the replay window.
"""

from __future__ import annotations

import contextlib
import json
import posixpath
import re
import shlex
import time
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from hil.errors import ConversionError, InfraError, ParseError
from hil.parsers.hwmon import parse_hwmon
from hil.parsers.ti_perf import parse_ti_perf
from hil.parsers.tidl import parse_tidl_log
from hil.platforms.base import (
    BoardContext,
    Conversion,
    MonitorPlan,
    Platform,
    PowerPlan,
    PowerReading,
    ReplayRequest,
    split_stamped,
    stamped_sampler,
)
from hil.platforms.cache import EngineCache, cache_key
from hil.platforms.thermal import thermal_command, thermal_facts
from hil.records import Precision

TENSOR_BITS: dict[str, int] = {"int16": 16, "int8": 8}
# Compile options, part of the cache key: 12 calibration frames as edgeai-benchmark's settings file has,
# 5 bias-calibration iterations as edgeai-tidl-tools' examples have.
OPTIONS: dict[str, int] = {
    "accuracy_level": 1,
    "calibration_frames": 12,
    "calibration_iterations": 5,
    "debug_level": 1,
}
VERSION = re.compile(r"(\d{2})[_.](\d{2})[_.](\d{2})[_.](\d{2})")
SOCS = {"j721e": "TDA4VM", "tda4vm": "TDA4VM", "am68pa": "TDA4VM"}
HWMON = '"${HIL_BOARD_ROOT:-}"/sys/class/hwmon/hwmon*'


def tidl_tools_version(text: str) -> str | None:
    """`08_06_00_02` from a tidl_tools version.txt (any `key=value` layout) or an SDK version string."""
    found = VERSION.search(text)
    return "_".join(found.groups()) if found else None


def soc_name(soc: str, dt_model: str) -> str:
    """`j721e` (TI's SOC variable) or a device-tree model naming J721E -> TDA4VM; else what the board says."""
    if soc.strip().lower() in SOCS:
        return SOCS[soc.strip().lower()]
    if "j721e" in dt_model.lower():
        return "TDA4VM"
    return soc.strip() or dt_model.strip()


class Tda4vm(Platform):
    key = "tda4vm"
    title = "TI TDA4VM (TIDL via ONNX Runtime)"
    precisions = ("int16", "int8")
    static_shapes = True  # TIDL imports static shapes only: the host rewrites a dynamic model's input dims
    precision_labels: ClassVar[dict[str, str]] = {"int16": "TIDL 16-bit", "int8": "TIDL 8-bit"}
    precision_hints: ClassVar[dict[str, str]] = {
        "fp16": "TIDL has no float16: its 16-bit mode (tensor_bits 16) is 16-bit fixed point, hil's int16; "
        "use --precision int16",
        "fp32": "TIDL runs fixed point only (tensor_bits 8 or 16)",
    }

    def fact_commands(self) -> dict[str, str]:
        ort = "import onnxruntime as rt; print(rt.__version__); print(','.join(rt.get_available_providers()))"
        return {
            "tidl_tools_path": 'echo "${TIDL_TOOLS_PATH:-}"',
            "tidl_tools_version": 'cat "${TIDL_TOOLS_PATH:?}/version.txt"',
            "edgeai_sdk": 'echo "${EDGEAI_SDK_VERSION:-}"',
            "soc_env": 'echo "${SOC:-}"',
            # The device tree's model string ends in NUL, not a newline: add one for the next fact.
            "dt_model": "tr -d '\\000' < \"${HIL_BOARD_ROOT:-}/proc/device-tree/model\"; echo",
            "onnxruntime_info": f"python3 -c {shlex.quote(ort)}",
            # The common files only: the C7x/MMA clocks are the firmware's, not shown to Linux.
            "thermal": thermal_command(),
        }

    def normalise_facts(self, facts: dict[str, str]) -> dict[str, str]:
        out = dict(facts)
        out["tidl_tools"] = tidl_tools_version(facts.get("tidl_tools_version", "")) or ""
        out["soc"] = soc_name(facts.get("soc_env", ""), facts.get("dt_model", ""))
        version, _, providers = facts.get("onnxruntime_info", "").partition("\n")
        out["onnxruntime"] = version.strip()
        out["tidl_providers"] = ",".join(p for p in providers.strip().split(",") if p.startswith("TIDL"))
        out.update(thermal_facts(facts.get("thermal", "")))
        return out

    def fingerprint_keys(self) -> tuple[str, ...]:
        return ("soc", "edgeai_sdk", "tidl_tools", "onnxruntime", "cpu_max_mhz")

    def converter_version(self, facts: dict[str, str]) -> str | None:
        return facts.get("tidl_tools") or None

    def convert(
        self,
        ctx: BoardContext,
        model: str,
        model_sha: str,
        precision: Precision,
        *,
        clips: Sequence[str] = (),
        input_spec: dict[str, Any] | None = None,
        input_shapes: Mapping[str, list[int]] | None = None,  # unused: the host made the model static
        calibration_frames: int | None = None,
        keep: Sequence[str] | None = None,
    ) -> Conversion:
        version = self.converter_version(ctx.facts)
        if version is None:
            raise InfraError(
                f"{ctx.name}: no TIDL tools found ($TIDL_TOOLS_PATH/version.txt is not readable over SSH)",
                hint="set TIDL_TOOLS_PATH for non-interactive SSH sessions (e.g. in /etc/environment), or "
                "name a TIDL tools host as the board's build_host",
            )
        if precision not in TENSOR_BITS:
            raise ConversionError(
                f"{ctx.name}: TIDL has no {precision} mode (use int16 = 16-bit, int8 = 8-bit fixed point)"
            )
        harness_dir = ctx.harness_dir
        options = dict(OPTIONS)
        if calibration_frames is not None:  # the card's; part of the flags, so of the cache key too
            options["calibration_frames"] = calibration_frames
        if keep is not None and precision != "int8":
            raise ConversionError(
                f"{ctx.name}: --keep keeps layers of an int8 model at 16 bit, not {precision}"
            )
        prequantized = precision == "int8" and keep is None
        if prequantized:
            # A QDQ model keeps its own scales: TI pairs prequantized_model 1 with accuracy_level 0 (no bias
            # calibration over the scales the model brings), as edgeai-benchmark's QDQ runtime options do.
            options["accuracy_level"] = 0
        flags = [
            f"--tensor-bits={TENSOR_BITS[precision]}",
            *(f"--{k.replace('_', '-')}={v}" for k, v in options.items()),
            *(["--prequantized"] if prequantized else []),
        ]
        if keep:  # TIDL's mixed precision: docs/tidl_fsg_quantization.md, "C.1 Manual Mixed Precision"
            flags.append(f"--output-feature-16bit-names-list={','.join(keep)}")
        calib = [f"--calib-clip={c}" for c in clips]
        if input_spec is not None:
            calib.append(f"--input-json={json.dumps(input_spec, sort_keys=True)}")
        fingerprint = [ctx.facts.get(k, "") for k in ("soc", "edgeai_sdk", "onnxruntime")]
        key = cache_key("tidl", model_sha, precision, version, flags + calib, fingerprint)
        cache = EngineCache(ctx, key, ".tidl")
        artifacts, log = cache.engine, cache.log
        hit = cache.lookup(ready=artifacts + "/param.yaml")
        if hit is not None:
            return hit
        argv = ["python3", posixpath.join(harness_dir, "tidl_compile.py"), f"--model={model}"]
        argv += [f"--artifacts={artifacts}.part", *flags, *calib]
        part, final = shlex.quote(artifacts + ".part"), shlex.quote(artifacts)
        script = (
            f"mkdir -p {shlex.quote(ctx.path('engines'))} && {shlex.join(argv)} > {shlex.quote(log)} 2>&1; "
            f"rc=$?; cat {shlex.quote(log)}; exit $rc"
        )
        start = time.monotonic()
        res = ctx.conn.run_script(script, ctx.timeout_s)  # the inventory's command_timeout_s
        seconds = time.monotonic() - start
        shown = shlex.join(argv)
        failure = _failure(res.stdout) if res.ok else _first_error(res.stdout) or f"exit code {res.exit_code}"
        if failure:
            raise ConversionError(
                f"{ctx.name}: TIDL compilation of the {precision} model failed: {failure}",
                hint=f"the full compile log is kept: hil show --board {ctx.name} --log convert",
                command=shown,
                log=res.stdout,
            )
        size = ctx.conn.run_script(
            f"rm -rf {final} && mv {part} {final} && find {final} -type f -exec cat {{}} + | wc -c", 60
        )
        if not size.ok:
            raise InfraError(f"{ctx.name}: could not store the TIDL artifacts: {size.stderr.strip()}")
        engine_bytes = int(size.stdout.split()[-1])
        return cache.record(shown, seconds, engine_bytes, res.stdout)

    def replay_argv(self, ctx: BoardContext, req: ReplayRequest) -> list[str]:
        stats = posixpath.join(req.rundir, "tidl_stats.jsonl")
        harness = super().replay_argv(ctx, req)
        harness += ["--backend", "tidl_backend", "--backend-options", json.dumps({"stats": stats})]
        merge = ["python3", f"{req.harness_dir}/tidl_backend.py", "--merge-stats", stats, "--frames", req.out]
        return ["sh", "-c", f"{shlex.join(harness)} && {shlex.join(merge)}"]

    def power_plan(self, ctx: BoardContext, source: str, interval_ms: int, tag: str) -> PowerPlan | None:
        if source not in ("hwmon", "auto"):
            return None
        loop = sampler_loop(interval_ms)
        start, stop, log = stamped_sampler(ctx, loop, tag, "hwmon")
        return PowerPlan(
            start=start,
            stop=stop,
            log_path=log,
            source="sim-model" if ctx.sim else "hwmon",
            interval_s=interval_ms / 1000.0,
            command=f"sh -c {shlex.quote(loop)}",
        )

    def monitor_plan(self, ctx: BoardContext, tag: str) -> MonitorPlan | None:
        """TI's perf_stats (loads of every core and accelerator, DDR bandwidth, temperatures) around the
        replay: see perf_stats_plan."""
        return perf_stats_plan(ctx, tag)

    def monitor_summary(self, text: str) -> str:
        return perf_stats_summary(text)

    def read_power(self, plan: PowerPlan, text: str) -> PowerReading:
        samples = hwmon_samples(split_stamped(text))
        if not samples:
            raise ParseError("no INA226 power reading in the hwmon sampler's log")
        return PowerReading(samples, plan.source, plan.interval_s)


def sampler_loop(interval_ms: int) -> str:
    """One `@@ <uptime s>` line, then `path:value` of every hwmon name and power file, per interval."""
    files = " ".join(f"{HWMON}/{f}" for f in ("name", "power*_input"))
    return (
        f'while :; do read -r up _ < /proc/uptime; echo "@@ $up"; grep -H . {files}; '
        f"sleep {interval_ms / 1000.0:g}; done"
    )


def parse_samples(text: str) -> tuple[list[float], list[float]]:
    """(total INA226 milliwatts per sample, uptime stamps) of an unstamped sampler log. All INA226 channels
    are summed; without any INA226, every power channel is. Samples that hold no power reading are skipped."""
    totals: list[float] = []
    stamps: list[float] = []
    for chunk in re.split(r"^@@ ", text, flags=re.MULTILINE)[1:]:
        stamp, _, body = chunk.partition("\n")
        total = chunk_power_mw(body)
        if total is not None:
            totals.append(total)
            with contextlib.suppress(ValueError, IndexError):
                stamps.append(float(stamp.split()[0]))
    return totals, stamps if len(stamps) == len(totals) else []


def hwmon_samples(lines: list[tuple[float, str]]) -> list[tuple[float, float]]:
    """(epoch, mW) per sample of a sampler log stamped by power_log.py: a sample's time is its `@@` line's."""
    samples: list[tuple[float, float]] = []
    stamp: float | None = None
    body: list[str] = []
    for when, line in [*lines, (0.0, "@@ end")]:
        if line.startswith("@@"):
            total = chunk_power_mw("\n".join(body)) if stamp is not None else None
            if stamp is not None and total is not None:
                samples.append((stamp, total))
            stamp, body = when, []
        else:
            body.append(line)
    return samples


def chunk_power_mw(body: str) -> float | None:
    """Total milliwatts of one sample's `path:value` lines, or None when it holds no power reading."""
    try:
        devices = parse_hwmon(body).devices
    except ParseError:
        return None
    chosen = [d for d in devices if d.name == "ina226"] or devices
    powers = [c.power_mw for d in chosen for c in d.channels if c.power_mw is not None]
    return sum(powers) if powers else None


def _failure(log: str) -> str:
    """What is wrong with a compile that exited 0: no TIDL output, or no Completed_Model line."""
    try:
        runs = parse_tidl_log(log).models
    except ParseError:
        return "no TIDL output in the compile log"
    if not any(r.completed for r in runs):
        return "TIDL did not complete (no Completed_Model line)"
    return ""


def _first_error(log: str) -> str:
    """The tool's own words: the compile script's `ERROR:` line, else the last line (the exception ending
    a traceback), with TIDL's reasons for nodes it did not take."""
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    ours = [line for line in lines if line.startswith("tidl_compile: ERROR:")]
    main = ours[-1] if ours else (lines[-1] if lines else "")
    unsupported = list(dict.fromkeys(line for line in lines if line.startswith("Unsupported")))[:3]
    return "; ".join([main, *unsupported]) if main else ""


PLATFORM = Tda4vm()


# TI builds perf_stats on the board from edgeai-gst-apps (scripts/perf_stats/README.md: cmake, then
# ../bin/Release/perf_stats); a copy on PATH is used first.
PERF_STATS = "/opt/edgeai-gst-apps/scripts/perf_stats/bin/Release/perf_stats"
PERF_STATS_STOP_WAIT_S = 3.0  # it ends within one 1 s report period after SIGINT


def perf_stats_plan(ctx: BoardContext, tag: str) -> MonitorPlan:
    """Run perf_stats detached into a log for the replay. Its stdout is C stdio, block-buffered into a file,
    and only SIGINT lets it end its loop and flush: so it runs under `stdbuf -oL` where coreutils has it,
    and is stopped with SIGINT (SIGTERM after a grace period, if it is still there)."""
    folder = ctx.path("power")
    log, pid = ctx.path("power", f"{tag}.perf_stats"), ctx.path("power", f"{tag}.perf_stats.pid")
    inner = (
        f"P=$(command -v perf_stats || echo {PERF_STATS}); "
        'if command -v stdbuf >/dev/null 2>&1; then exec stdbuf -oL "$P"; else exec "$P"; fi'
    )
    limit = int(ctx.timeout_s) + 60
    command = f"setsid timeout {limit} sh -c {shlex.quote(inner)}"
    start = (
        f"mkdir -p {shlex.quote(folder)} && rm -f {shlex.quote(log)} && "
        f"({command} > {shlex.quote(log)} 2>&1 < /dev/null & echo $! > {shlex.quote(pid)})"
    )
    tries = int(PERF_STATS_STOP_WAIT_S / 0.1)
    stop = (
        f'{{ p=$(cat {shlex.quote(pid)}) && {{ kill -INT -- -"$p" || kill -INT "$p"; }}; i=0; '
        f'while kill -0 "$p" 2>/dev/null && [ $i -lt {tries} ]; do sleep 0.1; i=$((i+1)); done; '
        f'kill -TERM -- -"$p" 2>/dev/null; rm -f {shlex.quote(pid)}; }}'
    )
    return MonitorPlan(kind="perf_stats", start=start, stop=stop, log_path=log, command=command)


def perf_stats_summary(text: str) -> str:
    """`# perf_stats: N reports; mean load ...` from the recorded log, or why there is none."""
    try:
        samples = parse_ti_perf(text).samples
    except ParseError:
        return "# perf_stats: no report in the log (is perf_stats built on the board? docs/real-boards.md)"
    loads: dict[str, list[float]] = {}
    for sample in samples:
        for core, load in sample.cpu.items():
            if load.total_pct is not None:
                loads.setdefault(core, []).append(load.total_pct)
        for name, hwa in sample.hwa.items():
            if hwa.load_pct is not None:
                loads.setdefault(name, []).append(hwa.load_pct)
    means = ", ".join(f"{k} {sum(v) / len(v):.2f} %" for k, v in loads.items())
    return f"# perf_stats: {len(samples)} report(s); mean load: {means or 'none reported'}"
