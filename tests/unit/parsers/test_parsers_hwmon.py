"""hwmon: INA3221 on Jetson (hwmon on JetPack 5+, IIO on JetPack 4) and INA226 on TI boards."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hil.errors import ParseError
from hil.parsers.hwmon import parse_hwmon

Read = Callable[[str], str]


def test_jetpack5_ina3221_keeps_three_rails_and_computes_power(fixture_text: Read) -> None:
    [device] = parse_hwmon(fixture_text("hwmon-orin-nano-jp5.txt")).devices  # the thermal zone is no device
    assert (device.path, device.name) == ("/sys/class/hwmon/hwmon1", "ina3221")
    # in4..in7 are shunt voltages and curr4 is the sum channel: none of them is a rail
    assert [(c.index, c.label) for c in device.channels] == [
        (1, "VDD_IN"),
        (2, "VDD_CPU_GPU_CV"),
        (3, "VDD_SOC"),
    ]
    vdd_in = device.channels[0]
    assert (vdd_in.voltage_mv, vdd_in.current_ma) == (5064.0, 1120.0)
    assert vdd_in.power_mw == pytest.approx(5064 * 1120 / 1000)
    assert vdd_in.power_computed


def test_jetpack4_iio_driver_reads_rail_names_and_mw(fixture_text: Read) -> None:
    [device] = parse_hwmon(fixture_text("hwmon-nano-jp4-iio.txt")).devices
    assert device.path.endswith("/iio:device0")  # a colon inside the folder name
    assert device.name == "ina3221x"
    assert [c.label for c in device.channels] == ["POM_5V_IN", "POM_5V_GPU", "POM_5V_CPU"]
    first = device.channels[0]
    assert (first.index, first.power_mw, first.power_computed) == (0, 2508.0, False)  # in_power is already mW


def test_tda4vm_ina226_devices_microwatts_and_noise(fixture_text: Read) -> None:
    devices = parse_hwmon(fixture_text("hwmon-tda4vm-ina226.txt")).devices
    assert [d.path[-6:] for d in devices] == ["hwmon1", "hwmon2", "hwmon3"]  # bandgap sensor left out
    assert [d.label for d in devices] == [None, None, "vdd_cpu_avs"]
    [channel] = devices[1].channels
    assert (channel.index, channel.voltage_mv, channel.current_ma) == (1, 3303.0, 1083.0)  # not in0 (shunt)
    assert (channel.power_mw, channel.power_computed) == (3575.0, False)  # 3575000 uW


@pytest.mark.parametrize(
    "text",
    [
        "",
        "/sys/class/hwmon/hwmon0/name:cpu_thermal\n/sys/class/hwmon/hwmon0/temp1_input:41000\n",
        "curr1_input: 120\nname: ina226\n",  # values without the sysfs path
    ],
)
def test_text_without_power_channels_is_an_error(text: str) -> None:
    with pytest.raises(ParseError, match=r"not hwmon output: looked for `/sys/\.\.\./curr1_input"):
        parse_hwmon(text)
