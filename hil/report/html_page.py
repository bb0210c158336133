"""`hil report html`: one self-contained HTML page of a stored run (no server, no CDN, no network when it is
viewed): tables written here, charts drawn in the browser by uPlot, which is inlined with the page's data.

Sections: header and verdict summary; per board the model x precision x clip matrix coloured by outcome,
each cell a link to its result; trends per series (p50/p99 latency and the headline accuracy figure over the
last N results, regressions and noisy results marked, the baseline window shaded); the compression table per
board; the sample distributions behind every regression, its baseline's beside it; each result's details
(every figure, budgets and regression checks, the failure message, commands and the tail of each log, its
power trace, modelled ones marked as modelled).
"""

from __future__ import annotations

import hashlib
import json
from html import escape
from importlib import resources
from typing import Any

# uPlot as published on npm (hil/report/vendor/README.txt): file -> sha256.
VENDOR = {
    "uPlot.iife.min.js": "19c8d4c6ad88929a79f4ae49d6f7161566dfd0ba3d15cc495e974f787eb78f1f",
    "uPlot.min.css": "df630c6a8d6f8eeaff264b50f73ce5b114f646ffd9a0bb74f049b0a00135fa04",
}
STATUS_ORDER = ("regression", "fail", "infra_error", "skipped", "pass")


def _asset(name: str) -> str:
    """hil's own stylesheet and chart code (hil/report/assets/)."""
    return resources.files("hil.report").joinpath("assets", name).read_text("utf-8")


def _vendor(name: str) -> str:
    data = resources.files("hil.report").joinpath("vendor", name).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != VENDOR[name]:
        raise RuntimeError(f"hil/report/vendor/{name} is not the file hil was built with (sha256 {digest})")
    return data.decode("utf-8")


def _num(value: float | None, digits: int = 2, unit: str = "") -> str:
    if value is None:
        return "–"
    return f"{value:.{digits}f}{unit}"


def _size(n: int | None) -> str:
    if not n:
        return "–"
    for unit, scale in (("MB", 1 << 20), ("kB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


def _headline(h: dict[str, Any]) -> str:
    v = h["value"]
    if v is None:
        return "–"
    return f"{v * 100:.1f} %" if h["label"] in ("acc", "AP50") else f"{h['label']} {v:.4f}"


def _badge(status: str) -> str:
    return f'<span class="badge s-{escape(status)}">{escape(status)}</span>'


def _header(data: dict[str, Any]) -> str:
    run, counts = data["run"], data["counts"]
    summary = " ".join(f"{_badge(s)} {counts[s]}" for s in STATUS_ORDER if counts.get(s)) or "no results"
    rows = [
        ("started", run["started_at"]), ("finished", run["finished_at"] or "never (interrupted)"),
        ("status", _badge(run["status"]) + (f" exit code {run['exit_code']}" if run["finished_at"] else
                                            " (never finished: interrupted, or still running)")),
        ("inventory", escape(str(run["inventory"]))), ("suite", escape(str(run["suite"] or "–"))),
        ("host", escape(str(run["host"]))), ("hil", escape(run["hil_version"])),
        ("command", "<code>hil " + escape(" ".join(run["argv"])) + "</code>"),
        ("models", "<br>".join(f"{escape(m['model'])} <code>{escape(m['sha256'][:12] or '–')}</code>"
                               for m in data["models"])),
    ]  # fmt: skip
    for board, fp in sorted(data["fingerprints"].items()):
        shown = ", ".join(f"{escape(k)} {escape(str(v))}" for k, v in sorted(fp.items())) or "–"
        rows.append((f"fingerprint {escape(board)}", f"<small>{shown}</small>"))
    body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return (
        f'<header><h1>hil run {escape(run["run_id"])}</h1><p class="summary">{summary}</p>'
        f'<table class="kv">{body}</table></header>'
    )


def _matrix(data: dict[str, Any]) -> str:
    boards: dict[str, list[dict[str, Any]]] = {}
    for r in data["results"]:
        boards.setdefault(r["board"], []).append(r)
    parts = [
        '<section id="matrix"><h2>Matrix</h2><p class="note">One cell per result: p50 latency in ms '
        "and the headline accuracy figure; the colour is its outcome. A cell links to its details.</p>"
    ]
    for board, results in boards.items():
        clips = list(dict.fromkeys(r["clip"] for r in results))
        rows: dict[tuple[str, str], dict[str, list[dict[str, Any]]]] = {}
        for r in results:
            rows.setdefault((r["model"], r["label"]), {}).setdefault(r["clip"], []).append(r)
        head = "".join(f"<th>{escape(c)}</th>" for c in clips)
        body = []
        for (model, label), cells in rows.items():
            tds = []
            for clip in clips:
                links = "".join(
                    f'<a class="cell s-{escape(r["status"])}" href="#r{r["id"]}" data-result="{r["id"]}" '
                    f'title="{escape(r["status"])}">{_num(r["p50"])} ms<br><small>{_headline(r["headline"])}'
                    f"</small></a>"
                    for r in cells.get(clip, [])
                )
                tds.append(f"<td>{links}</td>")
            body.append(f"<tr><th>{escape(model)}</th><th>{escape(label)}</th>{''.join(tds)}</tr>")
        platform = escape(results[0]["platform"])
        parts.append(
            f'<h3>{escape(board)} <small>({platform})</small></h3><table class="matrix"><tr><th>model</th>'
            f"<th>precision</th>{head}</tr>{''.join(body)}</table>"
        )
    return "".join(parts) + "</section>"


def _trends(data: dict[str, Any]) -> str:
    parts = [
        f'<section id="trends"><h2>Trends</h2><p class="note">Per series (board · model · precision · clip): '
        f'<span class="key p50">━</span> p50 and <span class="key p99">┅</span> p99 latency (ms, left) '
        f'and <span class="key acc">━</span> the headline accuracy figure (right) over its last '
        f'{data["run"]["history"]} results. <span class="key reg">●</span> regression, '
        '<span class="key noisy">●</span> noisy (not judged); the shaded runs are the baseline this run was '
        "judged against.</p>"
    ]
    board = None
    for r in sorted(data["results"], key=lambda r: r["board"]):  # stable: run order within a board
        if r["board"] != board:
            if board is not None:
                parts.append("</div>")
            board = r["board"]
            parts.append(f'<h3>{escape(board)}</h3><div class="grid">')
        title = f"{r['model']} · {r['label']} · {r['clip']}"
        parts.append(
            f'<figure><figcaption><a href="#r{r["id"]}">{escape(title)}</a></figcaption>'
            f'<div class="chart trend" data-result="{r["id"]}"></div></figure>'
        )
    if board is not None:
        parts.append("</div>")
    return "".join(parts) + "</section>"


def _compression(data: dict[str, Any]) -> str:
    parts = [
        '<section id="compression"><h2>Compression</h2><p class="note">Per board and model, each precision '
        "against the same model's fp32: engine size, median p50 over the clips, peak memory, mean power "
        "(<i>~ modelled</i>: a simulated board's power is modelled, never judged) and the headline figure "
        "(mean over the clips) with its change.</p>"
    ]
    for board, rows in data["compression"].items():
        body = []
        for row in rows:
            delta = row["delta"]
            if delta is None:
                shown = "–"
            elif row["headline"] in ("acc", "AP50"):
                shown = f"{delta * 100:+.1f} pp"
            else:
                shown = f"{delta:+.4f}"
            worse = delta is not None and ((delta < 0) if row["higher_is_better"] else (delta > 0))
            power = _num(row["power_w"], 2, " W")
            if row["modelled"] and row["power_w"] is not None:
                power = f"<i>~{power}</i>"
            value = {"label": row["headline"], "value": row["value"]}
            body.append(
                f"<tr><td>{escape(row['model'])}</td><td>{escape(row['label'])}</td>"
                f"<td>{_size(row['engine_bytes'])}</td><td>{_num(row['p50'])}</td>"
                f"<td>{_num(row['speedup'], 2, '×')}</td><td>{_num(row['memory_mb'], 0)}</td>"
                f"<td>{power}</td>"
                f"<td>{escape(row['headline'])} {_headline(value)}</td>"
                f'<td class="{"worse" if worse else ""}">{shown}</td></tr>'
            )
        parts.append(
            f'<h3>{escape(board)}</h3><table class="num"><tr><th>model</th><th>precision</th><th>engine</th>'
            "<th>p50 ms</th><th>speedup vs fp32</th><th>memory MB</th><th>power</th><th>accuracy</th>"
            f"<th>vs fp32</th></tr>{''.join(body)}</table>"
        )
    return "".join(parts) + "</section>"


def _regressions(data: dict[str, Any]) -> str:
    regressed = [r for r in data["results"] if r["status"] == "regression"]
    parts = ['<section id="regressions"><h2>Regressions</h2>']
    if not regressed:
        parts.append("<p>No result of this run regressed against its baseline.</p>")
    for r in regressed:
        title = f"{r['board']} · {r['model']} · {r['label']} · {r['clip']}"
        parts.append(
            f'<h3 class="s-regression-text"><a href="#r{r["id"]}">{escape(title)}</a></h3>'
            + _evidence(r)
            + (
                f'<div class="pair"><figure><figcaption>baseline ({len(r["dist"]["baseline"])} frames of '
                f'{len(r["dist"]["baseline_ids"])} results)</figcaption><div class="chart dist" '
                f'data-result="{r["id"]}" data-which="baseline"></div></figure><figure><figcaption>this '
                f'result ({len(r["dist"]["result"])} frames)</figcaption><div class="chart dist" '
                f'data-result="{r["id"]}" data-which="result"></div></figure></div>'
                if r["dist"] and r["dist"]["result"]
                else "<p>The samples of this result are no longer stored (pruned).</p>"
            )
        )
    return "".join(parts) + "</section>"


def _evidence(r: dict[str, Any]) -> str:
    verdict = r["verdict"] or {}
    rows = ""
    for g in verdict.get("regressions", []):
        p = "–" if g.get("p_value") is None else f"{g['p_value']:.2g}"
        rows += (
            f"<tr><td>{escape(g['metric'])}</td><td>{_num(g['baseline'], 3)}</td><td>{_num(g['new'], 3)}</td>"
            f"<td>{_num(g['ratio'], 2, '×')}</td><td>{p}</td>"
            f"<td>{g['n'].get('baseline', '–')} / {g['n'].get('new', '–')}</td></tr>"
        )
    if not rows:
        return ""
    return (
        '<table class="num"><tr><th>metric</th><th>baseline</th><th>this run</th><th>ratio</th><th>p</th>'
        f"<th>n baseline / new</th></tr>{rows}</table>"
    )


def _checks(r: dict[str, Any]) -> str:
    verdict = r["verdict"]
    if not verdict:
        return (
            '<p class="note">Not judged against history (no comparable baseline yet, or not a final '
            "result).</p>"
        )
    rows = []
    for check in verdict.get("checks", []):
        cells = ", ".join(
            f"{escape(str(k))} {escape(json.dumps(v))}" for k, v in check.items() if k != "metric"
        )
        rows.append(
            f"<tr><td>{escape(str(check.get('metric', '')))}</td><td><small>{cells}</small></td></tr>"
        )
    flags = ", ".join(escape(str(f)) for f in verdict.get("flags", [])) or "none"
    return (
        f"<p>History verdict: {_badge(str(verdict.get('outcome', '')))} flags: {flags}; baseline results "
        f"{escape(', '.join(str(i) for i in verdict.get('baseline_ids', [])) or '–')}</p>"
        + (f'<table class="checks"><tr><th>check</th><th>allowance and evidence</th></tr>'
           f'{"".join(rows)}</table>' if rows else "")
    )  # fmt: skip


_BUDGET_WORDS = {True: "within budget", False: '<b class="worse">FAILED</b>', None: "not judged"}


def _details(data: dict[str, Any]) -> str:
    parts = ['<section id="details"><h2>Results</h2>']
    for r in data["results"]:
        title = f"{r['index']}. {r['board']} · {r['model']} · {r['label']} · {r['clip']}"
        budgets = "".join(
            f"<tr><td>{escape(k)}</td><td>{_BUDGET_WORDS[v]}</td></tr>" for k, v in r["budgets"].items()
        )
        notes = "".join(f"<li>{escape(n)}</li>" for n in r["budget_notes"])
        figures = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in r["figures"])
        logs = "".join(
            f"<details><summary>{escape(log['kind'])}: <code>{escape(log['command'])}</code></summary>"
            + (f"<p class=\"note\">last lines of {log['lines']}; every line: <code>hil show "
               f"{escape(data['run']['run_id'])} --logs</code></p>" if log["cut"] else "")
            + f"<pre>{escape(log['text'])}</pre></details>"
            for log in r["logs"]
        )  # fmt: skip
        error = f'<p class="error">{escape(r["error"])}</p>' if r["error"] else ""
        trace = ""
        if r["trace"]:
            what = (
                "modelled (sim-model: a simulated board's power is not measured)"
                if r["modelled"]
                else (f"measured ({escape(str(r['power_source']))})")
            )
            trace = (
                f"<figure><figcaption>power over the sampling window, {what}</figcaption>"
                f'<div class="chart power" data-result="{r["id"]}"></div></figure>'
            )
        parts.append(
            f'<section class="result" id="r{r["id"]}"><h3>{escape(title)} {_badge(r["status"])}</h3>{error}'
            f"{_evidence(r)}{_checks(r)}"
            f'<div class="cols"><table class="kv">{figures}</table><div><h4>Budgets '
            f"<small>(profile {escape(str(r['budget_profile'] or 'default'))})</small></h4>"
            f'<table class="kv">{budgets}</table><ul>{notes}</ul>{trace}</div></div>'
            f"<h4>Commands and logs</h4>{logs or '<p>none stored (pruned, or the job never ran one)</p>'}"
            '<p><a href="#matrix">back to the matrix</a></p></section>'
        )
    return "".join(parts) + "</section>"


def _chart_data(data: dict[str, Any]) -> str:
    """Only what the charts draw (tables are already HTML): the page's embedded JSON."""
    slim = {
        "results": [
            {
                k: r[k]
                for k in (
                    "id",
                    "history",
                    "dist",
                    "trace",
                    "modelled",
                    "headline",
                    "idle_power_w",
                    "active_power_w",
                )
            }
            for r in data["results"]
        ]
    }
    return json.dumps(slim, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")


def render(data: dict[str, Any]) -> str:
    """The whole page of a run (data from hil.report.html_data.report_data)."""
    run_id = escape(data["run"]["run_id"])
    nav = (
        '<nav><a href="#matrix">matrix</a><a href="#trends">trends</a><a href="#compression">compression</a>'
        '<a href="#regressions">regressions</a><a href="#details">results</a></nav>'
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>hil run {run_id}</title>"
        f"<style>{_vendor('uPlot.min.css')}{_asset('report.css')}</style></head><body>"
        f"{_header(data)}{nav}{_matrix(data)}{_regressions(data)}{_trends(data)}{_compression(data)}"
        f"{_details(data)}"
        f'<script type="application/json" id="hil-data">{_chart_data(data)}</script>'
        f"<script>{_vendor('uPlot.iife.min.js')}</script><script>{_asset('report.js')}</script></body></html>\n"
    )
