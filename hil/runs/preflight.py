"""Pre-flight checks of a connected board before any job: toolchain present, the board's Python and the
harness's modules at the versions it needs (hil.platforms.board_python), free disk, temperature.

A board that fails one is not used for this run: its jobs end as `infra_error` with stage `preflight`
and the reason, which counts towards its quarantine like any infrastructure error.
"""

from __future__ import annotations

import shlex

from hil.errors import InfraError
from hil.platforms import board_python
from hil.platforms.base import BoardContext, Platform

MAX_TEMP_C = 95.0  # above this a board throttles; its numbers would not be its own
DISK_MARGIN = 1.5  # free space needed: what the jobs push, times this, plus engines and outputs
PREFLIGHT_TIMEOUT_S = 30.0


class PreflightError(InfraError):
    """A board that answers but must not be used now (no toolchain, disk full, too hot)."""


def preflight(ctx: BoardContext, platform: Platform, need_bytes: int, converts_here: bool) -> dict[str, str]:
    """Check the board; returns what was measured (free_kb, temp_c). Raises PreflightError."""
    facts = board_python.probe(ctx.conn, ctx.facts)  # the harness's modules, probed on the board now
    problems: list[str] = board_python.problems(platform.key, facts)
    if converts_here and platform.converter_version(ctx.facts) is None:
        problems.append(
            f"the {platform.key} toolchain is missing (no converter version in the board's facts)"
        )
    # The workdir may not exist yet: measure the nearest existing parent.
    where = shlex.quote(ctx.workdir)
    script = (
        f'p={where}; while [ ! -d "$p" ]; do p=$(dirname "$p"); done; '
        'echo "free_kb $(df -Pk "$p" | awk \'NR==2 {print $4}\')"; '
        'for z in "${HIL_BOARD_ROOT:-}"/sys/class/thermal/thermal_zone*/temp; do '
        '[ -r "$z" ] && echo "temp $(cat "$z")"; done; true'
    )
    res = ctx.conn.run_script(script, PREFLIGHT_TIMEOUT_S)
    measured: dict[str, str] = {}
    python = board_python.summary(facts).get("python")
    if python:
        measured["python"] = python
    temps: list[float] = []
    for line in res.stdout.splitlines():
        key, _, value = line.partition(" ")
        if key == "free_kb" and value.strip().isdigit():
            measured["free_kb"] = value.strip()
        elif key == "temp" and value.strip().lstrip("-").isdigit():
            temps.append(int(value) / 1000.0)  # sysfs: millidegrees
    need_kb = int(need_bytes * DISK_MARGIN / 1024) + 1
    if "free_kb" in measured and int(measured["free_kb"]) < need_kb:
        problems.append(f"only {int(measured['free_kb']) // 1024} MiB free under {ctx.workdir}, "
                        f"the jobs need about {need_kb // 1024 + 1} MiB")  # fmt: skip
    if temps:
        measured["temp_c"] = f"{max(temps):.1f}"
        if max(temps) > MAX_TEMP_C:
            problems.append(f"too hot: {max(temps):.1f} °C (above {MAX_TEMP_C:.0f} °C it throttles)")
    if problems:
        raise PreflightError(
            f"{ctx.name}: pre-flight check failed: " + "; ".join(problems),
            hint="fix the board as each problem says (install what it names, free disk, cool it), then run "
            "again; `hil boards check` lists every problem without running anything",
        )
    return measured
