"""`hil boards check` as a first-board doctor: what hil found on a connected board, and each problem with
its fix, before any run touches it.

Areas, each `ok`, `problem` (a run would fail or measure wrongly: fix it) or `note` (works, but know it):

- toolchain: the converter and its version (trtexec, snpe-net-run, TIDL tools);
- python: the board's Python and the harness's modules at the versions it needs (the pre-flight rules);
- build host: tools the vendor supports only on an x86_64 host (SNPE's converters and snpe-diagview, TIDL
  compilation) that run on this board today because the inventory names no build_host for it;
- power: the rails the board's power source shows and which one hil takes as the total (Orin: VDD_IN,
  else POM_5V_IN, else the sum of the rails; TDA4VM: the INA226 channels summed);
- clocks: the CPU governor and clock caps; thermal: the hottest zone and any throttle; disk: free space.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from hil.errors import HilError
from hil.parsers.hwmon import parse_hwmon
from hil.parsers.tegrastats import parse_tegrastats
from hil.parsers.thermal import ThermalReport
from hil.platforms import board_python
from hil.platforms.orin import TOTAL_RAILS
from hil.platforms.thermal import read_thermal
from hil.runs.target import BoardTarget
from hil.transport.ssh import BoardConnection

RAILS_TIMEOUT_S = 15.0
MIN_FREE_MB = 2048
HOST_ONLY: dict[str, str] = {
    "qcs8255": "SNPE's snpe-onnx-to-dlc, snpe-dlc-quant, snpe-dlc-graph-prepare and snpe-diagview (Qualcomm "
    "ships them for x86_64 Linux hosts only)",
    "tda4vm": "TIDL model compilation (TI supports it on an x86_64 PC only; its examples exit on aarch64)",
}
RAILS_COMMAND: dict[str, str] = {
    "orin": "timeout 5 tegrastats --interval 500 2>/dev/null | head -n 1",
    "tda4vm": 'grep -H . "${HIL_BOARD_ROOT:-}"/sys/class/hwmon/hwmon*/name '
    '"${HIL_BOARD_ROOT:-}"/sys/class/hwmon/hwmon*/power*_input 2>/dev/null',
}


@dataclass(frozen=True)
class Finding:
    area: str
    status: str  # ok | problem | note
    detail: str
    fix: str = ""


def _python(target: BoardTarget, facts: dict[str, str]) -> list[Finding]:
    found = board_python.summary(facts)
    have = ", ".join(f"{k} {v}" for k, v in found.items() if v and k != "python")
    problems = board_python.problems(target.platform.key, facts)
    head = Finding("python", "problem" if problems else "ok", f"Python {found.get('python') or '?'}; {have}")
    fixes = [Finding("python", "problem", p.partition("; install: ")[0], p.partition("; install: ")[2])
             for p in problems]  # fmt: skip
    return [head, *fixes]


def _toolchain(target: BoardTarget, facts: dict[str, str]) -> Finding:
    version = target.platform.converter_version(facts)
    if version is None:
        return Finding("toolchain", "problem", f"no {target.platform.key} converter version found",
                       "install the vendor toolchain, or name a build_host in the inventory")  # fmt: skip
    return Finding("toolchain", "ok", f"{target.platform.key} converter {version}")


def _build_host(target: BoardTarget) -> list[Finding]:
    host_only = HOST_ONLY.get(target.platform.key)
    if host_only is None:
        return []
    if target.build_host is not None:
        return [Finding("build host", "ok", f"converts on {target.build_host.name}")]
    return [Finding("build host", "problem", f"no build_host: {host_only} (hil run refuses this board)",
                    "name an x86_64 build_host with the SDK for this board in the inventory")]  # fmt: skip


def _power(target: BoardTarget, conn: BoardConnection) -> list[Finding]:
    command = RAILS_COMMAND.get(target.platform.key)
    if command is None:
        return [Finding("power", "note", f"{target.platform.key}: power comes from the inventory's source")]
    try:
        text = conn.run_script(command, RAILS_TIMEOUT_S).stdout
        if target.platform.key == "orin":
            [sample, *_] = parse_tegrastats(text).samples
            rails = list(sample.rails)
            total = next((r for r in TOTAL_RAILS if r in rails), None)
            how = f"total = {total}" if total else "no input rail: total = the sum of the rails"
        else:
            devices = parse_hwmon(text).devices
            rails = [f"{d.name or d.path}/{c.label or c.index}" for d in devices for c in d.channels]
            how = "total = the sum of the INA226 channels"
    except (HilError, ValueError) as exc:
        return [Finding("power", "problem", f"no power rails read: {exc}", "check the power source's tool")]
    if not rails:
        return [
            Finding("power", "problem", "the power source shows no rail", "check the board's INA monitors")
        ]
    return [Finding("power", "ok", f"rails {', '.join(rails)}; {how}")]


def _thermal(report: ThermalReport | None) -> list[Finding]:
    if report is None:
        return [Finding("thermal", "note", "no thermal zones or cpufreq files readable")]
    governors = sorted({p.governor for p in report.cpu if p.governor})
    if not governors:
        hottest = report.hottest()
        temp = "no temperature readable" if hottest is None else f"hottest {hottest.temp_c:g} °C"
        return [Finding("clocks", "note", "no cpufreq governor readable"), Finding("thermal", "note", temp)]
    caps = [p for p in report.cpu if p.max_mhz and p.hw_max_mhz and p.max_mhz < p.hw_max_mhz]
    clocks = Finding(
        "clocks",
        "note" if caps or "performance" not in governors else "ok",
        f"governor {', '.join(governors) or '?'}"
        + (f"; CPU capped below its maximum on {len(caps)} policy(ies)" if caps else ""),
        "fix the clocks for stable numbers (Orin: sudo jetson_clocks; else the performance governor)"
        if caps or "performance" not in governors
        else "",
    )
    hottest = report.hottest()
    temp = (
        ""
        if hottest is None or hottest.temp_c is None
        else f"hottest {hottest.temp_c:g} °C ({hottest.name or hottest.index})"
    )
    return [clocks, Finding("thermal", "ok" if temp else "note", temp or "no temperature readable")]


def _disk(facts: dict[str, str]) -> Finding:
    free = facts.get("disk_free_mb", "")
    if not free.isdigit():
        return Finding("disk", "note", "free space not readable")
    if int(free) < MIN_FREE_MB:  # pre-flight checks what each run needs; this is a warning
        return Finding("disk", "note", f"{free} MB free in the home folder",
                       f"free at least {MIN_FREE_MB} MB for engines and clips")  # fmt: skip
    return Finding("disk", "ok", f"{free} MB free")


def diagnose(target: BoardTarget, conn: BoardConnection, facts: dict[str, str]) -> list[Finding]:
    """Every finding for one connected board (its facts already read)."""
    facts = board_python.probe(conn, facts)
    findings = [_toolchain(target, facts), *_python(target, facts), *_build_host(target)]
    findings += _power(target, conn)
    findings += _thermal(read_thermal(facts.get("thermal", "")))
    findings.append(_disk(facts))
    return findings


def as_json(findings: list[Finding]) -> list[dict[str, str]]:
    return [asdict(f) for f in findings]


def dumps(rows: object) -> str:
    return json.dumps(rows, indent=2, ensure_ascii=False)
