"""Clocks, temperatures and throttle indicators from sysfs `path:value` lines; what counts as throttled."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hil.errors import ParseError
from hil.parsers.thermal import parse_thermal, throttle_reasons
from hil.platforms.thermal import thermal_facts

Read = Callable[[str], str]


def test_orin_readings(fixture_text: Read) -> None:
    report = parse_thermal(fixture_text("thermal-orin-throttled.txt"))
    cpu, gpu, tj = report.zones
    assert (cpu.name, cpu.temp_c, cpu.passive_c) == ("cpu-thermal", 98.5, 95.5)
    assert (gpu.name, gpu.temp_c) == ("gpu-thermal", 71.343)
    assert (tj.index, tj.passive_c) == (5, None)  # only critical trips, or none: no passive point
    assert [(p.policy, p.cur_mhz, p.max_mhz, p.hw_max_mhz) for p in report.cpu] == [
        (0, 1190.4, 1510.4, 1984.0),
        (4, 1510.4, 1510.4, 1984.0),
    ]
    assert (report.gpu_mhz, report.gpu_max_mhz) == (306.0, 612.0)  # devfreq Hz -> MHz
    assert report.accel_mhz == {"dla0": 614.4}
    assert report.oc_events == {"hwmon3/oc1": 0, "hwmon3/oc2": 4}
    assert report.hottest() is not None and report.hottest().temp_c == 98.5  # type: ignore[union-attr]


def test_throttle_reasons_name_zone_and_clock_cooling_device_not_the_fan(fixture_text: Read) -> None:
    reasons = throttle_reasons([parse_thermal(fixture_text("thermal-orin-throttled.txt"))])
    assert reasons == [
        "cpu-thermal at 98.5 °C ≥ passive trip 95.5 °C",
        "cooling device cpufreq-cpu0 at state 2/12",
    ]


def test_a_cool_board_with_a_capped_cpu_is_not_throttled() -> None:
    text = (
        "/sys/class/thermal/thermal_zone0/type:cpu-thermal\n/sys/class/thermal/thermal_zone0/temp:48000\n"
        "/sys/class/thermal/thermal_zone0/trip_point_0_type:passive\n"
        "/sys/class/thermal/thermal_zone0/trip_point_0_temp:95500\n"
        "/sys/class/thermal/cooling_device0/type:pwm-fan\n/sys/class/thermal/cooling_device0/cur_state:2\n"
        "/sys/devices/system/cpu/cpufreq/policy0/scaling_max_freq:1510400\n"
        "/sys/devices/system/cpu/cpufreq/policy0/cpuinfo_max_freq:1984000\n"
    )
    assert throttle_reasons([parse_thermal(text)]) == []  # nvpmodel's cap and a spinning fan are no throttle


def test_over_current_events_count_only_when_they_happen_between_readings() -> None:
    before = parse_thermal("/sys/class/hwmon/hwmon3/oc1_event_cnt:7\n")
    same = parse_thermal("/sys/class/hwmon/hwmon3/oc1_event_cnt:7\n")
    more = parse_thermal("/sys/class/hwmon/hwmon3/oc1_event_cnt:9\n")
    assert throttle_reasons([before]) == [] and throttle_reasons([before, same]) == []
    assert throttle_reasons([before, more]) == ["over-current throttling: hwmon3/oc1 2 event(s)"]


def test_qualcomm_kgsl_and_prefixed_paths() -> None:
    text = (
        "/tmp/board/root/sys/class/kgsl/kgsl-3d0/gpuclk:587000000\n"
        "./sys/class/kgsl/kgsl-3d0/max_gpuclk:900000000\n"
        "./sys/class/kgsl/kgsl-3d0/thermal_pwrlevel:2\n"
        "grep: ./sys/class/kgsl/kgsl-3d0/nothing: No such file or directory\n"
    )
    report = parse_thermal(text)
    assert (report.gpu_mhz, report.gpu_max_mhz, report.gpu_thermal_pwrlevel) == (587.0, 900.0, 2)
    assert throttle_reasons([report]) == ["GPU held at power level 2 (kgsl thermal_pwrlevel)"]


def test_text_without_any_known_file_is_refused() -> None:
    with pytest.raises(ParseError, match="thermal"):
        parse_thermal("/sys/class/hwmon/hwmon0/curr1_input:120\nhello\n")


def test_facts_summarise_the_readings(fixture_text: Read) -> None:
    facts = thermal_facts(fixture_text("thermal-orin-throttled.txt"))
    assert facts["cpu_mhz"] == "1510.4" and facts["cpu_max_mhz"] == "1510.4"
    assert (facts["gpu_mhz"], facts["gpu_max_mhz"], facts["accel_mhz"]) == ("306", "612", "dla0=614.4")
    assert facts["temp_c"] == "98.5" and facts["throttled"].startswith("yes: cpu-thermal at 98.5")
    empty = thermal_facts("")
    assert set(empty.values()) == {""}  # a board that shows nothing: unknown, never "no"
