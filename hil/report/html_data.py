"""What `hil report html` shows, gathered from the store as plain JSON-able data (hil/report/html_page.py
renders it): the run's header, one entry per result with every figure, its budgets, regression checks,
commands and logs, the series' history over the last N runs, per-board compression figures, the sample
distributions behind each regression and the power traces of each result.

Everything here is computed from the store alone, so a report can be written for any stored run, later.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from typing import Any

from hil.errors import ConfigError, HilError
from hil.measure.headline import headline_of
from hil.records import JobResult
from hil.report.detail import result_rows
from hil.store.codec import decode_text
from hil.store.reader import StoreReader
from hil.store.rows import row_result
from hil.store.samples import measured_totals

LOG_TAIL_LINES = 40  # of each log, in the page (hil show RUN --logs has every line)
LOG_TAIL_CHARS = 4000
TRACE_POINTS = 240  # a power trace is thinned to at most this many points
DIST_SAMPLES = 2000  # frames per distribution, evenly thinned beyond
PRECISION_ORDER = {"fp32": 0, "fp16": 1, "int16": 1, "int8": 2}
EXIT_CODES = {"pass": 0, "skipped": 0, "fail": 1, "regression": 1, "infra_error": 3}


def _plain(cell: object) -> str:
    return getattr(cell, "plain", None) or str(cell)


def _label(platform: str, precision: str) -> str:
    from hil.platforms import get

    try:
        return get(platform).precision_label(precision)
    except ConfigError:
        return precision


def _tail(text: str) -> tuple[str, bool]:
    lines = text.splitlines()
    cut = lines[-LOG_TAIL_LINES:]
    shown = "\n".join(cut)[-LOG_TAIL_CHARS:]
    return shown, len(cut) < len(lines) or len(shown) < len("\n".join(cut))


def _thin(values: list[Any], most: int) -> list[Any]:
    if len(values) <= most:
        return values
    step = len(values) / most
    return [values[int(i * step)] for i in range(most)]


def _headline(row: dict[str, Any]) -> dict[str, Any]:
    metrics = json.loads(row["task_metrics"]) if row.get("task_metrics") else None
    h = headline_of(row.get("task"), row.get("accuracy"), metrics)
    return {"label": h.label, "value": h.value, "higher_is_better": h.higher_is_better}


def _power_trace(platform: str, source: str | None, command: str, text: str) -> list[list[float]] | None:
    """[[seconds from the first sample, watts], ...] of a power log, or None where it does not parse."""
    from hil.platforms import get
    from hil.platforms.base import PowerPlan

    if source is None:
        return None
    try:
        plan = PowerPlan(start="", stop="", log_path="", source=source, interval_s=0.1, command=command)  # type: ignore[arg-type]
        samples = get(platform).read_power(plan, text).samples
    except (HilError, ValueError):
        return None
    if not samples:
        return None
    t0 = samples[0][0]
    return [[round(t - t0, 3), round(mw / 1000.0, 4)] for t, mw in _thin(samples, TRACE_POINTS)]


def _result(row: dict[str, Any], logs: list[dict[str, Any]], index: int) -> dict[str, Any]:
    r: JobResult = row_result(row)
    verdict = json.loads(row["verdict"]) if row.get("verdict") else None
    entry: dict[str, Any] = {
        "id": row["id"], "index": index, "board": r.board, "platform": r.platform, "model": r.model,
        "precision": r.precision, "label": _label(r.platform, r.precision), "clip": r.clip,
        "status": r.status, "stage": r.stage, "error": r.error, "noisy": r.noisy,
        "noisy_reason": r.noisy_reason,
        "p50": r.latency_ms.p50 if r.latency_ms else None, "p99": r.latency_ms.p99 if r.latency_ms else None,
        "headline": _headline(row), "power_w": r.power_w, "power_source": r.power_source,
        "modelled": r.power_source == "sim-model", "memory_mb": r.memory_peak_mb,
        "engine_bytes": r.engine_bytes,
        "idle_power_w": r.idle_power_w, "active_power_w": r.active_power_w,
        "figures": [[label, _plain(cell)] for label, cell in result_rows(r)],
        "budget_profile": r.budget_profile, "budget_notes": r.budget_notes,
        "budgets": {k: v for k, v in r.budgets.model_dump().items()},
        "verdict": verdict, "logs": [], "trace": None, "dist": None,
    }  # fmt: skip
    for log in logs:
        text = decode_text(log["body"])
        shown, cut = _tail(text)
        entry["logs"].append({"kind": log["kind"], "command": log["command"], "text": shown, "cut": cut,
                              "lines": text.count("\n") + 1})  # fmt: skip
        if log["kind"] == "power" and entry["trace"] is None:
            entry["trace"] = _power_trace(r.platform, r.power_source, log["command"], text)
    return entry


def _dist(store: StoreReader, entry: dict[str, Any]) -> dict[str, Any] | None:
    """The measured end-to-end times of a regressed result and of its baseline results (pooled)."""
    verdict = entry["verdict"] or {}
    ids = [entry["id"], *(verdict.get("baseline_ids") or [])]
    marks = ", ".join("?" * len(ids))
    packs = {
        row["result_id"]: measured_totals(row["total"], row["warmup"])
        for row in store.query(
            f"SELECT result_id, total, warmup FROM sample_packs WHERE result_id IN ({marks})", ids
        )
    }
    if entry["id"] not in packs:
        return None
    baseline = [t for rid in ids[1:] for t in packs.get(rid, [])]
    return {
        "result": _thin(sorted(packs[entry["id"]]), DIST_SAMPLES),
        "baseline": _thin(sorted(baseline), DIST_SAMPLES),
        "baseline_ids": ids[1:],
        "baseline_missing": [rid for rid in ids[1:] if rid not in packs],  # pruned, or never had frames
    }


_HISTORY = (
    "SELECT id, run_id, created_at, status, lat_p50, lat_p99, accuracy, task, task_metrics, noisy, verdict "
    "FROM results WHERE board = ? AND model = ? AND precision = ? AND clip = ? AND "
    "(created_at < ? OR (created_at = ? AND id <= ?)) ORDER BY created_at DESC, id DESC LIMIT ?"
)


def _history(store: StoreReader, entry: dict[str, Any], created_at: str, last: int) -> dict[str, Any]:
    key = [entry["board"], entry["model"], entry["precision"], entry["clip"]]
    rows = list(reversed(store.query(_HISTORY, [*key, created_at, created_at, entry["id"], last])))
    points = []
    for row in rows:
        verdict = json.loads(row["verdict"]) if row["verdict"] else {}
        points.append({
            "id": row["id"], "run_id": row["run_id"], "at": row["created_at"][:16].replace("T", " "),
            "p50": row["lat_p50"], "p99": row["lat_p99"], "acc": _headline(row)["value"],
            "status": row["status"], "noisy": bool(row["noisy"]) or bool(verdict.get("suspect"))
            or any(str(f).startswith("noisy") for f in verdict.get("flags", [])),
        })  # fmt: skip
    baseline = set((entry["verdict"] or {}).get("baseline_ids") or [])
    return {"points": points, "baseline": [i for i, p in enumerate(points) if p["id"] in baseline]}


def _compression(entries: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Per board, per model and precision: engine size, median p50 over clips, peak memory, mean power,
    the headline figure (mean over clips) and its change against the same model's fp32 on that board."""
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for e in entries:
        groups[(e["board"], e["model"], e["precision"])].append(e)

    def mean(values: list[float | None]) -> float | None:
        known = [v for v in values if v is not None]
        return statistics.fmean(known) if known else None

    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for (board, model, precision), members in sorted(
        groups.items(), key=lambda kv: (kv[0][0], kv[0][1], PRECISION_ORDER.get(kv[0][2], 9), kv[0][2])
    ):
        p50s = [m["p50"] for m in members if m["p50"] is not None]
        sizes = [m["engine_bytes"] for m in members if m["engine_bytes"]]
        mems = [m["memory_mb"] for m in members if m["memory_mb"] is not None]
        rows[board].append({
            "model": model, "precision": precision, "label": members[0]["label"],
            "engine_bytes": max(sizes) if sizes else None, "p50": statistics.median(p50s) if p50s else None,
            "memory_mb": max(mems) if mems else None, "power_w": mean([m["power_w"] for m in members]),
            "modelled": any(m["modelled"] for m in members), "headline": members[0]["headline"]["label"],
            "higher_is_better": members[0]["headline"]["higher_is_better"],
            "value": mean([m["headline"]["value"] for m in members]), "results": len(members),
        })  # fmt: skip
    for board_rows in rows.values():
        for row in board_rows:
            base = next(
                (b for b in board_rows if b["model"] == row["model"] and b["precision"] == "fp32"), None
            )
            row["delta"] = (
                None if base is None or base["value"] is None or row["value"] is None
                else row["value"] - base["value"]
            )  # fmt: skip
            row["speedup"] = (
                None if base is None or not base["p50"] or not row["p50"] else base["p50"] / row["p50"]
            )  # fmt: skip
    return dict(rows)


def report_data(store: StoreReader, run_id: str, last: int = 30) -> dict[str, Any]:
    """Everything the page of run `run_id` shows; trends over the last `last` results of each series."""
    info = store.run_info(run_id)
    if info is None:
        raise ConfigError(f"no run {run_id!r} in {store.path}", hint="hil history --last 10 lists runs")
    rows = store.query("SELECT * FROM results WHERE run_id = ? ORDER BY id", [run_id])
    logs: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for log in store.query(
        "SELECT l.result_id, l.kind, l.command, l.body FROM logs l JOIN results r ON r.id = l.result_id "
        "WHERE r.run_id = ? ORDER BY l.id",
        [run_id],
    ):
        logs[log["result_id"]].append(log)
    entries = [_result(row, logs[row["id"]], i) for i, row in enumerate(rows, start=1)]
    for entry, row in zip(entries, rows, strict=True):
        entry["history"] = _history(store, entry, row["created_at"], last)
        if entry["status"] == "regression":
            entry["dist"] = _dist(store, entry)
    plan = store.query("SELECT plan FROM run_plans WHERE run_id = ?", [run_id])
    plan_doc = json.loads(plan[0]["plan"]) if plan else {}
    counts: dict[str, int] = defaultdict(int)
    for e in entries:
        counts[e["status"]] += 1
    models = sorted({(r["model"], r["model_sha256"] or "") for r in rows})
    fingerprints = {r["board"]: json.loads(r["fingerprint"] or "{}") for r in rows}
    return {
        "run": {
            "run_id": run_id, "started_at": info["started_at"], "finished_at": info["finished_at"],
            "status": info["status"], "exit_code": EXIT_CODES.get(info["status"]),
            "inventory": info["inventory"], "host": info["host"], "hil_version": info["hil_version"],
            "argv": info["argv"], "suite": plan_doc.get("suite"), "history": last,
        },
        "counts": dict(counts),
        "models": [{"model": m, "sha256": s} for m, s in models],
        "fingerprints": fingerprints,
        "results": entries,
        "compression": _compression(entries),
    }  # fmt: skip
