"""Parse TI's on-board performance report: `perf_stats` (edgeai-gst-apps scripts/perf_stats) and the
`appPerfStats*Print*` output of TI's vision_apps utils it is built on (`app_perf_stats`).

The report is the TDA4VM's only view of its cores other than the A72 (R5F `mcu*`, C66x `c6x_*`, C7x
`c7x_*`), its hardware accelerators (VISS, LDC, MSC, ...), DDR bandwidth and SoC temperatures. Lines, as
TI's printing code writes them:

    CPU: mpu1_0: TOTAL LOAD =  20.62 % ( HWI =   0. 5 %, SWI =   0. 0 % )
    CPU: mcu2_0: TASK:           IPC_RX:   0.69 %
    HWA:   MSC0: LOAD =  24.92 % ( 164 MP/s )
    DDR: READ  BW: AVG =   2594 MB/s, PEAK =   9074 MB/s
    CPU:    45.12 degree Celsius              (under `SoC temperature statistics`; newer tools name
    thermal_zone1(CPU):  45.12 degree Celsius  the zone: `thermal_zone%d(%s)`)
    TEMP: thermal_zone1(CPU) = 45.12 C        (edgeai apps' variant)
    FPS: 30

**The number format is not what it looks like.** TI prints a load held in hundredths of a percent as
`printf("%3d.%2d %%", load / 100, load % 100)`: the fraction is a space-padded integer, not decimals, so
`0. 5 %` is 0.05 %, `12. 5 %` is 12.05 % and `12.50 %` is 12.50 %. Read as a decimal, `12. 5` would be
12.5 % — ten times the real fraction — or no number at all. The edgeai apps print the same figure with
`%.2f`, which this rule reads the same way. A fraction of one digit without its pad (`12.5`, from a copy
that lost the space) is ambiguous and is left out (None), never guessed.

The tool redraws its report every 2 s (`system("clear")` between): each report is one sample, in order.
"""

from __future__ import annotations

import re

from hil.parsers.text import ParsedModel, not_recognised

_CLEAR = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# `%3d.%2d`: integer part, a dot, then a two-character field: `05` / ` 5` / `50`.
_LOAD = r"(\d+)\.( \d|\d\d)(?!\d)"
_CPU = re.compile(rf"^CPU:\s*(\S+?):\s*TOTAL LOAD\s*=\s*{_LOAD}\s*%?(?:\s*\(\s*HWI\s*=\s*{_LOAD}\s*%\s*,"
                  rf"\s*SWI\s*=\s*{_LOAD}\s*%\s*\))?")  # fmt: skip
_CPU_BAD = re.compile(r"^CPU:\s*(\S+?):\s*TOTAL LOAD\s*=")
_TASK = re.compile(rf"^CPU:\s*(\S+?):\s*TASK:\s*(\S+?):\s*{_LOAD}\s*%")
_HWA = re.compile(rf"^HWA:\s*(\S+?):\s*LOAD\s*=\s*{_LOAD}\s*%\s*\(\s*(\d+)\s*MP/s\s*\)")
_DDR = re.compile(
    r"^DDR:\s*(READ|WRITE|TOTAL)\s+BW:\s*AVG\s*=\s*(\d+)\s*MB/s(?:,\s*PEAK\s*=\s*(\d+)\s*MB/s)?"
)
_TEMP_SOC = re.compile(r"^(\S+?):\s*(-?\d+(?:\.\d+)?) degree Celsius")
_TEMP_ZONE = re.compile(r"^TEMP:\s*(\S+)\s*=\s*(-?\d+(?:\.\d+)?)\s*C\b")
_FPS = re.compile(r"^FPS:\s*(\d+)\s*$")
_HEADER = re.compile(r"^Summary of CPU load")


class CoreLoad(ParsedModel):
    total_pct: float | None  # None: printed in a form that cannot be read without guessing
    hwi_pct: float | None
    swi_pct: float | None


class HwaLoad(ParsedModel):
    load_pct: float | None
    mpixels_per_s: int


class DdrBandwidth(ParsedModel):
    avg_mb_per_s: int
    peak_mb_per_s: int | None  # edgeai's Linux-only perf_stats prints no peak


class TiPerfSample(ParsedModel):
    cpu: dict[str, CoreLoad]  # by TI's core name: mpu1_0, mcu2_0, c6x_1, c7x_1, ...
    tasks_pct: dict[str, dict[str, float | None]]  # core -> task -> load
    hwa: dict[str, HwaLoad]
    ddr: dict[str, DdrBandwidth]  # read, write, total
    temps_c: dict[str, float]
    fps: int | None


class TiPerfReport(ParsedModel):
    samples: list[TiPerfSample]


def load_pct(whole: str, field: str) -> float:
    """`%3d.%2d` of a load in hundredths: `12`, ` 5` -> 12.05 (not 12.5)."""
    return int(whole) + int(field.strip()) / 100.0


def _loads(found: re.Match[str], first: int) -> float | None:
    whole, field = found.group(first), found.group(first + 1)
    return None if whole is None else round(load_pct(whole, field), 2)


class _Sample:
    def __init__(self) -> None:
        self.cpu: dict[str, CoreLoad] = {}
        self.tasks: dict[str, dict[str, float | None]] = {}
        self.hwa: dict[str, HwaLoad] = {}
        self.ddr: dict[str, DdrBandwidth] = {}
        self.temps: dict[str, float] = {}
        self.fps: int | None = None

    def empty(self) -> bool:
        return not (self.cpu or self.tasks or self.hwa or self.ddr or self.temps or self.fps is not None)

    def done(self) -> TiPerfSample:
        return TiPerfSample(cpu=self.cpu, tasks_pct=self.tasks, hwa=self.hwa, ddr=self.ddr,
                            temps_c=self.temps, fps=self.fps)  # fmt: skip


def parse_ti_perf(text: str) -> TiPerfReport:
    """Every report in the text, in order. Raises ParseError when there is none."""
    samples: list[TiPerfSample] = []
    current = _Sample()
    in_temps = False

    def close() -> None:
        nonlocal current
        if not current.empty():
            samples.append(current.done())
        current = _Sample()

    for raw in _CLEAR.sub("\n", text).splitlines():
        line = raw.strip()
        if not line:
            continue
        if _HEADER.match(line):
            close()
            in_temps = False
            continue
        if line.startswith(("SoC temperature statistics", "Temperature statistics")):
            in_temps = True
            continue
        if found := _TASK.match(line):
            current.tasks.setdefault(found.group(1), {})[found.group(2)] = _loads(found, 3)
        elif found := _CPU.match(line):
            if found.group(1) in current.cpu:
                close()  # the next redraw, without its header
            current.cpu[found.group(1)] = CoreLoad(
                total_pct=_loads(found, 2), hwi_pct=_loads(found, 4), swi_pct=_loads(found, 6)
            )
        elif found := _CPU_BAD.match(line):
            current.cpu[found.group(1)] = CoreLoad(total_pct=None, hwi_pct=None, swi_pct=None)
        elif found := _HWA.match(line):
            rate = int(found.group(4))
            current.hwa[found.group(1)] = HwaLoad(load_pct=_loads(found, 2), mpixels_per_s=rate)
        elif found := _DDR.match(line):
            peak = found.group(3)
            current.ddr[found.group(1).lower()] = DdrBandwidth(
                avg_mb_per_s=int(found.group(2)), peak_mb_per_s=None if peak is None else int(peak)
            )
        elif (found := _TEMP_ZONE.match(line)) or (in_temps and (found := _TEMP_SOC.match(line))):
            current.temps[found.group(1)] = float(found.group(2))
        elif found := _FPS.match(line):
            current.fps = int(found.group(1))
    close()
    if not samples:
        raise not_recognised(
            "TI perf_stats / app_perf_stats",
            "`CPU: mpu1_0: TOTAL LOAD = ...`, `HWA: ...: LOAD = ...`, `DDR: READ  BW: AVG = ... MB/s` lines",
        )
    return TiPerfReport(samples=samples)
