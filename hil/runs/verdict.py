"""The regression verdict at the end of a run: each result judged against its last K comparable results.

`judge_results` reads what the run recorded, asks hil.store.baseline for each result's history, applies
hil.measure.regression, stores the verdict (and status `regression` where a passing result regressed), and
returns the results with `regressions` and `regression_flags` filled.

Thresholds can be set for a run with HIL_REGRESSION, e.g. `HIL_REGRESSION="k=10,latency_ratio=1.2"`; the
names are the fields of hil.measure.regression.Thresholds.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from hil.errors import ConfigError
from hil.measure.regression import Judgement, Thresholds, judge
from hil.records import JobResult
from hil.store.baseline import baseline_rows, observation, result_rows
from hil.store.db import Store

ENV = "HIL_REGRESSION"


def thresholds_from_env(text: str | None = None) -> Thresholds:
    """Thresholds from `HIL_REGRESSION` (NAME=VALUE, comma-separated); the defaults where unset."""
    text = os.environ.get(ENV, "") if text is None else text
    fields = {f.name: f.type for f in dataclasses.fields(Thresholds)}
    values: dict[str, Any] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, value = item.partition("=")
        name = name.strip()
        if name not in fields:
            raise ConfigError(
                f"{ENV}: unknown threshold {name!r}", hint=f"known: {', '.join(sorted(fields))}"
            )
        try:
            values[name] = int(value) if fields[name] in (int, "int") else float(value)
        except ValueError as exc:
            raise ConfigError(f"{ENV}: {name}={value!r} is not a number", hint=f"e.g. {ENV}=k=5") from exc
    return Thresholds(**values)


def verdict_json(judgement: Judgement) -> dict[str, Any]:
    return {
        "outcome": judgement.outcome,
        "flags": judgement.flags,
        "suspect": judgement.suspect,
        "baseline_ids": judgement.baseline_ids,
        "checks": [dataclasses.asdict(c) for c in judgement.checks],
        "regressions": [r.model_dump() for r in judgement.regressions],
    }


def judge_row(store: Store, row: dict[str, Any], thresholds: Thresholds) -> Judgement:
    """The verdict of one stored result (a row of hil.store.baseline's columns)."""
    history = baseline_rows(store, row, thresholds.k)
    return judge(observation(row), [observation(r) for r in history], thresholds)


def judge_results(
    store: Store, run_id: str, results: list[JobResult], thresholds: Thresholds | None = None
) -> list[JobResult]:
    """Judge every finished result of run `run_id`; return `results` with their verdicts applied."""
    thresholds = thresholds or thresholds_from_env()
    rows = result_rows(store, store.result_ids(run_id))
    by_key = {(r["board"], r["model"], r["precision"], r["clip"]): r for r in rows}
    judged: list[JobResult] = []
    for result in results:
        row = by_key.get((result.board, result.model, result.precision, result.clip))
        if row is None or result.status not in ("pass", "fail"):
            judged.append(result)
            continue
        judgement = judge_row(store, row, thresholds)
        regressed = judgement.outcome == "regression" and result.status == "pass"
        status = "regression" if regressed else result.status
        store.record_verdict(row["id"], status, verdict_json(judgement))
        judged.append(
            result.model_copy(
                update={
                    "status": status,
                    "regressions": judgement.regressions,
                    "regression_flags": judgement.flags,
                }
            )
        )
    return judged
