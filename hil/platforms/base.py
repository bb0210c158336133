"""What every platform module provides, and the board context the runs layer hands it.

A platform is one module under hil/platforms/ that defines `PLATFORM`, an instance of a Platform subclass;
the registry finds it by itself, so adding a board type means adding one file.
"""

from __future__ import annotations

import json
import shlex
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from hil.records import PowerSource, Precision

if TYPE_CHECKING:  # paramiko and fabric load only where a board is really reached
    from hil.transport.ssh import BoardConnection


@dataclass
class BoardContext:
    """A connected board as platforms see it: the connection, resolved paths and facts."""

    name: str
    conn: BoardConnection
    workdir: str  # absolute path on the board
    sim: bool
    facts: dict[str, str] = field(default_factory=dict)
    timeout_s: float = 600.0
    harness_dir: str = ""  # where hil's harness bundle is on the board (pushed before conversion)
    power_command: str | None = None  # the inventory's meter command, for power source "command"

    def path(self, *parts: str) -> str:
        return "/".join([self.workdir.rstrip("/"), *parts])


@dataclass(frozen=True)
class Conversion:
    engine: str  # path of the engine (or artifacts folder) on the board
    command: str  # the exact converter command line
    log: str
    seconds: float | None  # wall time of the build; from the first build when cached
    engine_bytes: int | None
    cached: bool
    key: str


@dataclass(frozen=True)
class ReplayRequest:
    """One clip through one engine on the board; the result must be harness JSON lines at `out`."""

    harness_dir: str  # the folder on the board holding hil's harness files (board_harness.py, ...)
    engine: str  # Conversion.engine
    clip: str
    rundir: str  # a fresh folder on the board for this replay's files
    out: str
    warmup: int
    max_frames: int
    fps: float
    input_spec: dict[str, Any] | None  # the model card's input (InputSpec), None without a card
    # The card's task for the board's decoder (hil.measure.tasks.task_spec); None for a classifier or no card.
    task_spec: dict[str, Any] | None = None
    # True when the board has a build host: steps needing a host-only vendor tool run there (finish_replay).
    host_steps: bool = False


SETTLE_S = 0.3  # after the sampler starts, before the idle window: the sampler's own start-up load


@dataclass(frozen=True)
class PowerPlan:
    """Shell lines that bracket the replay with power sampling, and how to read the result.

    The job runs `start`, waits SETTLE_S + idle_s (the board at rest: the idle baseline is the samples of
    the last idle_s before the harness starts), runs the replay, then `stop`.
    """

    start: str
    stop: str
    log_path: str
    source: PowerSource
    interval_s: float
    command: str
    idle_s: float = 2.0

    @property
    def lead_s(self) -> float:
        return SETTLE_S + self.idle_s


@dataclass(frozen=True)
class MonitorPlan:
    """A vendor report recorded around the replay beside power (TI's perf_stats on a TDA4VM): started before
    the idle lead, stopped after the replay, kept as the result's `kind` log with a summary on top."""

    kind: str
    start: str
    stop: str
    log_path: str
    command: str


@dataclass(frozen=True)
class PowerReading:
    """Total board power per sample: (wall-clock epoch seconds, milliwatts), in time order."""

    samples: list[tuple[float, float]]
    source: PowerSource
    interval_s: float

    @property
    def total_mw(self) -> list[float]:
        return [mw for _, mw in self.samples]


def stamped_sampler(ctx: BoardContext, command: str, tag: str, suffix: str) -> tuple[str, str, str]:
    """(start, stop, log) shell lines that run `command` (a shell line) under the harness's power_log.py,
    which stamps each printed line with the board's wall clock, in a session of its own (so stop ends
    everything the command started) and with a time limit (a sampler left by a lost session ends itself)."""
    power = ctx.path("power")
    log, pid = ctx.path("power", f"{tag}.{suffix}"), ctx.path("power", f"{tag}.{suffix}.pid")
    limit = int(ctx.timeout_s) + 60
    argv = ["setsid", "timeout", str(limit), "python3", f"{ctx.harness_dir}/power_log.py", "--out", log]
    argv += ["--", "sh", "-c", command]
    start = (
        f"mkdir -p {shlex.quote(power)} && rm -f {shlex.quote(log)} && "
        f"({shlex.join(argv)} > /dev/null 2>&1 < /dev/null & echo $! > {shlex.quote(pid)})"
    )
    stop = (
        f'{{ p=$(cat {shlex.quote(pid)}) && {{ kill -TERM -- -"$p" || kill -TERM "$p"; }}; sleep 0.2; '
        f"rm -f {shlex.quote(pid)}; }}"
    )
    return start, stop, log


def split_stamped(text: str) -> list[tuple[float, str]]:
    """(epoch, line) of each line power_log.py wrote; a line without a stamp (cut off) is skipped."""
    lines: list[tuple[float, str]] = []
    for raw in text.splitlines():
        stamp, _, rest = raw.partition(" ")
        try:
            lines.append((float(stamp), rest))
        except ValueError:
            continue
    return lines


class Platform(ABC):
    key: ClassVar[str]
    title: ClassVar[str]
    precisions: ClassVar[tuple[Precision, ...]]

    @abstractmethod
    def fact_commands(self) -> dict[str, str]:
        """Fact name -> shell line printing it; all run in one round trip."""

    # True where the converter needs a static-shape ONNX (dynamic dims rewritten on the host before the push).
    static_shapes: ClassVar[bool] = False

    # How the platform's own tools name each precision (e.g. "DSP int8"), for reports.
    precision_labels: ClassVar[dict[str, str]] = {}
    # Why a precision the platform does not offer is not offered, where a user may expect it (e.g. fp16).
    precision_hints: ClassVar[dict[str, str]] = {}

    def precision_label(self, precision: str) -> str:
        return self.precision_labels.get(precision, precision)

    def normalise_facts(self, facts: dict[str, str]) -> dict[str, str]:
        """Derive clean facts (versions) from the raw outputs of fact_commands."""
        return facts

    @abstractmethod
    def fingerprint_keys(self) -> tuple[str, ...]:
        """The facts that decide whether two results may be compared (and whether an engine is reusable)."""

    @abstractmethod
    def converter_version(self, facts: dict[str, str]) -> str | None:
        """Version of the board's converter, or None when the toolchain is missing."""

    @abstractmethod
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
        calibration_frames: int | None = None,
        keep: Sequence[str] | None = None,
    ) -> Conversion:
        """Build the engine on the board; raise ConversionError with the tool's own error on failure.

        `keep` (int8 only): the layers (output tensor names) kept at the higher precision with the
        converter's own mixed-precision mechanism, `model` then being the FP32 model the converter
        calibrates itself (docs/diagnose.md); a platform without one raises ConversionError. None: no
        mixed precision (the ordinary int8 path); an empty list: the converter's own int8 calibration.

        `clips` (paths on the board), `input_spec` (the model card's input) and `calibration_frames` (the
        card's; None: the converter's default) are there for converters that calibrate on real frames; a
        converter that takes its scales from a QDQ model ignores them.
        `input_shapes` fixes the model's dynamic inputs (name -> dims); the converter passes them with its
        own flags. A platform with `static_shapes` gets a static-shape model instead (rewritten on the host).
        """

    def replay_argv(self, ctx: BoardContext, req: ReplayRequest) -> list[str]:
        """The command that replays the clip and writes harness JSON lines to req.out.

        The default runs hil's harness with the board's Python runtime; a platform whose runtime is a vendor
        program (snpe-net-run, say) returns its own steps, usually harness modules around the vendor tool.
        """
        argv = [
            "python3", f"{req.harness_dir}/board_harness.py", "--engine", req.engine, "--clip", req.clip,
            "--out", req.out, "--warmup", str(req.warmup), "--max-frames", str(req.max_frames),
            "--fps", str(req.fps), "--parity-out", f"{req.rundir}/parity.npz",
        ]  # fmt: skip
        if req.input_spec is not None:
            argv += ["--input-json", json.dumps(req.input_spec)]
        if req.task_spec is not None:
            argv += ["--task-json", json.dumps(req.task_spec)]
        return argv

    def finish_replay(self, ctx: BoardContext, req: ReplayRequest, host: BoardContext) -> tuple[str, str]:
        """With `req.host_steps`: after replay_argv's command, the steps that need the build host's tools
        (e.g. SNPE's snpe-diagview); then req.out must be written. Returns (command, log) for the result."""
        return "", ""

    def supplied_name(self, name: str, precision: str) -> str:
        """The file name a supplied engine gets on the board (its content is never changed)."""
        return name

    def check_supplied(self, ctx: BoardContext, engine: str) -> tuple[str, str]:
        """Load a supplied engine once with the board's own toolchain before replay; raise ConversionError
        with the tool's refusal. Returns (command, log); ("", "") where the platform has no such check."""
        return "", ""

    @abstractmethod
    def power_plan(self, ctx: BoardContext, source: str, interval_ms: int, tag: str) -> PowerPlan | None:
        """How to sample power around a replay, or None where the board has no power source."""

    @abstractmethod
    def read_power(self, plan: PowerPlan, text: str) -> PowerReading:
        """Total board power per sample, from the text the power source wrote."""

    def monitor_plan(self, ctx: BoardContext, tag: str) -> MonitorPlan | None:
        """A vendor performance report to record around the replay; None (the default) for none."""
        return None

    def monitor_summary(self, text: str) -> str:
        """One or two lines summing up what the monitor recorded (first lines of its log)."""
        return ""


COMMON_FACTS: dict[str, str] = {
    "kernel": "uname -r",
    "arch": "uname -m",
    "os": '. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME"',
    "python": "python3 -c 'import sys; print(sys.version.split()[0])' 2>/dev/null",
    "sim_board": 'echo "${HIL_SIM_BOARD:-}"',
    "home": 'echo "$HOME"',
    "disk_free_mb": "df -Pk \"$HOME\" | awk 'NR==2 {print int($4/1024)}'",
}


def facts_script(commands: dict[str, str]) -> str:
    """One shell line that prints `@@name` before each fact's output."""
    return "; ".join(f"echo {shlex.quote('@@' + k)}; ({v}) 2>/dev/null" for k, v in commands.items())


def parse_facts(text: str) -> dict[str, str]:
    facts: dict[str, str] = {}
    current: str | None = None
    for line in text.splitlines():
        if line.startswith("@@"):
            current = line[2:]
            facts[current] = ""
        elif current is not None and line.strip():
            facts[current] = (facts[current] + "\n" + line).strip()
    return facts
