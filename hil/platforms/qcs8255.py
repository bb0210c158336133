"""Qualcomm QCS8255: SNPE conversion and replay, power from a meter command. See docs/platform-qcs8255.md.

Precisions are SNPE runtimes: fp32 = CPU, fp16 = GPU (float16), int8 = DSP (HTP, quantized and graph
prepared). Conversion, cached by (model sha, precision, SNPE version, flags, SoC):
    fp32  snpe-onnx-to-dlc --input_network M.onnx --output_path E.cpu.dlc
    fp16  snpe-onnx-to-dlc --input_network M.onnx --output_path E.gpu.dlc --float_bitwidth 16
    int8  snpe-onnx-to-dlc --input_network M.int8.onnx --output_path E.float.dlc
          python3 snpe_calib.py --onnx M.int8.onnx --out-dir E.calib
          snpe-dlc-quantize --input_dlc E.float.dlc --input_list E.calib/input_list.txt --override_params
                            --output_dlc E.int8.dlc
          snpe-dlc-graph-prepare --input_dlc E.int8.dlc --output_dlc E.dsp.dlc --htp_socs sa8255
Replay: hil's snpe_replay.py prepares raw tensors, snpe-net-run runs them, snpe-diagview gives the
per-inference times, snpe_replay.py writes the harness JSON lines.
"""

from __future__ import annotations

import json
import posixpath
import re
import shlex
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from hil.errors import ConversionError, InfraError, ParseError
from hil.platforms.base import (
    BoardContext,
    Conversion,
    Platform,
    PowerPlan,
    PowerReading,
    ReplayRequest,
    split_stamped,
    stamped_sampler,
)
from hil.platforms.cache import EngineCache, cache_key
from hil.platforms.thermal import thermal_command, thermal_facts
from hil.records import PowerSource, Precision

# Beyond the common thermal files: the Adreno GPU's KGSL node; thermal_pwrlevel > 0 is a thermal cap.
THERMAL_FILES = (
    "sys/class/kgsl/kgsl-3d0/gpuclk",
    "sys/class/kgsl/kgsl-3d0/max_gpuclk",
    "sys/class/kgsl/kgsl-3d0/thermal_pwrlevel",
)

# What `source $SNPE_ROOT/bin/envsetup.sh` would add, for a non-interactive SSH session, as Qualcomm's
# SNPE/QAIRT 2.x setup docs describe it for a Linux target:
# - ONE architecture folder: the SDK ships `bin/` and `lib/` folders per target (`aarch64-android`,
#   `aarch64-oe-linux-gcc<ver>` for Qualcomm Linux/Yocto, `aarch64-ubuntu-gcc<ver>`); an Android build on a
#   Linux board's PATH fails to start. The board's /etc/os-release picks ubuntu or oe-linux, never android.
# - ADSP_LIBRARY_PATH: the DSP/HTP runtime (`--use_dsp`) loads its skel libraries from the `;`-separated
#   folders it names: the SDK's `lib/hexagon-<arch>/unsigned` (QCS8255's HTP is v73), then the system's.
# - PYTHONPATH for the SDK's Python converters.
DSP_ARCH = "v73"
SNPE_ENV = (
    'if [ -n "${SNPE_ROOT:-}" ]; then '
    'case "$(. "${HIL_BOARD_ROOT:-}/etc/os-release" 2>/dev/null; echo "${ID:-}")" in '
    "ubuntu) os=ubuntu ;; *) os=oe-linux ;; esac; "
    'b=""; l=""; for d in "$SNPE_ROOT"/bin/"$(uname -m)"-"$os"-*; do [ -d "$d" ] && b="$d"; done; '
    'for d in "$SNPE_ROOT"/lib/"$(uname -m)"-"$os"-*; do [ -d "$d" ] && l="$d"; done; '
    '[ -n "$b" ] && PATH="$PATH:$b"; '
    '[ -n "$l" ] && LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$l"; '
    f'ADSP_LIBRARY_PATH="$SNPE_ROOT/lib/hexagon-{DSP_ARCH}/unsigned;'
    '${ADSP_LIBRARY_PATH:+$ADSP_LIBRARY_PATH;}/usr/lib/rfsa/adsp;/dsp"; '
    'PYTHONPATH="${PYTHONPATH:+$PYTHONPATH:}$SNPE_ROOT/lib/python"; '
    "export PATH LD_LIBRARY_PATH ADSP_LIBRARY_PATH PYTHONPATH; fi"
)
RUNTIMES: dict[str, str] = {"fp32": "cpu", "fp16": "gpu", "int8": "dsp"}
RUNTIME_FLAGS: dict[str, list[str]] = {
    "cpu": [],
    "gpu": ["--use_gpu", "--gpu_mode", "float16"],
    "dsp": ["--use_dsp"],
}
RUNTIME_NAMES = {"cpu": "CPU", "gpu": "GPU_FP16", "dsp": "DSP"}
PERF_PROFILE = "high_performance"
# socinfo's machine name -> the SoC name snpe-dlc-graph-prepare takes (QCS8255 shares SA8255P's v73 HTP).
HTP_SOCS = {"QCS8255": "sa8255", "SA8255P": "sa8255", "SA8255": "sa8255", "SA8775P": "sa8775"}
DEFAULT_HTP_SOC = "sa8255"
_VERSION = re.compile(r"(\d+\.\d+\.\d+(?:\.\d+)?)")
_ERROR = re.compile(r"(?: - ERROR - |\[ERROR\] |^ERROR: )(.*)|(error_code=\d+; error_message=[^;]*)")


def snpe_version(text: str) -> str | None:
    """`SNPE v2.22.0.240425` or `/opt/qcom/aistack/qairt/2.22.0.240425` -> 2.22.0.240425."""
    match = _VERSION.search(text)
    return match.group(1) if match else None


class Qcs8255(Platform):
    key = "qcs8255"
    title = "Qualcomm QCS8255 (SNPE)"
    precisions = ("fp32", "fp16", "int8")
    precision_labels: ClassVar[dict[str, str]] = {"fp32": "CPU fp32", "fp16": "GPU fp16", "int8": "DSP int8"}

    def fact_commands(self) -> dict[str, str]:
        return {
            "snpe_banner": f"{SNPE_ENV}; snpe-net-run --version 2>&1 | grep -m 1 SNPE",
            "snpe_root": 'echo "${SNPE_ROOT:-}"',
            "qnn_banner": f"{SNPE_ENV}; qnn-net-run --version 2>&1 | grep -m 1 -i 'qnn.*v[0-9]'",
            "soc_machine": 'cat "${HIL_BOARD_ROOT:-}/sys/devices/soc0/machine"',
            "soc_family": 'cat "${HIL_BOARD_ROOT:-}/sys/devices/soc0/family"',
            "thermal": thermal_command(THERMAL_FILES),
        }

    def fingerprint_keys(self) -> tuple[str, ...]:
        return ("soc", "snpe", "cpu_max_mhz", "gpu_max_mhz")

    def normalise_facts(self, facts: dict[str, str]) -> dict[str, str]:
        out = dict(facts)
        out["snpe"] = (
            snpe_version(facts.get("snpe_banner", "")) or snpe_version(facts.get("snpe_root", "")) or ""
        )
        out["qnn"] = snpe_version(facts.get("qnn_banner", "")) or ""
        out["soc"] = facts.get("soc_machine", "").strip()
        out.update(thermal_facts(facts.get("thermal", "")))
        return out

    def converter_version(self, facts: dict[str, str]) -> str | None:
        # snpe-net-run answering is what matters: a bare $SNPE_ROOT without tools cannot convert or run.
        return snpe_version(facts.get("snpe_banner", "")) or None

    # -- conversion ----------------------------------------------------------------------------------------

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
                f"{ctx.name}: snpe-net-run not found (looked on PATH and in $SNPE_ROOT/bin/<arch>-*)",
                hint="install the Qualcomm AI Runtime (SNPE) SDK on the board; set SNPE_ROOT for SSH logins",
            )
        runtime = RUNTIMES[precision]
        soc = HTP_SOCS.get(ctx.facts.get("soc", "").upper(), DEFAULT_HTP_SOC)
        # The key covers every command line (with placeholder paths), so a changed flag builds a new DLC.
        dims = dict(input_shapes or {})
        key = cache_key(
            "snpe", model_sha, precision, version, steps("M", "E", "H", precision, soc, dims), soc
        )
        cache = EngineCache(ctx, key, f".{runtime}.dlc")
        base, engine, log = cache.base, cache.engine, cache.log
        hit = cache.lookup()
        if hit is not None:
            return hit
        harness = ctx.harness_dir
        argvs = steps(model, base, harness, precision, soc, dims)
        shown = " && ".join(shlex.join(a) for a in argvs)
        chain = " && ".join(f"echo {shlex.quote('+ ' + shlex.join(a))} && {shlex.join(a)}" for a in argvs)
        script = (
            f"mkdir -p {shlex.quote(ctx.path('engines'))} && {SNPE_ENV}; "
            f"{{ {chain}; }} > {shlex.quote(log)} 2>&1; rc=$?; cat {shlex.quote(log)}; exit $rc"
        )
        start = time.monotonic()
        res = ctx.conn.run_script(script, ctx.timeout_s)  # the inventory's command_timeout_s
        seconds = time.monotonic() - start
        if not res.ok:
            tool, error = _failure(res.stdout, res.exit_code)
            raise ConversionError(
                f"{ctx.name}: {tool} failed to build the {precision} DLC "
                f"(SNPE {RUNTIME_NAMES[runtime]} runtime): {error}",
                hint=f"the full converter log is kept: hil show RUN --board {ctx.name} --log convert",
                command=shown,
                log=res.stdout,
            )
        leftovers = " ".join(
            shlex.quote(p) for p in (f"{base}.float.dlc", f"{base}.int8.dlc", f"{base}.calib")
        )
        final = shlex.quote(engine)
        size = ctx.conn.run_script(
            f"mv -f {shlex.quote(engine + '.part')} {final} && rm -rf {leftovers} && stat -c %s {final}", 30
        )
        if not size.ok:
            raise InfraError(f"{ctx.name}: could not store the DLC: {size.stderr.strip()}")
        engine_bytes = int(size.stdout.strip())
        return cache.record(shown, seconds, engine_bytes, res.stdout)

    # -- replay --------------------------------------------------------------------------------------------

    def supplied_name(self, name: str, precision: str) -> str:
        """`<stem>.<cpu|gpu|dsp>.dlc`: the replay picks snpe-net-run's runtime from the name."""
        stem = name.removesuffix(".dlc")
        return f"{stem}.{RUNTIMES.get(precision, 'cpu')}.dlc"

    def replay_argv(self, ctx: BoardContext, req: ReplayRequest) -> list[str]:
        runtime = runtime_of_engine(req.engine)
        tool = f"{req.harness_dir}/snpe_replay.py"
        rundir = req.rundir
        output = f"{rundir}/output"
        prepare = ["python3", tool, "prepare", "--clip", req.clip, "--rundir", rundir, "--dlc", req.engine]
        prepare += ["--max-frames", str(req.max_frames)]
        if req.input_spec is not None:
            prepare += ["--input-json", json.dumps(req.input_spec)]
        net_run = ["snpe-net-run", "--container", req.engine, "--input_list", f"{rundir}/input_list.txt"]
        net_run += ["--output_dir", output, *RUNTIME_FLAGS[runtime], "--perf_profile", PERF_PROFILE]
        execute = ["python3", tool, "exec", "--rusage", f"{rundir}/net-run.json", "--", *net_run]
        # The log's name changed across SNPE releases (SNPEDiag.log; SNPE 2.x writes SNPEDiag_0.log): take
        # the one snpe-net-run wrote, never a fixed name.
        diagview = (
            f'{{ log=$({_find_log(output)}); if [ -z "$log" ]; then '
            'echo "hil: snpe-net-run wrote no SNPEDiag*.log" >&2; false; '
            f'else snpe-diagview --input_log "$log" --output {shlex.quote(output)}/diag.csv; fi; }}'
        )
        steps = [shlex.join(prepare), shlex.join(execute)]
        if not req.host_steps:  # snpe-diagview is an x86_64 host tool: with a build host, finish_replay
            steps += [diagview, shlex.join(_collect(req, runtime))]
        script = f"{SNPE_ENV}; " + " && ".join(steps)
        return ["sh", "-c", script]

    def finish_replay(self, ctx: BoardContext, req: ReplayRequest, host: BoardContext) -> tuple[str, str]:
        """The board's diag log comes back to the build host, where snpe-diagview (an x86_64 host tool,
        hil/sim/conformance/qcs8255-snpe2.yaml) reads it; its CSV goes to the board for the collect step."""
        output = f"{req.rundir}/output"
        found = ctx.conn.run_script(_find_log(output), 30)
        log = found.stdout.strip()
        if not found.ok or not log:
            raise InfraError(f"{ctx.name}: snpe-net-run wrote no SNPEDiag*.log in {output}")
        workdir = host.path("diag", posixpath.basename(req.rundir))
        host_log = posixpath.join(workdir, posixpath.basename(log))
        csv = posixpath.join(workdir, "diag.csv")
        argv = ["snpe-diagview", "--input_log", host_log, "--output", csv]
        with tempfile.TemporaryDirectory(prefix="hil-diag-") as tmp:
            local = Path(tmp) / "diag.log"
            local.write_bytes(ctx.conn.read(log))
            made = host.conn.run_script(f"mkdir -p {shlex.quote(workdir)}", 30)
            if not made.ok:
                raise InfraError(f"{host.name}: could not make {workdir}: {made.stderr.strip()}")
            host.conn.put(local, host_log)
            res = host.conn.run_script(f"{SNPE_ENV}; {shlex.join(argv)}", ctx.timeout_s)
            if not res.ok:
                raise InfraError(
                    f"{host.name}: snpe-diagview failed on the build host: {res.stderr.strip()[-300:]}"
                )
            local_csv = Path(tmp) / "diag.csv"
            local_csv.write_bytes(host.conn.read(csv))
            host.conn.run(["rm", "-rf", "--", workdir], 30)
            ctx.conn.put(local_csv, f"{output}/diag.csv")
        collect = _collect(req, runtime_of_engine(req.engine))
        done = ctx.conn.run(collect, ctx.timeout_s)
        if not done.ok:
            raise InfraError(f"{ctx.name}: snpe_replay.py collect failed: {done.stderr.strip()[-300:]}")
        command = f"{shlex.join(argv)}  (on {host.name}); {shlex.join(collect)}"
        return command, res.stdout + res.stderr + done.stdout + done.stderr

    # -- power ---------------------------------------------------------------------------------------------

    def power_plan(self, ctx: BoardContext, source: str, interval_ms: int, tag: str) -> PowerPlan | None:
        if source not in ("command", "auto"):
            return None
        command = ctx.power_command  # inventory/sim.yaml names the simulated rack's `qcs-meter`
        if not command:
            return None
        line = f"HIL_POWER_INTERVAL_MS={int(interval_ms)} exec {command}"
        start, stop, log = stamped_sampler(ctx, line, tag, "meter.csv")
        source_name: PowerSource = "sim-model" if ctx.sim else "command"
        return PowerPlan(start, stop, log, source_name, interval_ms / 1000.0, command)

    def read_power(self, plan: PowerPlan, text: str) -> PowerReading:
        samples = meter_samples(split_stamped(text))
        if not samples:
            raise ParseError("no power reading in the meter command's output")
        return PowerReading(samples, plan.source, plan.interval_s)


def steps(
    model: str,
    base: str,
    harness: str,
    precision: str,
    soc: str,
    shapes: Mapping[str, list[int]] | None = None,
) -> list[list[str]]:
    """The conversion's command lines; `base` is the engine path without its suffix. `shapes` fixes the
    model's dynamic inputs with `--input_dim NAME 1,240,320,3` (ONNX order), as SNPE's converter takes it."""
    runtime = RUNTIMES[precision]
    part = f"{base}.{runtime}.dlc.part"
    dims = [a for n, d in sorted((shapes or {}).items()) for a in ("--input_dim", n, ",".join(map(str, d)))]
    if precision == "fp32":
        return [["snpe-onnx-to-dlc", "--input_network", model, "--output_path", part, *dims]]
    if precision == "fp16":
        return [
            [
                *("snpe-onnx-to-dlc", "--input_network", model, "--output_path", part),
                *("--float_bitwidth", "16", *dims),
            ]
        ]
    floating, quantized, calib = f"{base}.float.dlc", f"{base}.int8.dlc", f"{base}.calib"
    return [
        ["snpe-onnx-to-dlc", "--input_network", model, "--output_path", floating, *dims],
        ["python3", f"{harness}/snpe_calib.py", "--onnx", model, "--out-dir", calib, *dims],
        [
            *("snpe-dlc-quantize", "--input_dlc", floating, "--input_list", f"{calib}/input_list.txt"),
            *("--override_params", "--output_dlc", quantized),
        ],
        ["snpe-dlc-graph-prepare", "--input_dlc", quantized, "--output_dlc", part, "--htp_socs", soc],
    ]


def _find_log(output: str) -> str:
    return f"ls -1 {shlex.quote(output)}/SNPEDiag*.log 2>/dev/null | head -n 1"


def _collect(req: ReplayRequest, runtime: str) -> list[str]:
    tool = f"{req.harness_dir}/snpe_replay.py"
    collect = ["python3", tool, "collect", "--rundir", req.rundir, "--out", req.out]
    collect += ["--warmup", str(req.warmup), "--fps", str(req.fps), "--runtime", RUNTIME_NAMES[runtime]]
    if req.task_spec is not None:
        collect += ["--task-json", json.dumps(req.task_spec)]
    return collect


def runtime_of_engine(engine: str) -> str:
    """The runtime a DLC was built for, from its name (`<key>.<cpu|gpu|dsp>.dlc`)."""
    for runtime in RUNTIMES.values():
        if engine.endswith(f".{runtime}.dlc"):
            return runtime
    return "cpu"


def meter_power_mw(text: str) -> list[float]:
    """Total power in mW per sample from a meter command's CSV (see docs/platform-qcs8255.md): a header line
    naming `power_w` or `power_mw`, or `voltage_v` and `current_a`; `#` lines are comments. Lines that do
    not parse (a sample cut off when the meter was stopped) are skipped."""
    return [mw for _, mw in meter_samples([(0.0, line) for line in text.splitlines()])]


def meter_samples(lines: list[tuple[float, str]]) -> list[tuple[float, float]]:
    """(stamp, mW) per sample of a meter's CSV lines, each with the stamp power_log.py gave it."""
    columns: list[str] | None = None
    totals: list[tuple[float, float]] = []
    for stamp, raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        cells = [c.strip() for c in line.split(",")]
        if columns is None:
            columns = [c.lower() for c in cells]
            continue
        if len(cells) != len(columns):
            continue
        row = dict(zip(columns, cells, strict=True))
        try:
            if "power_mw" in row:
                totals.append((stamp, float(row["power_mw"])))
            elif "power_w" in row:
                totals.append((stamp, float(row["power_w"]) * 1000.0))
            elif "voltage_v" in row and "current_a" in row:
                totals.append((stamp, float(row["voltage_v"]) * float(row["current_a"]) * 1000.0))
        except ValueError:
            continue
    return totals


def _failure(log: str, exit_code: int) -> tuple[str, str]:
    """(the tool that failed, its own error lines) from a conversion log with `+ command` step lines."""
    tool, errors = "the SNPE converter", list[str]()
    for line in log.splitlines():
        if line.startswith("+ "):
            words = line[2:].split()
            tool = words[1].rsplit("/", 1)[-1] if words[0] == "python3" and len(words) > 1 else words[0]
            errors = []
        elif found := _ERROR.search(line):
            errors.append((found.group(1) or found.group(2)).strip())
    if errors:
        return tool, "; ".join(errors[:3])
    tail = [line for line in log.strip().splitlines() if not line.startswith("+ ")]
    return tool, tail[-1] if tail else f"exit code {exit_code}"


PLATFORM = Qcs8255()
