"""`hil store prune`: retention. Per-frame samples and logs of results older than N days are deleted; every
result's summary row (its figures, budgets and verdict) is kept for ever, and so are the samples of every
result that is still a baseline: the last `k` baseline-eligible results of each series (board, model,
precision, clip and environment fingerprint; see hil.store.baseline), which the next run of that series is
judged against. Whatever the age, a series' baseline keeps its frames.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hil.store.baseline import BASELINE_STATUSES

# The baseline of each series' next result: the newest k eligible results per series (same rules as
# hil.store.baseline.baseline_rows: pass or fail, not suspect, not noisy).
_IN_USE = """
SELECT id FROM (
    SELECT id, row_number() OVER (
        PARTITION BY board, coalesce(model_sha256, 'name:' || model), precision, clip, fingerprint
        ORDER BY created_at DESC, id DESC) AS newest
    FROM results
    WHERE status IN ({statuses}) AND NOT coalesce(json_extract(verdict, '$.suspect'), 0)
        AND NOT coalesce(noisy, 0)
) WHERE newest <= ?
"""


@dataclass
class PruneReport:
    cutoff: str
    dry_run: bool
    results_pruned: int = 0  # results whose samples and/or logs go
    packs: int = 0
    logs: int = 0
    bytes_freed: int = 0  # the compressed samples and logs deleted (the file shrinks by about this)
    baselines_kept: int = 0  # results older than the cutoff kept whole: still a baseline
    file_bytes_before: int = 0
    file_bytes_after: int | None = None
    ids: list[int] = field(default_factory=list)


def prune(conn: Any, path: Path, days: float, *, dry_run: bool, k: int = 5) -> PruneReport:
    """Delete the samples and logs of results created more than `days` ago that no series still uses as
    its baseline (the last `k` eligible results per series: the regression check's k, HIL_REGRESSION);
    VACUUM so the file shrinks. With `dry_run`, only say what would go."""
    if days < 0:
        raise ValueError("days must be >= 0")
    cutoff = (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="microseconds")
    report = PruneReport(cutoff=cutoff, dry_run=dry_run, file_bytes_before=os.path.getsize(path))
    statuses = ", ".join(f"'{s}'" for s in BASELINE_STATUSES)
    in_use = {row[0] for row in conn.execute(_IN_USE.format(statuses=statuses), [k]).fetchall()}
    old = conn.execute(
        "SELECT r.id, (SELECT count(*) FROM sample_packs p WHERE p.result_id = r.id), "
        "(SELECT coalesce(sum(length(total) + length(warmup) + length(frame) + length(decode) + "
        "length(preprocess) + length(infer) + length(postprocess) + length(predicted) + length(label) + "
        "coalesce(length(start_s), 0) + coalesce(length(end_s), 0) + coalesce(length(due_s), 0)), 0) "
        "FROM sample_packs p WHERE p.result_id = r.id), "
        "(SELECT count(*) FROM logs l WHERE l.result_id = r.id), "
        "(SELECT coalesce(sum(length(body) + length(command)), 0) FROM logs l WHERE l.result_id = r.id) "
        "FROM results r WHERE r.created_at < ? ORDER BY r.id",
        [cutoff],
    ).fetchall()
    for rid, packs, pack_bytes, logs, log_bytes in old:
        if not packs and not logs:
            continue
        if rid in in_use:
            report.baselines_kept += 1
            continue
        report.ids.append(rid)
        report.results_pruned += 1
        report.packs += packs
        report.logs += logs
        report.bytes_freed += pack_bytes + log_bytes
    if dry_run or not report.ids:
        return report
    with conn:
        for start in range(0, len(report.ids), 500):
            chunk = report.ids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            conn.execute(f"DELETE FROM sample_packs WHERE result_id IN ({marks})", chunk)
            conn.execute(f"DELETE FROM logs WHERE result_id IN ({marks})", chunk)
    conn.execute("VACUUM")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    report.file_bytes_after = os.path.getsize(path)
    return report
