"""The KIND names of `hil parse`, their parsers, and the guess `auto` makes from the text itself."""

from __future__ import annotations

import re
from collections.abc import Callable

from pydantic import BaseModel

from hil.errors import ParseError
from hil.parsers.hwmon import parse_hwmon
from hil.parsers.qnn import parse_qnn_profile
from hil.parsers.snpe import parse_snpe_diagview, parse_snpe_throughput
from hil.parsers.tegrastats import parse_tegrastats
from hil.parsers.thermal import parse_thermal
from hil.parsers.ti_perf import parse_ti_perf
from hil.parsers.tidl import parse_tidl_log, parse_tidl_report
from hil.parsers.trtexec import parse_trtexec

PARSERS: dict[str, Callable[[str], BaseModel]] = {
    "trtexec": parse_trtexec,
    "tegrastats": parse_tegrastats,
    "snpe-diagview": parse_snpe_diagview,
    "snpe-throughput": parse_snpe_throughput,
    "qnn-profile": parse_qnn_profile,
    "tidl-log": parse_tidl_log,
    "tidl-report": parse_tidl_report,
    "ti-perf-stats": parse_ti_perf,
    "hwmon": parse_hwmon,
    "thermal": parse_thermal,
}
KINDS: tuple[str, ...] = tuple(PARSERS)

# Most specific first: each pattern is a line only that tool prints. A TIDL log can quote other tools'
# words, and a verbose trtexec log is long, so the checks look for whole distinctive lines, not words.
_SIGNATURES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("trtexec", re.compile(r"&&&& (?:RUNNING|PASSED|FAILED) TensorRT|=== Performance summary ===")),
    ("tegrastats", re.compile(r"\bRAM \d+/\d+[kMG]B\b.*\bCPU \[")),
    (
        "snpe-throughput",
        re.compile(r"^\s*(?:\[Thread \d+ - [^\]]+\]|Total throughput:) [\d.]+ infs/sec", re.M),
    ),
    (
        "snpe-diagview",
        re.compile(
            r"^\s*(?:SNPE Create Statistics|SNPE Execute Statistics|Average SNPE Statistics|Dnn Runtime)",
            re.M,
        ),
    ),
    ("qnn-profile", re.compile(r"Execute Stats \(|^\s*NetRun:\s+\d", re.M)),
    ("tidl-log", re.compile(r"^\s*Completed_Model\s*:|number of subgraphs", re.M | re.I)),
    ("ti-perf-stats", re.compile(r"^\s*CPU:\s*\S+:\s*TOTAL LOAD\s*=|^\s*HWA:\s*\S+:\s*LOAD\s*=", re.M)),
    ("tidl-report", re.compile(r"\A\ufeff?[^\n]*\b(?:model[_ ]id|artifact[_ ]name)\b[^\n]*,", re.I)),
    (
        "hwmon",
        re.compile(r"^\s*/\S*/(?:curr\d+_input|power\d+_input|in_current\d+_input|in_power\d+_input):", re.M),
    ),
    (
        "thermal",
        re.compile(
            r"^\s*\S*/sys/(?:class/thermal/thermal_zone|devices/system/cpu/|class/kgsl/|class/devfreq/)", re.M
        ),
    ),
)
# Legacy TensorRT 7 runs have no summary header; their block titles are enough.
_TRT7 = re.compile(r"\[I\] (?:Host Latency|GPU Compute)\s*$", re.M)


def detect_kind(text: str) -> str:
    """The KIND whose tool printed `text`. Raises ParseError when it looks like none of them."""
    for kind, signature in _SIGNATURES:
        if signature.search(text):
            return kind
    if _TRT7.search(text):
        return "trtexec"
    raise ParseError(
        "could not tell which tool printed this text: looked for trtexec `&&&&` lines, tegrastats "
        "`RAM` and `CPU` lines, SNPE/QNN statistics sections, TIDL `Completed_Model` lines, "
        "an edgeai-benchmark CSV header, TI perf_stats `CPU: mpu1_0: TOTAL LOAD =` lines, "
        "sysfs `.../curr1_input:` and `.../thermal_zone0/temp:` lines",
        hint=f"name the KIND instead of auto: one of {', '.join(KINDS)}",
    )


def parse(kind: str, text: str) -> BaseModel:
    """Parse `text` as `kind` (`auto` detects it). Raises ParseError for an unknown kind or text."""
    if kind == "auto":
        kind = detect_kind(text)
    parser = PARSERS.get(kind)
    if parser is None:
        raise ParseError(f"unknown KIND {kind!r}", hint=f"one of auto, {', '.join(KINDS)}")
    return parser(text)
