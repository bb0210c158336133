"""Parse a board's clocks, temperatures and throttle indicators from Linux sysfs (`path:value` lines).

Input: what `grep -s . FILES` prints, one `path:value` per readable file; the command hil runs is built by
hil.platforms.thermal (each platform adds its own files). Paths may carry a prefix before `/sys/` (a
simulated board's root); it is ignored. Files read, all as the kernel documents them:

- thermal zones `/sys/class/thermal/thermal_zoneN/`: `type`, `temp` (millidegree C), `trip_point_K_type`
  and `trip_point_K_temp` (the `passive` trip is where the kernel starts throttling);
- cooling devices `/sys/class/thermal/cooling_deviceN/`: `type`, `cur_state`, `max_state` (state > 0 on a
  clock cooling device means its clock is being held down);
- cpufreq `/sys/devices/system/cpu/cpufreq/policyN/` (or `cpuN/cpufreq/`): `scaling_cur_freq`,
  `scaling_max_freq`, `cpuinfo_max_freq` (kHz), `scaling_governor`;
- GPU: devfreq `/sys/class/devfreq/NAME/cur_freq`, `max_freq` (Hz) for the devices named like a GPU
  (Jetson Orin: `17000000.ga10b` / `17000000.gpu`); Qualcomm KGSL `/sys/class/kgsl/kgsl-3d0/gpuclk`,
  `max_gpuclk` (Hz) and `thermal_pwrlevel` (> 0: the thermal driver holds the GPU below its top level);
- accelerators: Jetson's BPMP debugfs clock rates `/sys/kernel/debug/bpmp/debug/clk/nafll_dlaN/rate`
  (Hz; readable by root only);
- Jetson Orin over-current throttling: `/sys/class/hwmon/hwmonN/ocK_event_cnt`, events since boot.

What counts as throttling (`throttle_reasons`): a zone at or above its passive trip point, a clock cooling
device (not a fan) in a state above 0, KGSL's thermal power level above 0, and over-current events that
happened between two readings. A CPU whose scaling_max_freq is below cpuinfo_max_freq is *not* by itself
throttled: nvpmodel and users cap clocks on purpose; that cap is a fact (`max_mhz`), not noise.

Lines that are not `path:value` and files not listed are ignored; text with none of these files is a
ParseError.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pydantic import Field

from hil.parsers.text import NUMBER, ParsedModel, not_recognised

_LINE = re.compile(r"^(?:\S*?)(?P<path>/sys/\S+?):(?P<value>.*)$")
_ZONE = re.compile(r"/sys/class/thermal/thermal_zone(\d+)/(type|temp|trip_point_(\d+)_(type|temp))$")
_COOLING = re.compile(r"/sys/class/thermal/cooling_device(\d+)/(type|cur_state|max_state)$")
_CPU = re.compile(
    r"/sys/devices/system/cpu/(?:cpufreq/policy(\d+)|cpu(\d+)/cpufreq)/"
    r"(scaling_cur_freq|scaling_max_freq|cpuinfo_max_freq|scaling_governor)$"
)
_DEVFREQ = re.compile(r"/sys/class/devfreq/([^/]*(?:gpu|ga10b|gv11b|gp10b|kgsl)[^/]*)/(cur_freq|max_freq)$")
_KGSL = re.compile(r"/sys/class/kgsl/kgsl-3d0/(gpuclk|max_gpuclk|thermal_pwrlevel)$")
_ACCEL = re.compile(r"/sys/kernel/debug/bpmp/debug/clk/(nafll_dla\d+|nafll_pva\d+\w*)/rate$")
_OC = re.compile(r"/sys/class/hwmon/(hwmon\d+)/(oc\d+)_event_cnt$")
_FAN_WORDS = ("fan", "pwm")


class ThermalZone(ParsedModel):
    index: int
    name: str | None = None
    temp_c: float | None = None
    passive_c: float | None = None  # the lowest passive trip point


class CoolingDevice(ParsedModel):
    index: int
    type: str | None = None
    cur_state: int | None = None
    max_state: int | None = None


class CpuPolicy(ParsedModel):
    policy: int
    cur_mhz: float | None = None
    max_mhz: float | None = None  # scaling_max_freq: the cap in force (nvpmodel, user, thermal)
    hw_max_mhz: float | None = None  # cpuinfo_max_freq: what the silicon can do
    governor: str | None = None


class ThermalReport(ParsedModel):
    zones: list[ThermalZone] = Field(default_factory=list)
    cooling: list[CoolingDevice] = Field(default_factory=list)
    cpu: list[CpuPolicy] = Field(default_factory=list)
    gpu_mhz: float | None = None
    gpu_max_mhz: float | None = None
    gpu_thermal_pwrlevel: int | None = None
    accel_mhz: dict[str, float] = Field(default_factory=dict)
    oc_events: dict[str, int] = Field(default_factory=dict)  # "hwmon3/oc1" -> events since boot

    def hottest(self) -> ThermalZone | None:
        zones = [z for z in self.zones if z.temp_c is not None]
        return max(zones, key=lambda z: z.temp_c or 0.0) if zones else None


def parse_thermal(text: str) -> ThermalReport:
    """Zones, cooling devices, CPU/GPU/accelerator clocks and over-current counters. ParseError if none."""
    zones: dict[int, dict[str, str]] = {}
    trips: dict[int, dict[int, dict[str, str]]] = {}
    cooling: dict[int, dict[str, str]] = {}
    cpus: dict[int, dict[str, str]] = {}
    report = ThermalReport()
    seen = False
    for raw in text.splitlines():
        found = _LINE.match(raw.strip())
        if not found:
            continue
        path, value = found.group("path"), found.group("value").strip()
        seen = _apply(path, value, report, zones, trips, cooling, cpus) or seen
    if not seen:
        raise not_recognised(
            "sysfs clocks / thermal readings",
            "`path:value` lines (as `grep . FILES` prints) of /sys/class/thermal, cpufreq, devfreq or kgsl",
        )
    report.zones = [_zone(i, zones.get(i, {}), trips.get(i, {})) for i in sorted({*zones, *trips})]
    report.cooling = [_cooling(i, cooling[i]) for i in sorted(cooling)]
    report.cpu = [_policy(i, cpus[i]) for i in sorted(cpus)]
    return report


def _apply(
    path: str,
    value: str,
    report: ThermalReport,
    zones: dict[int, dict[str, str]],
    trips: dict[int, dict[int, dict[str, str]]],
    cooling: dict[int, dict[str, str]],
    cpus: dict[int, dict[str, str]],
) -> bool:
    if found := _ZONE.search(path):
        index = int(found.group(1))
        if found.group(3) is not None:
            trips.setdefault(index, {}).setdefault(int(found.group(3)), {})[found.group(4)] = value
        else:
            zones.setdefault(index, {})[found.group(2)] = value
    elif found := _COOLING.search(path):
        cooling.setdefault(int(found.group(1)), {})[found.group(2)] = value
    elif found := _CPU.search(path):
        index = int(found.group(1) if found.group(1) is not None else found.group(2))
        cpus.setdefault(index, {})[found.group(3)] = value
    elif found := _DEVFREQ.search(path):
        mhz = _scaled(value, 1e-6)
        if found.group(2) == "cur_freq":
            report.gpu_mhz = mhz
        else:
            report.gpu_max_mhz = mhz
    elif found := _KGSL.search(path):
        if found.group(1) == "thermal_pwrlevel":
            report.gpu_thermal_pwrlevel = _int(value)
        elif found.group(1) == "gpuclk":
            report.gpu_mhz = _scaled(value, 1e-6)
        else:
            report.gpu_max_mhz = _scaled(value, 1e-6)
    elif found := _ACCEL.search(path):
        mhz = _scaled(value, 1e-6)
        if mhz is not None:
            report.accel_mhz[found.group(1).removeprefix("nafll_")] = mhz
    elif found := _OC.search(path):
        count = _int(value)
        if count is not None:
            report.oc_events[f"{found.group(1)}/{found.group(2)}"] = count
    else:
        return False
    return True


def _int(value: str) -> int | None:
    return int(value) if re.fullmatch(r"-?\d+", value) else None


def _scaled(value: str, factor: float) -> float | None:
    return round(float(value) * factor, 3) if re.fullmatch(NUMBER, value) else None


def _zone(index: int, files: dict[str, str], trips: dict[int, dict[str, str]]) -> ThermalZone:
    temps = [_scaled(trip.get("temp", ""), 1e-3) for trip in trips.values() if trip.get("type") == "passive"]
    passive = [t for t in temps if t is not None]
    return ThermalZone(
        index=index,
        name=files.get("type"),
        temp_c=_scaled(files.get("temp", ""), 1e-3),
        passive_c=min(passive) if passive else None,
    )


def _cooling(index: int, files: dict[str, str]) -> CoolingDevice:
    return CoolingDevice(
        index=index,
        type=files.get("type"),
        cur_state=_int(files.get("cur_state", "")),
        max_state=_int(files.get("max_state", "")),
    )


def _policy(index: int, files: dict[str, str]) -> CpuPolicy:
    return CpuPolicy(
        policy=index,
        cur_mhz=_scaled(files.get("scaling_cur_freq", ""), 1e-3),
        max_mhz=_scaled(files.get("scaling_max_freq", ""), 1e-3),
        hw_max_mhz=_scaled(files.get("cpuinfo_max_freq", ""), 1e-3),
        governor=files.get("scaling_governor"),
    )


def throttle_reasons(readings: Iterable[ThermalReport]) -> list[str]:
    """Why the board was throttled at any of `readings` (in time order), or [] when nothing says so."""
    reasons: list[str] = []
    previous: ThermalReport | None = None
    for reading in readings:
        for zone in reading.zones:
            if zone.temp_c is not None and zone.passive_c is not None and zone.temp_c >= zone.passive_c:
                name = zone.name or f"thermal_zone{zone.index}"
                reasons.append(f"{name} at {zone.temp_c:g} °C ≥ passive trip {zone.passive_c:g} °C")
        for dev in reading.cooling:
            kind = (dev.type or "").lower()
            if dev.cur_state and dev.cur_state > 0 and not any(word in kind for word in _FAN_WORDS):
                limit = f"/{dev.max_state}" if dev.max_state is not None else ""
                reasons.append(f"cooling device {dev.type or dev.index} at state {dev.cur_state}{limit}")
        if reading.gpu_thermal_pwrlevel:
            reasons.append(f"GPU held at power level {reading.gpu_thermal_pwrlevel} (kgsl thermal_pwrlevel)")
        if previous is not None:
            for name, count in reading.oc_events.items():
                before = previous.oc_events.get(name)
                if before is not None and count > before:
                    reasons.append(f"over-current throttling: {name} {count - before} event(s)")
        previous = reading
    return list(dict.fromkeys(reasons))
