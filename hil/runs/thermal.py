"""Temperatures and throttling around one replay: read before and after it, and mark a result taken while
the board throttled as noisy (its latency measures the throttle, not the model).

The board's `thermal` fact command (hil.platforms.thermal) runs once right before the replay and once
right after it. What comes of the two readings:

- `annotate`: `noisy` / `noisy_reason` on the result when either reading shows a throttle indicator (or
  over-current events happened between them);
- `state_facts`: the board's facts gain `temp_before_c`, `temp_after_c` (hottest zone, °C), the clocks of
  the first reading (`cpu_mhz`, `gpu_mhz`, `accel_mhz`) and `throttled` (`no`, or `yes: ` and the reasons):
  the board's latest state, stored with its facts;
- `state_log`: both raw readings, kept with the result as its `thermal` log (`hil show --log thermal`).

The result's fingerprint keeps only identity facts (versions, power mode, clock caps): a per-replay state
such as a temperature there would make every result its own fingerprint.
"""

from __future__ import annotations

from dataclasses import dataclass

from hil.errors import HilError
from hil.parsers.thermal import ThermalReport, throttle_reasons
from hil.platforms.base import BoardContext, Platform
from hil.platforms.thermal import read_thermal
from hil.records import JobResult
from hil.store.rows import JobLog

STATE_KEYS = ("temp_before_c", "temp_after_c", "cpu_mhz", "gpu_mhz", "accel_mhz", "throttled")
READ_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Reading:
    command: str
    text: str
    report: ThermalReport | None  # None: the board shows none of the files


def read_state(ctx: BoardContext, platform: Platform) -> Reading | None:
    """The board's thermal readings now; None when they cannot be read (this never fails a job)."""
    command = platform.fact_commands().get("thermal")
    if not command:
        return None
    try:
        res = ctx.conn.run_script(command, READ_TIMEOUT_S)
    except HilError:
        return None  # a board that is gone is noticed by the replay's own error handling
    return Reading(command, res.stdout, read_thermal(res.stdout))


def _reports(*readings: Reading | None) -> list[ThermalReport]:
    return [r.report for r in readings if r is not None and r.report is not None]


def annotate(result: JobResult, before: Reading | None, after: Reading | None) -> JobResult:
    """The result, noisy with the reasons when the board throttled around its replay."""
    reasons = throttle_reasons(_reports(before, after))
    if not reasons:
        return result
    return result.model_copy(
        update={"noisy": True, "noisy_reason": "board throttled during the replay: " + "; ".join(reasons)}
    )


def state_facts(before: Reading | None, after: Reading | None) -> dict[str, str]:
    """The board's thermal state around the replay as facts (see STATE_KEYS); {} without readings."""
    reports = _reports(before, after)
    if not reports:
        return {}
    facts: dict[str, str] = {}
    for key, reading in (("temp_before_c", before), ("temp_after_c", after)):
        hottest = None if reading is None or reading.report is None else reading.report.hottest()
        facts[key] = "" if hottest is None or hottest.temp_c is None else f"{hottest.temp_c:g}"
    first = reports[0]
    cur = [p.cur_mhz for p in first.cpu if p.cur_mhz is not None]
    facts["cpu_mhz"] = f"{max(cur):g}" if cur else ""
    facts["gpu_mhz"] = "" if first.gpu_mhz is None else f"{first.gpu_mhz:g}"
    facts["accel_mhz"] = ",".join(f"{k}={v:g}" for k, v in sorted(first.accel_mhz.items()))
    reasons = throttle_reasons(reports)
    facts["throttled"] = ("yes: " + "; ".join(reasons)) if reasons else "no"
    return facts


def state_log(before: Reading | None, after: Reading | None) -> list[JobLog]:
    """Both raw readings as one `thermal` log of the result ([] when neither was read)."""
    parts = [(label, r) for label, r in (("before", before), ("after", after)) if r is not None]
    if not parts:
        return []
    text = "\n".join(f"# {label} the replay\n{r.text.rstrip()}" for label, r in parts)
    return [JobLog(kind="thermal", command=parts[0][1].command, text=text)]
