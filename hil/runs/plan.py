"""What a run will do before it starts: the jobs, the precisions a board does not offer, nothing to do.

A precision the user named that a board does not offer becomes a `skipped` result with the reason (the
default, every precision each board offers, skips nothing). A run with no job at all is a ConfigError
(exit 2) that says why, raised before anything is stored.
"""

from __future__ import annotations

from hil.errors import ConfigError
from hil.records import JobResult
from hil.runs.job import plan_jobs
from hil.runs.suite import Suite
from hil.runs.target import BoardTarget


def unoffered(targets: list[BoardTarget], suite: Suite) -> list[JobResult]:
    """`skipped` results for each named precision a selected board does not offer."""
    if not suite.named_precisions:
        return []
    rows: list[JobResult] = []
    for target in targets:
        offered = target.platform.precisions
        for model in suite.models:
            for precision in suite.precisions:
                if precision not in model.variants or precision in offered:
                    continue
                reason = f"{target.platform.key} does not offer {precision} (it offers {', '.join(offered)})"
                hint = target.platform.precision_hints.get(precision)
                reason += f": {hint}" if hint else ""
                rows += [
                    JobResult(
                        board=target.name,
                        platform=target.platform.key,
                        model=model.name,
                        precision=precision,
                        clip=clip.name,
                        status="skipped",
                        stage="plan",
                        error=reason,
                    )
                    for clip in suite.clips
                ]
    return rows


def check_work(targets: list[BoardTarget], suite: Suite) -> int:
    """The number of jobs the run will do; a ConfigError naming why when there is none."""
    jobs = sum(len(plan_jobs(t, suite)) for t in targets)
    if jobs:
        return jobs
    if not targets:
        raise ConfigError("nothing to test: no board is selected", hint="check --where and the inventory")
    reasons = [*suite.skipped, *dict.fromkeys(r.error or "" for r in unoffered(targets, suite))]
    platforms = ", ".join(sorted({f"{t.platform.key} ({'/'.join(t.platform.precisions)})" for t in targets}))
    detail = "; ".join(r for r in reasons if r) or f"the selected boards offer: {platforms}"
    raise ConfigError(
        f"nothing to test: {detail}",
        hint=f"choose precisions the boards offer ({platforms}) or other boards with --where",
    )
