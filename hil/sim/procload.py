"""Measured CPU load: of a simulated board's processes (for the power model) and of each host core.

Board load is the CPU time (utime + stime, plus cutime + cstime so children that already exited and were
reaped still count) that the board's processes used over an interval, from /proc/<pid>/stat, divided by
the interval and by the host's core count: a fraction 0..1. Which processes are the board's, first
match wins:

1. `$HIL_BOARD_ROOT/run/sshd.pid` exists (the rack writes it): the descendants of that sshd, i.e. every
   SSH session of the board and what it runs (sshd itself, whose work is the SSH transport, is not).
2. Else, with `HIL_SIM_BOARD` set: the current user's processes whose environment names that board.
3. Else the whole host, from /proc/stat (so a tool run by hand still reports something measured).

Processes are keyed by (pid, start time), so a reused pid is never mistaken for an old process. The
measuring process itself is left out: a sampler's own cost is not the board's workload.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

ProcKey = tuple[int, int]  # (pid, start time in ticks)


@dataclass(frozen=True)
class ProcStat:
    pid: int
    ppid: int
    start: int
    cpu_ticks: int  # utime + stime + cutime + cstime


def read_stat(pid: int) -> ProcStat | None:
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name sits in parentheses and may itself hold spaces and parentheses.
    fields = text[text.rindex(")") + 2 :].split()
    utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
    return ProcStat(pid, int(fields[1]), int(fields[19]), utime + stime + cutime + cstime)


def all_stats() -> list[ProcStat]:
    stats = []
    for entry in PROC.iterdir():
        if entry.name.isdigit() and (stat := read_stat(int(entry.name))) is not None:
            stats.append(stat)
    return stats


def descendants(root_pid: int, stats: list[ProcStat]) -> list[ProcStat]:
    children: dict[int, list[ProcStat]] = {}
    for stat in stats:
        children.setdefault(stat.ppid, []).append(stat)
    found: list[ProcStat] = []
    todo = [root_pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child.pid)
    return found


def _has_board_env(pid: int, marker: bytes) -> bool:
    try:
        return marker in (PROC / str(pid) / "environ").read_bytes()
    except OSError:
        return False


def host_busy_ticks() -> tuple[int, int]:
    """(busy, total) ticks of all cores together, from the first line of /proc/stat."""
    return _busy_total((PROC / "stat").read_text().splitlines()[0])


def _busy_total(line: str) -> tuple[int, int]:
    values = [int(v) for v in line.split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    total = sum(values[:8])  # guest time is already inside user time
    return total - idle, total


class BoardLoadMeter:
    """Call `sample()` once per interval; each call returns the board's load since the previous one."""

    def __init__(self, board_root: Path | None, board_name: str | None) -> None:
        self.board_root = board_root
        self.board_name = board_name
        self._own_pid = os.getpid()
        self._last_ticks: dict[ProcKey, int] = {}
        self._last_host = (0, 0)
        self._last_time = time.monotonic()
        self.source = self._source()
        self.sample()

    def _source(self) -> str:
        if self._sshd_pid() is not None:
            return "sshd-tree"
        return "board-env" if self.board_name else "host"

    def _sshd_pid(self) -> int | None:
        if self.board_root is None:
            return None
        try:
            return int((self.board_root / "run" / "sshd.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def _board_processes(self) -> list[ProcStat]:
        stats = all_stats()
        sshd = self._sshd_pid()
        if sshd is not None:
            mine = descendants(sshd, stats)
        else:
            marker = f"HIL_SIM_BOARD={self.board_name}".encode() + b"\0"
            uid = os.getuid()
            mine = [s for s in stats if _owned_by(s.pid, uid) and _has_board_env(s.pid, marker)]
        return [s for s in mine if s.pid != self._own_pid]

    def sample(self) -> float:
        now = time.monotonic()
        elapsed = max(now - self._last_time, 1e-6)
        self._last_time = now
        if self.source == "host":
            busy, total = host_busy_ticks()
            last_busy, last_total = self._last_host
            self._last_host = (busy, total)
            return _clamp((busy - last_busy) / max(total - last_total, 1))
        ticks = {(s.pid, s.start): s.cpu_ticks for s in self._board_processes()}
        used = sum(max(0, value - self._last_ticks.get(key, 0)) for key, value in ticks.items())
        self._last_ticks = ticks
        return _clamp(used / CLOCK_TICKS / elapsed / (os.cpu_count() or 1))


def _owned_by(pid: int, uid: int) -> bool:
    try:
        return (PROC / str(pid)).stat().st_uid == uid
    except OSError:
        return False


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, value))


class CoreLoadMeter:
    """Per-core load of the host in percent since the previous `sample()`, None for an offline core."""

    def __init__(self) -> None:
        self._last: dict[int, tuple[int, int]] = {}
        self.sample()

    def sample(self) -> list[int | None]:
        current: dict[int, tuple[int, int]] = {}
        for line in (PROC / "stat").read_text().splitlines():
            name = line.split(maxsplit=1)[0]
            if name.startswith("cpu") and name[3:].isdigit():
                current[int(name[3:])] = _busy_total(line)
        loads: list[int | None] = []
        for core in range(present_cores()):
            if core not in current:
                loads.append(None)  # offline cores vanish from /proc/stat
                continue
            busy, total = current[core]
            last_busy, last_total = self._last.get(core, (0, 0))
            loads.append(round(100 * _clamp((busy - last_busy) / max(total - last_total, 1))))
        self._last = current
        return loads


def present_cores() -> int:
    """How many cores the host has, online or not (from /sys), else the online count."""
    try:
        text = Path("/sys/devices/system/cpu/present").read_text().strip()
        return int(text.split("-")[-1].split(",")[-1]) + 1
    except (OSError, ValueError):
        return os.cpu_count() or 1
