"""Emulated `tegrastats` of a simulated Orin, in the JetPack 6 line format.

    tegrastats [--interval <ms>] [--logfile <file>] [--start | --stop] [--verbose] [--readall] [--help]

One line per interval (default 1000 ms), to stdout or appended to --logfile:

    MM-DD-YYYY HH:MM:SS RAM u/tMB (lfb NxZMB) [SWAP u/tMB (cached cMB)] CPU [l%@f,...] GR3D_FREQ g%
        [name@t.tC ...] VDD_IN c/amW VDD_CPU_GPU_CV c/amW VDD_SOC c/amW

Where each number comes from:
- RAM, SWAP, lfb: the host's /proc/meminfo and /proc/buddyinfo (SWAP only when the host has swap).
- CPU: every host core's load from /proc/stat deltas over the interval, clock from cpufreq sysfs or
  /proc/cpuinfo; `off` for an offline core.
- temperatures: the host's /sys/class/thermal zones, left out when it has none.
- GR3D_FREQ and the rails: MODELLED by hil.sim.power_model from the board's measured CPU load
  (hil.sim.procload) in the power mode nvpmodel set; the second rail number is the running mean of the
  first since this tegrastats started, as on a board. No GPU clock is printed: none is measured.

--start runs the sampler detached in the background (logging to --logfile, default
`$HIL_BOARD_ROOT/run/tegrastats.log`) and records its pid in `$HIL_BOARD_ROOT/run/tegrastats.pid`;
--stop stops that instance (this board's only; a board without one is not an error). A second --start
replaces the running instance.

Faults (sim-faults.json): `hang` makes any invocation hang; `crash` makes the sampler die with status 139
after its first line; `corrupt` writes every line cut off mid-write (no line is a sample); `disk_full`
writes nothing to the log file (as a full disk would), while the sampler keeps running.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TextIO

from hil.sim import faults
from hil.sim.power_model import model_for
from hil.sim.procload import BoardLoadMeter, CoreLoadMeter, present_cores
from hil.sim.tools.nvpmodel import current_mode

COMMAND = "tegrastats"
PLATFORMS = ("orin",)

DEFAULT_INTERVAL_MS = 1000
MIN_INTERVAL_MS = 10
PID_FILE = "run/tegrastats.pid"
DEFAULT_LOG = "run/tegrastats.log"
MODULE = "hil.sim.tools.tegrastats"
USAGE = """\
Usage: tegrastats [-option]
Options:
	--help                  : print this help screen
	--interval <millisec>   : sample the information in <milliseconds>
	--logfile  <filename>   : dump the output of tegrastats to <filename>
	--readall               : collect all stats including performance intensive stats
	--start                 : run tegrastats as a daemon process in the background
	--stop                  : stop any running instances of tegrastats
	--verbose               : print verbose message
"""


class UsageError(Exception):
    pass


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    fault = faults.fault_for("tegrastats")
    if fault == "hang":
        faults.hang()
    try:
        options = _parse(args)
    except UsageError as exc:
        sys.stderr.write(f"tegrastats: {exc}\n{USAGE}")
        return 1
    if "help" in options:
        sys.stdout.write(USAGE)
        return 0
    interval_ms = max(MIN_INTERVAL_MS, int(options.get("interval", DEFAULT_INTERVAL_MS)))
    root = faults.board_root()
    if "stop" in options:
        return stop(root)
    if "start" in options:
        if root is None:
            sys.stderr.write("tegrastats: HIL_BOARD_ROOT is not set: --start needs a simulated board\n")
            return 1
        logfile = Path(options.get("logfile") or root / DEFAULT_LOG)
        return start(root, interval_ms, logfile)
    logfile_name = options.get("logfile")
    return run(interval_ms, Path(logfile_name) if logfile_name else None, fault)


def _parse(args: list[str]) -> dict[str, str]:
    options: dict[str, str] = {}
    flags = {"--help", "--start", "--stop", "--verbose", "--readall"}
    valued = {"--interval", "--logfile"}
    i = 0
    while i < len(args):
        name, eq, value = args[i].partition("=")
        if name in flags and not eq:
            options[name[2:]] = ""
        elif name in valued:
            if not eq:
                if i + 1 >= len(args):
                    raise UsageError(f"option '{name}' requires an argument")
                i += 1
                value = args[i]
            if name == "--interval" and not value.isdigit():
                raise UsageError(f"invalid interval '{value}'")
            options[name[2:]] = value
        else:
            raise UsageError(f"unrecognized option '{args[i]}'")
        i += 1
    return options


# -- background instance ------------------------------------------------------------------------------


def start(root: Path, interval_ms: int, logfile: Path) -> int:
    stop(root)
    logfile = logfile.absolute()
    logfile.parent.mkdir(parents=True, exist_ok=True)
    # A new session and no inherited stdio: the SSH command that started it returns at once.
    proc = subprocess.Popen(
        [sys.executable, "-m", MODULE, "--interval", str(interval_ms), "--logfile", str(logfile)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        close_fds=True,
    )
    pid_file = root / PID_FILE
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.write_text(f"{proc.pid}\n")
    return 0


def stop(root: Path | None) -> int:
    if root is None:
        return 0
    pid_file = root / PID_FILE
    pid = _running_pid(pid_file)
    if pid is not None:
        _terminate(pid)
    pid_file.unlink(missing_ok=True)
    return 0


def _running_pid(pid_file: Path) -> int | None:
    try:
        pid = int(pid_file.read_text().split()[0])
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError, IndexError):
        return None
    return pid if MODULE.encode() in cmdline else None  # a reused pid is someone else's process


def _terminate(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline:
        if _gone(pid):
            return
        time.sleep(0.02)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _gone(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaps it if this process started it
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state == "Z"


# -- sampling -----------------------------------------------------------------------------------------


def run(interval_ms: int, logfile: Path | None, fault: str | None) -> int:
    """Print one line per interval until SIGTERM/SIGINT."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sampler = Sampler(faults.board_root(), os.environ.get("HIL_SIM_BOARD"))
    out: TextIO = logfile.open("a") if logfile is not None else sys.stdout
    next_at = time.monotonic()
    try:
        while True:
            next_at += interval_ms / 1000
            time.sleep(max(0.0, next_at - time.monotonic()))
            line = sampler.line()
            if fault == "corrupt":
                line = line[: line.index("CPU [") + 7]  # cut off mid-write, inside the CPU list
            if not (fault == "disk_full" and logfile is not None):
                out.write(line + "\n")
                out.flush()
            if fault == "crash":
                faults.crash()
    except KeyboardInterrupt:
        return 0
    finally:
        if out is not sys.stdout:
            out.close()


class Sampler:
    """Builds tegrastats lines; holds the deltas and the rails' running sums between lines."""

    def __init__(self, root: Path | None, board_name: str | None) -> None:
        self.root = root
        self.cores = CoreLoadMeter()
        self.board = BoardLoadMeter(root, board_name)
        self.rail_sums: dict[str, int] = {}
        self.count = 0

    def line(self) -> str:
        load = self.board.sample()
        model = model_for("orin", current_mode(self.root)[1])
        rails = model.rails_mw(load)
        self.count += 1
        for name, value in rails.items():
            self.rail_sums[name] = self.rail_sums.get(name, 0) + value
        parts = [time.strftime("%m-%d-%Y %H:%M:%S"), *memory_fields()]
        cores = [
            _core(load_pct, freq) for load_pct, freq in zip(self.cores.sample(), core_clocks(), strict=True)
        ]
        parts.append(f"CPU [{','.join(cores)}]")
        parts.append(f"GR3D_FREQ {model.gpu_load_pct(load)}%")
        parts += [f"{name}@{_temp(value)}C" for name, value in temperatures()]
        for name, value in rails.items():
            parts.append(f"{name} {value}mW/{round(self.rail_sums[name] / self.count)}mW")
        return " ".join(parts)


def _core(load_pct: int | None, freq_mhz: int | None) -> str:
    if load_pct is None:
        return "off"
    return f"{load_pct}%@{freq_mhz}" if freq_mhz is not None else f"{load_pct}%"


def _temp(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")  # 49.906C, 48.5C, 49C, as tegrastats prints them


def memory_fields() -> list[str]:
    info = meminfo_kb()
    used = (info["MemTotal"] - info.get("MemAvailable", info.get("MemFree", 0))) // 1024
    ram = f"RAM {used}/{info['MemTotal'] // 1024}MB"
    lfb = largest_free_block()
    fields = [f"{ram} (lfb {lfb})" if lfb else ram]
    if info.get("SwapTotal", 0) > 0:
        swap_used = (info["SwapTotal"] - info.get("SwapFree", 0)) // 1024
        cached = info.get("SwapCached", 0) // 1024
        fields.append(f"SWAP {swap_used}/{info['SwapTotal'] // 1024}MB (cached {cached}MB)")
    return fields


def meminfo_kb() -> dict[str, int]:
    values: dict[str, int] = {}
    for line in Path("/proc/meminfo").read_text().splitlines():
        name, _, rest = line.partition(":")
        if rest.split():
            values[name] = int(rest.split()[0])
    return values


def largest_free_block() -> str | None:
    """`NxSIZE` from /proc/buddyinfo: how many free blocks of the largest order (4MB at most) exist."""
    try:
        rows = [line.split()[4:] for line in Path("/proc/buddyinfo").read_text().splitlines()]
    except OSError:
        return None
    page_kb = os.sysconf("SC_PAGE_SIZE") // 1024
    max_order = max(0, (4096 // page_kb).bit_length() - 1)  # orders above 4 MB count as 4 MB blocks
    counts = [0] * (max_order + 1)
    for row in rows:
        for order, count in enumerate(int(c) for c in row):
            counts[min(order, max_order)] += count << max(0, order - max_order)
    largest = max((o for o, c in enumerate(counts) if c), default=None)
    if largest is None:
        return None
    size_kb = page_kb << largest
    size = f"{size_kb // 1024}MB" if size_kb >= 1024 else f"{size_kb}kB"
    return f"{counts[largest]}x{size}"


def core_clocks() -> list[int | None]:
    """Each core's current clock in MHz: cpufreq sysfs, else /proc/cpuinfo, else None."""
    cores = present_cores()
    cpuinfo: dict[int, int] = {}
    try:
        processor = -1
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "processor":
                processor = int(value)
            elif key.strip() == "cpu MHz":
                cpuinfo[processor] = round(float(value))
    except (OSError, ValueError):
        pass
    clocks: list[int | None] = []
    for core in range(cores):
        try:
            khz = Path(f"/sys/devices/system/cpu/cpu{core}/cpufreq/scaling_cur_freq").read_text()
            clocks.append(int(khz) // 1000)
        except (OSError, ValueError):
            clocks.append(cpuinfo.get(core))
    return clocks


def temperatures() -> list[tuple[str, float]]:
    """(name, °C) of the host's thermal zones; `cpu-thermal` prints as `cpu`, as on a Jetson."""
    found = []
    for zone in sorted(Path("/sys/class/thermal").glob("thermal_zone*")):
        try:
            kind = (zone / "type").read_text().strip()
            millideg = int((zone / "temp").read_text())
        except (OSError, ValueError):
            continue
        name = kind.removesuffix("-thermal").removesuffix("_thermal").replace(" ", "_") or zone.name
        found.append((name, millideg / 1000))
    return found


if __name__ == "__main__":
    sys.exit(main())
