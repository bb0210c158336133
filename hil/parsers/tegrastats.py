"""Parse `tegrastats` output (JetPack 4 to 6, stdout or `--logfile`) into one sample per line.

A line is a sample when it has both `RAM used/totalMB` and a closed `CPU [...]` list; anything else (shell
prompts, blank lines, a line cut off mid-write) is skipped. Fields are found by their own shape, not by
position, because boards and JetPack releases add, drop and reorder them (SWAP, IRAM, EMC_FREQ, APE,
`MTS fg 0% bg 0%`, `NVENC off`, ...).

- CPU: `12%@1728` per core, `12%` without a clock, `off` for an offline core (None).
- GPU: `GR3D_FREQ 12%@1300`, `22%` (no clock), `@0` (no load), `0%@[305]` and `0%@[305,0]` (one clock per
  GPC; the highest is the GPU's clock, a 0 is a gated GPC).
- Temperatures: `name@41.5C`; -256 is how tegrastats marks a sensor that is off, so it is left out.
- Rails: `NAME cur/avg` with or without `mW` (JetPack 4 prints bare mW), sometimes a third `/max` value
  (dropped: the result keeps current and running average). `NC` (not connected) channels are left out.
  No rail is assumed to exist: AGX Orin has no `VDD_IN`. The average is a running mean since tegrastats
  started, never an energy.
"""

from __future__ import annotations

import re

from hil.parsers.text import NUMBER, ParsedModel, not_recognised

_TIMESTAMP = re.compile(r"^(\d\d-\d\d-\d{4} \d\d:\d\d:\d\d)\s")
_RAM = re.compile(r"\bRAM (\d+)/(\d+)(kB|MB|GB)(?:\s*\(lfb [^)]*\))?")
_SWAP = re.compile(r"\bSWAP (\d+)/(\d+)(kB|MB|GB)(?:\s*\(cached [^)]*\))?")
_IRAM = re.compile(r"\bIRAM \d+/\d+\w*(?:\s*\(lfb [^)]*\))?")
_CPU = re.compile(r"\bCPU \[([^\]]*)\]")
_CORE = re.compile(r"(\d+)%(?:@(\d+))?")
_GR3D = re.compile(r"\bGR3D_FREQ (\S+)")
_GR3D_VALUE = re.compile(r"(?:(\d+)%)?(?:@(?:\[([\d,]*)\]|(\d+)))?")
_TEMP = re.compile(rf"(?<!\S)([A-Za-z][\w-]*)@({NUMBER})C(?!\S)")
_RAIL = re.compile(r"(?<!\S)([A-Za-z][\w-]*) (\d+)(?:mW)?/(\d+)(?:mW)?(?:/(\d+)(?:mW)?)?(?!\S)")
_STRUCTURED = re.compile("|".join(p.pattern for p in (_TIMESTAMP, _RAM, _SWAP, _IRAM, _CPU, _GR3D)))
_TO_MB = {"kB": 1 / 1024, "MB": 1.0, "GB": 1024.0}
_SENSOR_OFF = -256.0


class CpuCore(ParsedModel):
    load_pct: int
    freq_mhz: int | None


class Rail(ParsedModel):
    """One INA3221 channel: current reading and tegrastats' running mean since it started, in mW."""

    current_mw: int
    average_mw: int


class TegrastatsSample(ParsedModel):
    timestamp: str | None  # `MM-DD-YYYY HH:MM:SS` as printed (JetPack 5+ only)
    ram_used_mb: int
    ram_total_mb: int
    swap_used_mb: int | None
    cpu: list[CpuCore | None]  # None for an offline core
    gpu_load_pct: int | None
    gpu_freq_mhz: int | None
    temps_c: dict[str, float]
    rails: dict[str, Rail]


class TegrastatsReport(ParsedModel):
    samples: list[TegrastatsSample]


def parse_tegrastats(text: str) -> TegrastatsReport:
    """One sample per tegrastats line. Raises ParseError when no line is one."""
    samples = [sample for line in text.splitlines() if (sample := _sample(line)) is not None]
    if not samples:
        raise not_recognised("tegrastats", "lines with `RAM used/totalMB` and a per-core `CPU` list")
    return TegrastatsReport(samples=samples)


def _sample(line: str) -> TegrastatsSample | None:
    line = line.strip()
    ram, cpu = _RAM.search(line), _CPU.search(line)
    if ram is None or cpu is None:
        return None
    stamp = _TIMESTAMP.match(line)
    swap = _SWAP.search(line)
    gpu_load, gpu_freq = _gpu(line)
    # What is left once the structured fields are cut out holds only temperatures, rails and stray tokens.
    rest = _STRUCTURED.sub(" ", line)
    return TegrastatsSample(
        timestamp=stamp.group(1) if stamp else None,
        ram_used_mb=_mb(ram.group(1), ram.group(3)),
        ram_total_mb=_mb(ram.group(2), ram.group(3)),
        swap_used_mb=_mb(swap.group(1), swap.group(3)) if swap else None,
        cpu=[_core(entry.strip()) for entry in cpu.group(1).split(",")],
        gpu_load_pct=gpu_load,
        gpu_freq_mhz=gpu_freq,
        temps_c=_temps(rest),
        rails=_rails(rest),
    )


def _mb(value: str, unit: str) -> int:
    return round(int(value) * _TO_MB[unit])


def _core(entry: str) -> CpuCore | None:
    if entry == "off":
        return None
    found = _CORE.fullmatch(entry)
    if found is None:
        # An unknown core format would silently shift every later core; refuse the line instead.
        raise not_recognised("tegrastats", f"a CPU entry like `12%@1728` or `off` (got `{entry}`)")
    return CpuCore(load_pct=int(found.group(1)), freq_mhz=int(found.group(2)) if found.group(2) else None)


def _gpu(line: str) -> tuple[int | None, int | None]:
    token = _GR3D.search(line)
    value = _GR3D_VALUE.fullmatch(token.group(1)) if token else None
    if value is None:
        return None, None  # no GR3D_FREQ (non-root JetPack 4) or `GR3D_FREQ off`
    load = int(value.group(1)) if value.group(1) else None
    if value.group(2) is not None:
        clocks = [int(clock) for clock in value.group(2).split(",") if clock]
        return load, max(clocks) if clocks else None
    return load, int(value.group(3)) if value.group(3) else None


def _temps(rest: str) -> dict[str, float]:
    return {name: float(value) for name, value in _TEMP.findall(rest) if float(value) != _SENSOR_OFF}


def _rails(rest: str) -> dict[str, Rail]:
    rails: dict[str, Rail] = {}
    for name, current, average, _max in _RAIL.findall(rest):
        if name != "NC":
            rails.setdefault(name, Rail(current_mw=int(current), average_mw=int(average)))
    return rails
