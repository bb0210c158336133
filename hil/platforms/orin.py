"""NVIDIA Jetson Orin: TensorRT through trtexec, power from tegrastats.

Conversion runs the board's own trtexec with the flags a Jetson engineer would type:
    trtexec --onnx=M.onnx --saveEngine=E.engine --skipInference [--fp16 | --int8]
INT8 takes a QDQ ONNX (quantized on the host by `hil quantize`), so no calibration cache is needed.
Power: `tegrastats --interval N` to stdout, each line stamped with the board's clock by the harness's
power_log.py (tegrastats itself prints whole seconds), started before the replay and stopped after it.
"""

from __future__ import annotations

import contextlib
import re
import shlex
import time
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from hil.errors import ConversionError, InfraError, ParseError
from hil.parsers.tegrastats import TegrastatsSample, parse_tegrastats
from hil.platforms.base import (
    BoardContext,
    Conversion,
    Platform,
    PowerPlan,
    PowerReading,
    split_stamped,
    stamped_sampler,
)
from hil.platforms.cache import EngineCache, cache_key
from hil.platforms.thermal import thermal_command, thermal_facts
from hil.records import Precision

TRTEXEC = "$(command -v trtexec || echo /usr/src/tensorrt/bin/trtexec)"
# `--int8` alone leaves every layer without INT8 scales (or that is faster so) in FP32; TensorRT's docs and
# real INT8 builds enable FP16 as well (trtexec --int8 --fp16, or --best), so those layers may run FP16.
PRECISION_FLAGS: dict[str, list[str]] = {"fp32": [], "fp16": ["--fp16"], "int8": ["--int8", "--fp16"]}
# Rails that measure the whole module's input, most specific first; else all rails are summed, as jtop
# (rbonghi/jetson_stats) totals a board without an input rail. AGX Orin has none: its VIN_SYS_5V0 is one
# rail (the 5 V system supply) beside VDD_GPU_SOC, VDD_CPU_CV and VDDQ_VDD2_1V8AO, so AGX Orin's total is
# the sum of its rails (energymon's JetsonPowerRails.md lists each module's INA3221 channels).
TOTAL_RAILS = ("VDD_IN", "POM_5V_IN")
# Beyond the common thermal files: the GPU's devfreq node (JetPack 5: 17000000.ga10b, 6: 17000000.gpu),
# INA3221 over-current throttle events, and DLA/PVA clocks (BPMP debugfs, readable by root only).
THERMAL_FILES = (
    "sys/class/devfreq/17000000.ga10b/cur_freq",
    "sys/class/devfreq/17000000.ga10b/max_freq",
    "sys/class/devfreq/17000000.gpu/cur_freq",
    "sys/class/devfreq/17000000.gpu/max_freq",
    "sys/class/hwmon/hwmon*/oc*_event_cnt",
    "sys/kernel/debug/bpmp/debug/clk/nafll_dla*/rate",
    "sys/kernel/debug/bpmp/debug/clk/nafll_pva*/rate",
)


def tensorrt_version(banner: str) -> str | None:
    """`[TensorRT v100300]` -> 10.3.0, `v8401` -> 8.4.1: the last two digits are the patch."""
    match = re.search(r"TensorRT v(\d{3,6})", banner)
    if not match:
        return None
    digits = match.group(1)
    head, patch = digits[:-2], int(digits[-2:])
    major, minor = (head[:-2], head[-2:]) if len(head) > 2 else (head[:-1], head[-1:])
    return f"{int(major)}.{int(minor)}.{patch}"


def l4t_release(text: str) -> str | None:
    """`# R36 (release), REVISION: 4.0, ...` -> 36.4.0."""
    match = re.search(r"R(\d+) \(release\), REVISION: ([\d.]+)", text)
    return f"{match.group(1)}.{match.group(2)}" if match else None


class Orin(Platform):
    key = "orin"
    title = "NVIDIA Jetson Orin (TensorRT)"
    precisions = ("fp32", "fp16", "int8")
    precision_labels: ClassVar[dict[str, str]] = {
        "fp32": "TensorRT fp32",
        "fp16": "TensorRT fp16",
        "int8": "TensorRT int8",
    }

    def fact_commands(self) -> dict[str, str]:
        return {
            "l4t_release": 'head -n 1 "${HIL_BOARD_ROOT:-}/etc/nv_tegra_release"',
            "tensorrt_banner": f'{TRTEXEC} --help 2>&1 | grep -m 1 "TensorRT v"',
            "power_mode": "nvpmodel -q 2>/dev/null | head -n 1",
            "thermal": thermal_command(THERMAL_FILES),
        }

    def fingerprint_keys(self) -> tuple[str, ...]:
        # The power mode and the clock caps it sets decide what a result can be compared with.
        return ("l4t", "tensorrt", "power_mode", "cpu_max_mhz", "gpu_max_mhz")

    def normalise_facts(self, facts: dict[str, str]) -> dict[str, str]:
        out = dict(facts)
        out["l4t"] = l4t_release(facts.get("l4t_release", "")) or ""
        out["tensorrt"] = tensorrt_version(facts.get("tensorrt_banner", "")) or ""
        out["power_mode"] = facts.get("power_mode", "").removeprefix("NV Power Mode:").strip()
        out.update(thermal_facts(facts.get("thermal", "")))
        return out

    def converter_version(self, facts: dict[str, str]) -> str | None:
        return facts.get("tensorrt") or None

    def convert(
        self,
        ctx: BoardContext,
        model: str,
        model_sha: str,
        precision: Precision,
        *,
        clips: Sequence[str] = (),
        input_spec: dict[str, Any] | None = None,
        input_shapes: Mapping[str, list[int]] | None = None,
        calibration_frames: int | None = None,  # unused: INT8 comes as a QDQ model with its scales
        keep: Sequence[str] | None = None,
    ) -> Conversion:
        if keep is not None:
            raise ConversionError(
                f"{ctx.name}: layers kept at higher precision (--keep) are not supported on {self.key} "
                "yet (only on tda4vm: TIDL's 16-bit names lists)"
            )
        version = self.converter_version(ctx.facts)
        if version is None:
            raise InfraError(
                f"{ctx.name}: trtexec not found (looked on PATH and in /usr/src/tensorrt/bin)",
                hint="install TensorRT on the board (JetPack's nvidia-tensorrt) or fix the board's PATH",
            )
        flags = [build_only_flag(version), *PRECISION_FLAGS[precision], *shape_flags(input_shapes or {})]
        key = cache_key("trtexec", model_sha, precision, version, flags, ctx.facts.get("l4t", ""))
        cache = EngineCache(ctx, key, ".engine")
        engine, log = cache.engine, cache.log
        argv = ["trtexec", f"--onnx={model}", f"--saveEngine={engine}.part", *flags]
        hit = cache.lookup()
        if hit is not None:
            return hit
        command = " ".join([TRTEXEC, *map(shlex.quote, argv[1:])])
        script = (
            f"mkdir -p {shlex.quote(ctx.path('engines'))} && {command} > {shlex.quote(log)} 2>&1; "
            f"rc=$?; cat {shlex.quote(log)}; exit $rc"
        )
        start = time.monotonic()
        res = ctx.conn.run_script(script, ctx.timeout_s)  # the inventory's command_timeout_s
        seconds = time.monotonic() - start
        if not res.ok or "&&&& PASSED" not in res.stdout:
            raise ConversionError(
                f"{ctx.name}: trtexec failed to build the {precision} engine: {_first_error(res.stdout)}",
                hint=f"the full converter log is kept: hil show --board {ctx.name} --log convert",
                command=shlex.join(argv),
                log=res.stdout,
            )
        part, final = shlex.quote(engine + ".part"), shlex.quote(engine)
        size = ctx.conn.run_script(f"mv -f {part} {final} && stat -c %s {final}", 30)
        if not size.ok:
            raise InfraError(f"{ctx.name}: could not store the engine: {size.stderr.strip()}")
        engine_bytes = int(size.stdout.strip())
        return cache.record(shlex.join(argv), seconds, engine_bytes, res.stdout)

    def check_supplied(self, ctx: BoardContext, engine: str) -> tuple[str, str]:
        """The board's trtexec deserializes the plan (`--loadEngine`, no inference): real TensorRT refuses a
        plan of another version or GPU here, naming both ("expecting library version X got Y")."""
        version = self.converter_version(ctx.facts)
        if version is None:
            raise InfraError(
                f"{ctx.name}: trtexec not found (looked on PATH and in /usr/src/tensorrt/bin)",
                hint="install TensorRT on the board (JetPack's nvidia-tensorrt) or fix the board's PATH",
            )
        argv = ["trtexec", f"--loadEngine={engine}", build_only_flag(version)]
        res = ctx.conn.run_script(" ".join([TRTEXEC, *map(shlex.quote, argv[1:])]) + " 2>&1", ctx.timeout_s)
        if res.ok and "&&&& PASSED" in res.stdout:
            return shlex.join(argv), res.stdout
        refusal = plan_refusal(res.stdout)
        raise ConversionError(
            f"{ctx.name}: the board's TensorRT {version} refused the supplied plan: "
            + (refusal or _first_error(res.stdout)),
            hint="rebuild the engine with the board's TensorRT (and for its GPU), or test it on boards that "
            "run the TensorRT it was built with",
            command=shlex.join(argv),
            log=res.stdout,
        )

    def power_plan(self, ctx: BoardContext, source: str, interval_ms: int, tag: str) -> PowerPlan | None:
        if source not in ("tegrastats", "auto"):
            return None
        command = shlex.join(["tegrastats", "--interval", str(int(interval_ms))])
        start, stop, log = stamped_sampler(ctx, command, tag, "tegrastats")
        return PowerPlan(
            start=start,
            stop=stop,
            log_path=log,
            source="sim-model" if ctx.sim else "tegrastats",
            interval_s=interval_ms / 1000.0,
            command=command,
        )

    def read_power(self, plan: PowerPlan, text: str) -> PowerReading:
        samples: list[tuple[float, float]] = []
        for stamp, line in split_stamped(text):
            with contextlib.suppress(ParseError):
                for sample in parse_tegrastats(line).samples:
                    samples.append((stamp, total_input_mw(sample)))
        if not samples:
            raise ParseError("no tegrastats sample with power rails in the sampler's log")
        return PowerReading(samples, plan.source, plan.interval_s)


def total_input_mw(sample: TegrastatsSample) -> float:
    """The board's total input power in one tegrastats sample (see TOTAL_RAILS)."""
    rails = {name: float(rail.current_mw) for name, rail in sample.rails.items()}
    total = next((rails[r] for r in TOTAL_RAILS if r in rails), None)
    return total if total is not None else sum(rails.values())


_REFUSAL = re.compile(
    r"(The engine plan file is (?:not compatible with this version of TensorRT|generated on an incompatible "
    r"device), expecting (?:library version|compute) \S* got (?:compute )?[^,)]*)"
)


def plan_refusal(log: str) -> str | None:
    """TensorRT's own words when it refuses a plan of another version or GPU (8.x: `[TRT] 6: The engine
    plan file is not compatible with this version of TensorRT, expecting library version 8.5.1.7 got
    8.5.3.1, please rebuild.`; 10.x: `IRuntime::deserializeCudaEngine: Error Code 6: API Usage Error (The
    engine plan file is ... got ..., please rebuild.)`; the same for `generated on an incompatible device,
    expecting compute 8.9 got compute 8.6`). "expecting" is the board's library, "got" the plan's."""
    match = _REFUSAL.search(log)
    return match.group(1).strip() if match else None


def build_only_flag(version: str) -> str:
    """trtexec's "build the engine, do not run it": `--buildOnly` before TensorRT 8.6, `--skipInference`
    from 8.6 (TensorRT 8.6 release notes: --buildOnly deprecated, renamed; older trtexec refuses the new one
    as an unknown option)."""
    parts = tuple(int(x) for x in re.findall(r"\d+", version)[:2])
    return "--buildOnly" if parts and parts < (8, 6) else "--skipInference"


def shape_flags(shapes: Mapping[str, list[int]]) -> list[str]:
    """trtexec's optimization profile for the dynamic inputs: min = opt = max = the fixed shape (without
    it, trtexec sets every dynamic dimension to 1 and only warns)."""
    if not shapes:
        return []
    spec = ",".join(f"{name}:{'x'.join(map(str, dims))}" for name, dims in sorted(shapes.items()))
    return [f"--minShapes={spec}", f"--optShapes={spec}", f"--maxShapes={spec}"]


def _first_error(log: str) -> str:
    errors = [line.split("] ", 2)[-1] for line in log.splitlines() if "[E]" in line]
    return "; ".join(errors[:3]) if errors else (log.strip().splitlines() or ["no output"])[-1]


PLATFORM = Orin()
