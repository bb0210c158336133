"""`hil compare RUN_A RUN_B`: results matched by board x model x precision x clip, every metric's change
with its significance and verdict (the rules of hil.measure.regression with run A as a one-result
baseline), and the results only one run has."""

from __future__ import annotations

import dataclasses
from typing import Any

from hil.measure.regression import Thresholds, judge
from hil.store.baseline import fingerprint_change, observation, result_rows
from hil.store.reader import StoreReader

_KEY = ("board", "model", "precision", "clip")


def compare_runs(
    store: StoreReader, run_a: str, run_b: str, thresholds: Thresholds | None = None
) -> dict[str, Any]:
    """The comparison as the JSON document `hil compare --json` prints."""
    # One result is the whole baseline here: no minimum history, and no lookback (nothing to look back on).
    t = dataclasses.replace(thresholds or Thresholds(), min_baseline=1, k=1)
    rows_a = {tuple(r[k] for k in _KEY): r for r in result_rows(store, store.result_ids(run_a))}
    rows_b = {tuple(r[k] for k in _KEY): r for r in result_rows(store, store.result_ids(run_b))}
    matched = []
    for key in sorted(rows_a.keys() & rows_b.keys()):
        a, b = rows_a[key], rows_b[key]
        judgement = judge(observation(b), [observation(a)], t)
        matched.append(
            {
                "key": dict(zip(_KEY, key, strict=True)),
                "a": {"result_id": a["id"], "status": a["status"]},
                "b": {"result_id": b["id"], "status": b["status"]},
                "fingerprint_change": fingerprint_change(a["fingerprint"], b["fingerprint"]),
                "metrics": [dataclasses.asdict(c) for c in judgement.checks],
            }
        )
    return {
        "a": run_a,
        "b": run_b,
        "matched": matched,
        "unmatched": {
            "a": [dict(zip(_KEY, k, strict=True)) for k in sorted(rows_a.keys() - rows_b.keys())],
            "b": [dict(zip(_KEY, k, strict=True)) for k in sorted(rows_b.keys() - rows_a.keys())],
        },
    }
