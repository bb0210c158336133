"""Parse `qnn-profile-viewer` output (QNN SDK, from `qnn-net-run --profiling_level basic/detailed`).

The viewer prints sections `Init Stats`, `Compose Graphs Stats`, `Finalize Stats`, `De-Init Stats`,
`Execute Stats (Average)`, `Execute Stats (Overall)` (and `(Min)` / `(Max)` on some versions), each
with optional `Graph N (name):` groups and lines such as `NetRun:  2952 us`,
`Backend (RPC (execute) time): 2920 us`, `Backend (Number of HVX threads used): 4 count` and
`NetRun IPS:  214.8888 inf/sec`.

Each (section, graph) pair becomes one `QnnSection`; its `values` keys are the labels in snake_case
with the unit appended: `netrun_us`, `backend_rpc_execute_time_us`, `backend_number_of_hvx_threads_used`
(a count, no suffix), `netrun_ips` (already a rate). Dashed underlines, including pasted copies where they
were glued to the next header (`--- Init Stats:`), are ignored.
"""

from __future__ import annotations

import re

from hil.parsers.text import NUMBER, ParsedModel, not_recognised, number, snake

_SECTION = re.compile(r"^(.*\bStats(?: \([^)]*\))?):$")
_GRAPH = re.compile(r"^(Graph \d+.*):$")
_VALUE = re.compile(rf"^(.+?):\s+({NUMBER})(?:\s+(\S+))?$")
_HEADER = {"log file created": "log_file_created", "time scale": "time_scale"}
_UNIT_SUFFIX = {"us": "_us", "ms": "_ms", "s": "_s", "cycles": "_cycles", "bytes": "_bytes"}
_UNITLESS = {"count", "inf/sec"}  # counts, and IPS whose label already says it is a rate


class QnnSection(ParsedModel):
    key: str  # `init`, `compose_graphs`, `finalize`, `de_init`, `execute_average`, `execute_overall`, ...
    title: str  # as printed: `Execute Stats (Average)`
    graph: str | None  # `Graph 0 (model)` when the values belong to one graph
    values: dict[str, int | float]


class QnnProfileReport(ParsedModel):
    log_file_created: str | None
    time_scale: float | None
    sections: list[QnnSection]

    def value(self, section: str, key: str) -> int | float | None:
        """The first `key` in a section called `section` (e.g. `execute_average`, `netrun_us`), or None."""
        for item in self.sections:
            if item.key == section and key in item.values:
                return item.values[key]
        return None


def parse_qnn_profile(text: str) -> QnnProfileReport:
    """Every section of a qnn-profile-viewer report. Raises ParseError when there is none with values."""
    header: dict[str, str] = {}
    sections: list[QnnSection] = []
    current: QnnSection | None = None
    for raw in text.splitlines():
        line = raw.strip().lstrip("-").strip()
        if not line:
            continue
        if found := _SECTION.match(line):
            current = QnnSection(
                key=_section_key(found.group(1)), title=found.group(1), graph=None, values={}
            )
            sections.append(current)
        elif (found := _GRAPH.match(line)) and current is not None:
            if current.values or current.graph is not None:
                current = QnnSection(key=current.key, title=current.title, graph=None, values={})
                sections.append(current)
            current.graph = found.group(1)
        elif (found := _VALUE.match(line)) and current is not None:
            key = _value_key(found.group(1), found.group(3))
            current.values[key] = number(found.group(2))
        elif current is None:
            label, _, value = line.partition(":")
            if label.strip().lower() in _HEADER:
                header[_HEADER[label.strip().lower()]] = value.strip()
    sections = [section for section in sections if section.values]
    if not sections:
        raise not_recognised(
            "qnn-profile-viewer", "sections such as `Execute Stats (Average):` with `NetRun: N us` lines"
        )
    scale = header.get("time_scale")
    return QnnProfileReport(
        log_file_created=header.get("log_file_created"),
        time_scale=float(scale) if scale and re.fullmatch(NUMBER, scale) else None,
        sections=sections,
    )


def _section_key(title: str) -> str:
    """`Execute Stats (Average)` -> `execute_average`, `De-Init Stats` -> `de_init`."""
    return snake(re.sub(r"\bStats\b", "", title))


def _value_key(label: str, unit: str | None) -> str:
    # `Backend (RPC (execute) time)` -> `backend_rpc_execute_time`; a trailing remark in brackets is
    # dropped: `NetRun IPS (includes IO and misc. time)` -> `netrun_ips`.
    backend = re.fullmatch(r"Backend \((.*)\)", label.strip())
    key = "backend_" + snake(backend.group(1)) if backend else snake(re.sub(r"\s*\(.*\)$", "", label))
    if unit is None or unit in _UNITLESS:
        return key
    return key + _UNIT_SUFFIX.get(unit, "_" + snake(unit))
