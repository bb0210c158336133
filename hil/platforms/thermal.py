"""Clocks, temperatures and throttle indicators of a board: the `thermal` fact every platform reads.

One shell line, `grep -s . FILES`, prints `path:value` for every readable file (hil.parsers.thermal reads
them). The files common to every Linux board are the thermal zones, the cooling devices and the cpufreq
policies; each platform adds what its kernel shows (see THERMAL_FILES in its module):

- Jetson Orin: the GPU's devfreq node (`17000000.ga10b` on JetPack 5, `17000000.gpu` on JetPack 6), the
  over-current event counters `ocN_event_cnt` of the INA3221 hwmon, and the DLA/PVA clocks in BPMP debugfs
  (root only: absent otherwise);
- QCS8255: the Adreno GPU's KGSL node (`gpuclk`, `max_gpuclk`, `thermal_pwrlevel`); the HTP (NSP) clock is
  not in sysfs;
- TDA4VM: the common files only; the C7x/MMA clocks are set by the firmware and not shown to Linux.

The command runs from `${HIL_BOARD_ROOT:-/}`, so a simulated board answers from its emulated sysfs (see
hil/sim/sysfs.py) with the same command line.
"""

from __future__ import annotations

from collections.abc import Sequence

from hil.errors import ParseError
from hil.parsers.thermal import ThermalReport, parse_thermal, throttle_reasons

COMMON_FILES: tuple[str, ...] = (
    "sys/class/thermal/thermal_zone*/type",
    "sys/class/thermal/thermal_zone*/temp",
    "sys/class/thermal/thermal_zone*/trip_point_*_type",
    "sys/class/thermal/thermal_zone*/trip_point_*_temp",
    "sys/class/thermal/cooling_device*/type",
    "sys/class/thermal/cooling_device*/cur_state",
    "sys/class/thermal/cooling_device*/max_state",
    "sys/devices/system/cpu/cpufreq/policy*/scaling_cur_freq",
    "sys/devices/system/cpu/cpufreq/policy*/scaling_max_freq",
    "sys/devices/system/cpu/cpufreq/policy*/cpuinfo_max_freq",
    "sys/devices/system/cpu/cpufreq/policy*/scaling_governor",
)
# Facts derived from the readings; the per-result state keys hil.runs.thermal adds are listed there.
THERMAL_FACTS = ("cpu_mhz", "cpu_max_mhz", "gpu_mhz", "gpu_max_mhz", "accel_mhz", "temp_c", "throttled")


def thermal_command(extra: Sequence[str] = ()) -> str:
    """The shell line printing `./sys/...:value` for every readable file of COMMON_FILES and `extra`."""
    files = " ".join(f"./{path}" for path in (*COMMON_FILES, *extra))
    return f'cd "${{HIL_BOARD_ROOT:-/}}" && grep -s . {files}; true'


def read_thermal(text: str) -> ThermalReport | None:
    """The readings in a `thermal` fact, or None when the board shows none of the files."""
    try:
        return parse_thermal(text)
    except ParseError:
        return None


def _mhz(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def thermal_facts(text: str) -> dict[str, str]:
    """Clean facts from a `thermal` fact's text: clocks in MHz, the hottest zone in °C, throttled yes/no.

    `cpu_mhz` is the fastest policy's current clock, `cpu_max_mhz` its cap in force (scaling_max_freq),
    `accel_mhz` lists the accelerators (`dla0=614.4`). A value the board does not show is "".
    """
    report = read_thermal(text)
    if report is None:
        return dict.fromkeys(THERMAL_FACTS, "")
    cur = [p.cur_mhz for p in report.cpu if p.cur_mhz is not None]
    cap = [p.max_mhz for p in report.cpu if p.max_mhz is not None]
    hottest = report.hottest()
    reasons = throttle_reasons([report])
    return {
        "cpu_mhz": _mhz(max(cur) if cur else None),
        "cpu_max_mhz": _mhz(max(cap) if cap else None),
        "gpu_mhz": _mhz(report.gpu_mhz),
        "gpu_max_mhz": _mhz(report.gpu_max_mhz),
        "accel_mhz": ",".join(f"{name}={mhz:g}" for name, mhz in sorted(report.accel_mhz.items())),
        "temp_c": "" if hottest is None else f"{hottest.temp_c:g}",
        "throttled": ("yes: " + "; ".join(reasons)) if reasons else "no",
    }
