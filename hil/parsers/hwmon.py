"""Parse power-monitor readings from Linux sysfs: INA3221 (Jetson) and INA226 (TI TDA4VM boards).

Input: `path:value` lines, which is what `grep` prints for several files. The command hil runs is

    grep . /sys/class/hwmon/hwmon*/{name,label,*_label,*_input}

and, on JetPack 4 where the INA3221 is an IIO device,

    grep . /sys/bus/i2c/drivers/ina3221x/*/iio:device*/{name,rail_name_*,in_*_input}

Files are grouped by their folder, one device per folder, and by channel number:

- hwmon: `in<N>_input` bus voltage (mV), `curr<N>_input` (mA), `power<N>_input` (microwatts, -> mW),
  `in<N>_label` the rail name, `name` the chip, `label` the chip's label when the device tree gives one;
- IIO (`ina3221x`): `in_voltage<N>_input` (mV), `in_current<N>_input` (mA), `in_power<N>_input` (mW),
  `rail_name_<N>`.

A channel is kept when it has a current or a power reading; voltage-only inputs are shunt voltages
(INA226 `in0`, INA3221 `in4`..`in7`), and INA3221 `curr4` is the sum of the other three, so both are left
out. Where the chip has no power file, power is voltage x current and `power_computed` says so.
Lines that are not `path:value` (prompts, `grep:` errors) and other files (temperatures, limits) are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from hil.parsers.text import NUMBER, ParsedModel, not_recognised

_LINE = re.compile(r"^(?P<folder>/\S*)/(?P<file>[^/:\s]+):(?P<value>.*)$")
# sysfs file -> (channel field, factor to the result's unit)
_READINGS: tuple[tuple[re.Pattern[str], str, float], ...] = (
    (re.compile(r"in(\d+)_input"), "voltage_mv", 1.0),
    (re.compile(r"curr(\d+)_input"), "current_ma", 1.0),
    (re.compile(r"power(\d+)_input"), "power_mw", 0.001),
    (re.compile(r"in_voltage(\d+)_input"), "voltage_mv", 1.0),
    (re.compile(r"in_current(\d+)_input"), "current_ma", 1.0),
    (re.compile(r"in_power(\d+)_input"), "power_mw", 1.0),
)
_LABELS = (re.compile(r"in(\d+)_label"), re.compile(r"rail_name_(\d+)"))
_INA3221_CHANNELS = range(1, 4)  # hwmon ina3221: 1..3 are rails, 4 is the sum of the shunts


class Channel(ParsedModel):
    index: int
    label: str | None
    voltage_mv: float | None
    current_ma: float | None
    power_mw: float | None
    power_computed: bool  # True when power_mw is voltage x current, not the chip's own reading


class Device(ParsedModel):
    path: str  # the sysfs folder, which tells apart several chips of the same name
    name: str | None
    label: str | None
    channels: list[Channel]


class HwmonReport(ParsedModel):
    devices: list[Device]


def parse_hwmon(text: str) -> HwmonReport:
    """Power channels per sysfs device, in the order the folders first appear. Raises ParseError if none."""
    folders: dict[str, dict[str, str]] = {}
    for folder, file, value in _entries(text):
        folders.setdefault(folder, {})[file] = value
    devices = [device for folder, files in folders.items() if (device := _device(folder, files))]
    if not devices:
        raise not_recognised(
            "hwmon",
            "`/sys/.../curr1_input:<mA>` or `power1_input:<uW>` lines (INA3221/INA226 hwmon, or "
            "`in_current0_input` from the ina3221x IIO driver)",
        )
    return HwmonReport(devices=devices)


def _entries(text: str) -> Iterator[tuple[str, str, str]]:
    for line in text.splitlines():
        found = _LINE.match(line.strip())
        if found:
            yield found.group("folder"), found.group("file"), found.group("value").strip()


def _device(folder: str, files: dict[str, str]) -> Device | None:
    name = files.get("name")
    fields: dict[int, dict[str, float]] = {}
    labels: dict[int, str] = {}
    for file, value in files.items():
        for pattern, field, factor in _READINGS:
            found = pattern.fullmatch(file)
            if found and re.fullmatch(NUMBER, value):
                fields.setdefault(int(found.group(1)), {})[field] = float(value) * factor
        for pattern in _LABELS:
            if found := pattern.fullmatch(file):
                labels[int(found.group(1))] = value
    channels = [
        _channel(index, labels.get(index), values)
        for index, values in sorted(fields.items())
        if ("current_ma" in values or "power_mw" in values)
        and (name != "ina3221" or index in _INA3221_CHANNELS)
    ]
    if not channels:
        return None
    return Device(path=folder, name=name, label=files.get("label"), channels=channels)


def _channel(index: int, label: str | None, values: dict[str, float]) -> Channel:
    voltage, current, power = values.get("voltage_mv"), values.get("current_ma"), values.get("power_mw")
    computed = False
    if power is None and voltage is not None and current is not None:
        power, computed = voltage * current / 1000.0, True  # mV x mA = microwatts
    return Channel(
        index=index,
        label=label,
        voltage_mv=voltage,
        current_ma=current,
        power_mw=power,
        power_computed=computed,
    )
