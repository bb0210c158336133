"""Temperatures and throttling around one replay: read before and after it, and mark a result taken while
the board throttled as noisy (its latency measures the throttle, not the model).

The board's `thermal` fact command (hil.platforms.thermal) runs once right before the replay and once
right after it; `annotate` adds to the result's fingerprint the per-result state below, and sets
`noisy` / `noisy_reason` when either reading shows a throttle indicator (or over-current events happened
between the two). These state keys describe one result, not the board's identity: compare results
within a fingerprint *without* them (IDENTITY_IGNORES).
"""

from __future__ import annotations

from hil.errors import HilError
from hil.parsers.thermal import ThermalReport, throttle_reasons
from hil.platforms.base import BoardContext, Platform
from hil.platforms.thermal import read_thermal
from hil.records import JobResult

STATE_KEYS = ("temp_before_c", "temp_after_c", "cpu_mhz", "gpu_mhz", "accel_mhz", "throttled")
IDENTITY_IGNORES = STATE_KEYS
READ_TIMEOUT_S = 30.0


def read_state(ctx: BoardContext, platform: Platform) -> ThermalReport | None:
    """The board's thermal readings now; None when it shows none or cannot be read (never fails a job)."""
    command = platform.fact_commands().get("thermal")
    if not command:
        return None
    try:
        res = ctx.conn.run_script(command, READ_TIMEOUT_S)
    except HilError:
        return None  # a board that is gone is noticed by the replay's own error handling
    return read_thermal(res.stdout)


def annotate(result: JobResult, before: ThermalReport | None, after: ThermalReport | None) -> JobResult:
    """The result with its thermal state in the fingerprint, and noisy when the board throttled."""
    readings = [r for r in (before, after) if r is not None]
    if not readings:
        return result
    fingerprint = dict(result.fingerprint)
    for key, reading in (("temp_before_c", before), ("temp_after_c", after)):
        hottest = None if reading is None else reading.hottest()
        if hottest is not None and hottest.temp_c is not None:
            fingerprint[key] = f"{hottest.temp_c:g}"
    first = readings[0]
    cur = [p.cur_mhz for p in first.cpu if p.cur_mhz is not None]
    if cur:
        fingerprint["cpu_mhz"] = f"{max(cur):g}"
    if first.gpu_mhz is not None:
        fingerprint["gpu_mhz"] = f"{first.gpu_mhz:g}"
    if first.accel_mhz:
        fingerprint["accel_mhz"] = ",".join(f"{k}={v:g}" for k, v in sorted(first.accel_mhz.items()))
    reasons = throttle_reasons(readings)
    fingerprint["throttled"] = "yes" if reasons else "no"
    update: dict[str, object] = {"fingerprint": fingerprint}
    if reasons:
        update |= {"noisy": True, "noisy_reason": "board throttled during the replay: " + "; ".join(reasons)}
    return result.model_copy(update=update)
