"""Parse Qualcomm SNPE tool output: `snpe-diagview` and `snpe-throughput-net-run`.

snpe-diagview prints `Key: N us` lines in sections whose names changed over SNPE releases:

- `create`: older `Dnn Runtime Load/Deserialize/Create/De-Init Statistics`, newer `SNPE Create Statistics`;
- `execute_average`: older `Average SNPE Statistics`, newer `SNPE Execute Statistics (Averaged)`;
- `layer_times`: older `Layer Times` (`0: 162014 cycles : DSP`), newer `Per-Layer Execution Times`
  (`0: conv1 : 23 us : CPU`); `subnet_times` from `Per-Subnet Execution Times`.

Keys are the printed labels in snake_case with `_us` appended (`total_inference_time_us`), whatever unit
the figure was printed in (ms and s are converted), so one figure has one key across releases and
runtimes. Unit `NONE` (`Snpe Accelerator Time: 0 NONE` on a CPU run) means not measured: None, for every
label; a time printed with no unit at all is None too; other unit-less values are counts
(`num_times_yield_occurred`). Layer and subnet times keep their own unit,
because DSP runtimes report cycles while CPU/GPU report us. Pasted copies can have damaged labels
(`Forward Propagate ..Time:`, the `..` is dropped) and elided layer lists (`..` lines, `layer_list_elided`).
"""

from __future__ import annotations

import re

from hil.parsers.text import NUMBER, ParsedModel, not_recognised, number, snake

_SECTIONS = {
    "dnn runtime load/deserialize/create/de-init statistics": "create",
    "snpe create statistics": "create",
    "average snpe statistics": "execute_average",
    "snpe execute statistics (averaged)": "execute_average",
    "layer times": "layer_times",
    "per-layer execution times": "layer_times",
    "per-subnet execution times": "subnet_times",
}
_VALUE = re.compile(rf"^(.+?):\s*({NUMBER})(?:\s+(\w+))?\s*$")
_LAYER = re.compile(rf"^(\d+):\s+(?:(.*?)\s+:\s+)?({NUMBER})\s+(\w+)(?:\s*:\s*(\w+))?\s*$")
_SUBNET = re.compile(rf"^Subnet (\d+)\s*(?:\((\w+)\))?\s*:\s*({NUMBER})\s+(\w+)\s*$")
_HEADER = {
    "log file created": "log_file_created",
    "time scale": "time_scale",
    "software library version": "software_library_version",
}
_CREATE_NETWORK = re.compile(r"^CREATE NETWORK: (\d+)\s*$")
_ELISION = re.compile(r"^(?:\.{2,}|…)$")
_UNIT_SUFFIX = {"cycles": "_cycles"}
_TO_US = {"us": 1, "microseconds": 1, "ms": 1000, "s": 1_000_000}


class TimedItem(ParsedModel):
    """One layer or subnet time in the unit the runtime reports it in (`us`, or `cycles` on DSP)."""

    index: int
    name: str | None
    value: int | float
    unit: str
    runtime: str | None


class SnpeDiagviewReport(ParsedModel):
    software_library_version: str | None
    log_file_created: str | None
    time_scale: float | None
    create_network_us: int | None
    create: dict[str, int | float | None]
    execute_average: dict[str, int | float | None]
    other_sections: dict[str, dict[str, int | float | None]]
    subnet_times: list[TimedItem]
    layer_times: list[TimedItem]
    layer_list_elided: bool


class SnpeThroughputThread(ParsedModel):
    thread: int
    runtime: str
    infs_per_sec: float
    images_processed: int | None
    build_time_us: int | None
    elapsed_time_us: int | None
    real_time_us: int | None
    teardown_time_us: int | None
    batch: int | None


class SnpeThroughputReport(ParsedModel):
    threads: list[SnpeThroughputThread]
    total_throughput_infs_per_sec: float | None


def parse_snpe_diagview(text: str) -> SnpeDiagviewReport:
    """The statistics and layer times of one snpe-diagview run. Raises ParseError when no section is found."""
    header: dict[str, str] = {}
    sections: dict[str, dict[str, int | float | None]] = {}
    items: dict[str, list[TimedItem]] = {"layer_times": [], "subnet_times": []}
    current: str | None = None
    create_network: int | None = None
    elided = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line or set(line) == {"-"}:
            continue
        if line.endswith(":") and _section_key(line[:-1]):
            current = _section_key(line[:-1])
            continue
        if _ELISION.match(line):
            elided = elided or current in items
            continue
        if current is None:
            if found := _CREATE_NETWORK.match(line):
                create_network = int(found.group(1))
            label, _, rest = line.partition(":")
            if label.strip().lower() in _HEADER:
                header[_HEADER[label.strip().lower()]] = rest.strip()
        elif current in items:
            if item := _timed_item(line):
                items[current].append(item)
        elif found := _VALUE.match(line):
            key, value = _stat(found.group(1), found.group(2), found.group(3))
            sections.setdefault(current, {})[key] = value
    if not sections and not any(items.values()):
        raise not_recognised(
            "snpe-diagview",
            "`SNPE Create Statistics:` / `SNPE Execute Statistics (Averaged):` (or the older "
            "`Dnn Runtime Load/Deserialize/Create/De-Init Statistics:` / `Average SNPE Statistics:`) "
            "followed by `Key: N us` lines",
        )
    scale = header.get("time_scale")
    return SnpeDiagviewReport(
        software_library_version=header.get("software_library_version"),
        log_file_created=header.get("log_file_created"),
        time_scale=float(scale) if scale and re.fullmatch(NUMBER, scale) else None,
        create_network_us=create_network,
        create=sections.pop("create", {}),
        execute_average=sections.pop("execute_average", {}),
        other_sections=sections,
        subnet_times=items["subnet_times"],
        layer_times=items["layer_times"],
        layer_list_elided=elided,
    )


def _section_key(title: str) -> str | None:
    title = title.strip().lower()
    if title in _SECTIONS:
        return _SECTIONS[title]
    # Titles seen in other releases, e.g. `Per-Layer Execution Times (Averaged)`.
    if "time" in title and ("layer" in title or "subnet" in title):
        return "layer_times" if "layer" in title else "subnet_times"
    return snake(title) if title.endswith("statistics") else None


def _stat(label: str, value: str, unit: str | None) -> tuple[str, int | float | None]:
    """(key, value) of one statistic. The key does not depend on the unit the figure was printed in: times
    are converted to microseconds (`_us`); cycles keep `_cycles` (no clock to convert them by). Unit `NONE`
    means the runtime did not measure that figure: None under the `_us` key it has when measured, whatever
    the label (`Load: 0 NONE` is no load time of 0). A bare number is a count, unless its label is a time."""
    key = snake(label)
    if unit is None:
        return (f"{key}_us", None) if key.endswith("time") else (key, number(value))
    name = unit.lower()
    if name == "none":
        return f"{key}_us", None
    if name in _TO_US:
        figure = number(value) * _TO_US[name]
        return f"{key}_us", int(figure) if float(figure).is_integer() else figure
    return key + _UNIT_SUFFIX.get(name, "_" + snake(unit)), number(value)


def _timed_item(line: str) -> TimedItem | None:
    found = _LAYER.match(line) or _SUBNET.match(line)
    if found is None:
        return None
    index, name, value, unit, runtime = found.groups() if found.re is _LAYER else _subnet(found)
    return TimedItem(index=int(index), name=name, value=number(value), unit=unit.lower(), runtime=runtime)


def _subnet(found: re.Match[str]) -> tuple[str, str | None, str, str, str | None]:
    index, runtime, value, unit = found.groups()
    return index, None, value, unit, runtime


_THREAD = re.compile(rf"^\[Thread (\d+) - ([^\]]+)\]\s+({NUMBER}) infs/sec(.*)$")
_TOTAL = re.compile(rf"^Total throughput: ({NUMBER}) infs/sec")
_THREAD_FIELDS = {
    "number of images processed": "images_processed",
    "build time": "build_time_us",
    "elapsed time": "elapsed_time_us",
    "real time": "real_time_us",
    "teardown time": "teardown_time_us",
    "batch": "batch",
}


def parse_snpe_throughput(text: str) -> SnpeThroughputReport:
    """Per-thread and total rate of snpe-throughput-net-run. Raises ParseError when neither is found."""
    threads: list[SnpeThroughputThread] = []
    total: float | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if found := _THREAD.match(line):
            threads.append(_thread(found))
        elif found := _TOTAL.match(line):
            total = float(found.group(1))
    if not threads and total is None:
        raise not_recognised(
            "snpe-throughput-net-run",
            "per-thread `Thread N - runtime` lines with `X infs/sec`, or `Total throughput: X infs/sec`",
        )
    return SnpeThroughputReport(threads=threads, total_throughput_infs_per_sec=total)


def _thread(found: re.Match[str]) -> SnpeThroughputThread:
    fields: dict[str, int | None] = dict.fromkeys(_THREAD_FIELDS.values())
    for part in found.group(4).split(" - "):
        label, _, rest = part.partition(":")
        key = _THREAD_FIELDS.get(label.strip().lower())
        value = re.match(r"\s*(\d+)\s*(\w*)", rest)
        if key and value:
            # Times are printed in `microseconds`; a different unit would make the `_us` key a lie.
            if key.endswith("_us") and value.group(2) not in ("microseconds", "us"):
                continue
            fields[key] = int(value.group(1))
    return SnpeThroughputThread(
        thread=int(found.group(1)),
        runtime=found.group(2).strip(),
        infs_per_sec=float(found.group(3)),
        **fields,
    )
