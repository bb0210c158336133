"""The precision matrix: per board, one row per precision across every clip of the run, with the
compression figures a team decides on: "Δ acc vs fp32" and "speedup vs fp32" (p50 ratio, see
hil.measure.compare). A model's kind decides its accuracy figure (hil.measure.headline): a classifier's
accuracy (Δ in points), a detector's AP50 (Δ in points), a landmark model's NME or a regression model's MAE
(Δ as a number; lower is better). When a run tests several models of one kind (`--model teacher.onnx
--model student.onnx`), a second table per board and kind compares each with the first one, precision by
precision; models of different kinds (a classifier and a face detector) are never compared.

Accuracy and power are frame-weighted over the clips; latency shows the median clip's p50 and the worst
clip's p99 (a conservative summary: the per-clip table and `hil show` have every figure). Precisions are
named as the board's own toolchain names them (e.g. "DSP int8" on a QCS8255, "TIDL 8-bit" on a TDA4VM).
Tables stay within 80 columns: two-line headers, modelled power marked `~` and explained once below them.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from hil.errors import ConfigError
from hil.measure.compare import Comparison, compare, headline_metric, median_p50, weighted_accuracy
from hil.measure.compression import FIGURES, compression_tables
from hil.measure.headline import KINDS
from hil.platforms import get
from hil.records import OUTCOME_RANK, JobResult, RunSummary
from hil.report import cells
from hil.report.layout import print_table

PRECISION_ORDER = {"fp32": 0, "fp16": 1, "int16": 2, "int8": 3}
NOISY_NOTE = "! noisy: taken while the board throttled (noisy_reason in --json)"
MODELLED_NOTE = cells.MODELLED_LEGEND.plain
# A simulated board (the only source of modelled power) runs every engine on this host's CPU, where reduced
# precision buys little or nothing: its latencies compare code paths, not the device's precisions.
SIM_LATENCY_NOTE = "p50, speed-up on a simulated board: this host's CPU (lower precision no faster)"
Groups = dict[str, list[JobResult]]


def _label(platform: str, precision: str) -> str:
    try:
        return get(platform).precision_label(precision)
    except ConfigError:  # a platform this hil does not know (an imported result, say)
        return precision


def _weighted(results: list[JobResult], value: str) -> float | None:
    pairs = [(getattr(r, value), r.frames) for r in results if getattr(r, value) is not None and r.frames]
    total = sum(n for _, n in pairs)
    return sum(v * n for v, n in pairs) / total if total else None


_LABELS = {metric: label for label, metric, _ in KINDS.values()}
_FRACTIONS = ("accuracy", "map50")  # 0..1 figures: shown in percent, their change in points
WORSE_SHARE = 0.1  # an error figure (NME, MAE) 10 % above its baseline is shown in red


def delta_cell(comparison: Comparison | None) -> Text:
    """Change of the headline figure: accuracy and AP50 in percentage points (`-1.2 pp`, red from a point
    lost); NME and MAE as numbers (`+0.0040`, red from 10 % worse than the baseline); `base` on the
    baseline row itself."""
    if comparison is None:
        return Text("base", style="dim")
    delta = comparison.delta_accuracy
    if delta is None:
        return cells.number(None)
    if comparison.metric in _FRACTIONS:
        points = 100 * delta
        shown = round(points, 1) + 0.0  # + 0.0: a loss too small to show reads +0.0, never -0.0
        return Text(f"{shown:+.1f} pp", style="red" if points <= -1.0 else "")
    base = comparison.baseline
    worse = base is not None and delta > WORSE_SHARE * abs(base)
    digits = 2 if comparison.metric == "mae" else 4
    return Text(f"{round(delta, digits) + 0.0:+.{digits}f}", style="red" if worse else "")


def figure_cell(metric: str, value: float | None) -> Text:
    """A group's headline figure: accuracy as a percentage, AP50 as a fraction, NME / MAE as numbers."""
    if metric == "accuracy":
        return cells.percent(value)
    return cells.number(value, 2 if metric == "mae" else 3 if metric == "map50" else 4)


def speedup_cell(comparison: Comparison | None) -> Text:
    """Baseline p50 over this p50 (`1.85×`: faster; `0.90×`: slower); `base` on the baseline row."""
    if comparison is None:
        return Text("base", style="dim")
    if comparison.speedup is None:
        return cells.number(None)
    return Text(f"{comparison.speedup:.2f}×", style="green" if comparison.speedup >= 1.0 else "")


def _power(results: list[JobResult]) -> tuple[Text, bool]:
    sources = {r.power_source for r in results if r.power_source}
    modelled = "sim-model" in sources
    watts = _weighted(results, "power_w")
    return cells.power(watts, "sim-model" if modelled else None), modelled and watts is not None


def _latency(results: list[JobResult]) -> tuple[Text, Text]:
    p50 = median_p50(results)
    p99s = [r.latency_ms.p99 for r in results if r.latency_ms is not None and r.latency_ms.p99 is not None]
    ns = [r.latency_ms.n for r in results if r.latency_ms is not None and r.latency_ms.n is not None]
    worst = cells.number(max(p99s), 2) if p99s else cells.percentile(None, "p99", min(ns, default=None))
    return cells.number(p50, 2), worst


def _status(results: list[JobResult]) -> Text:
    """The worst outcome; `!` when a result was taken while the board throttled (noisy)."""
    cell = cells.status(max(results, key=lambda r: OUTCOME_RANK[r.status]).status)
    if any(r.noisy for r in results):
        cell.append("!", style="bold yellow")
    return cell


def _notes(results: list[JobResult], modelled: bool) -> list[str]:
    notes = [MODELLED_NOTE, SIM_LATENCY_NOTE] if modelled else []
    if any(r.noisy for r in results):
        notes.append(NOISY_NOTE)
    return notes


def _table(
    title: str, first: tuple[str, ...], base: str, last: tuple[str, ...], metric: str = "accuracy"
) -> Table:
    table = Table(
        title=Text(title),
        title_justify="left",
        header_style="bold",
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
    )
    for name in first:
        table.add_column(name, no_wrap=True)
    label = _LABELS.get(metric, "acc")
    for name in (label, f"Δ {label}\nvs {base}", "p50\nms", f"speedup\nvs {base}", *last):
        table.add_column(name, justify="right", no_wrap=True)
    return table


def render_matrix(summary: RunSummary, console: Console, baseline_model: str | None = None) -> None:
    """One precision table per board and model; then, when the run has several models, one table per
    board comparing each with `baseline_model` (default: the first model in the results)."""
    groups: dict[tuple[str, str, str], Groups] = defaultdict(lambda: defaultdict(list))
    for r in summary.results:
        groups[(r.board, r.platform, r.model)][r.precision].append(r)
    notes: dict[str, None] = {}  # what the `~` and `!` marks mean: said once, after the last table
    compression = {(t["board"], t["model"]): t for t in compression_tables(summary.results)}
    for (board, platform, model), by_precision in groups.items():
        notes |= dict.fromkeys(
            _precision_table(console, f"{board} ({platform}) · {model}", platform, by_precision)
        )
        table = compression.get((board, model))
        if table is not None and len(table["figures"]) > 1:
            notes |= dict.fromkeys(_compression_table(console, table))
    kinds: dict[str, list[str]] = defaultdict(list)  # headline metric -> its models, in run order
    for model in dict.fromkeys(r.model for r in summary.results):
        kinds[headline_metric([r for r in summary.results if r.model == model])].append(model)
    boards = dict.fromkeys((r.board, r.platform) for r in summary.results)
    for models in kinds.values():
        if len(models) < 2:
            continue
        base = baseline_model if baseline_model in models else models[0]
        models = [base, *(m for m in models if m != base)]  # the baseline's rows first
        for board, platform in boards:
            per_model = {m: groups[(board, platform, m)] for m in models if (board, platform, m) in groups}
            if base in per_model and len(per_model) > 1:
                notes |= dict.fromkeys(_model_table(console, board, platform, base, per_model))
    for note in notes:
        console.print(Text(note, style="dim"), highlight=False)


def _precision_table(console: Console, title: str, platform: str, by_precision: Groups) -> list[str]:
    clips = {len(v) for v in by_precision.values()}
    title += f" · {clips.pop()} clip(s)" if len(clips) == 1 else ""
    metric = headline_metric([r for v in by_precision.values() for r in v])
    last = ("worst\np99 ms", "power\nW", "mem\nMB")
    table = _table(title, ("precision", "status"), "fp32", last, metric)
    baseline = by_precision.get("fp32")
    modelled = False
    for precision in sorted(by_precision, key=lambda p: PRECISION_ORDER.get(p, 9)):
        results = by_precision[precision]
        vs = None if precision == "fp32" else compare(baseline, results) if baseline else _absent()
        power, is_modelled = _power(results)
        modelled = modelled or is_modelled
        p50, worst = _latency(results)
        label = _label(platform, precision) + ("" if len(clips) <= 1 else f" ({len(results)})")
        table.add_row(
            Text(label), _status(results), figure_cell(metric, weighted_accuracy(results)), delta_cell(vs),
            p50, speedup_cell(vs), worst, power, _memory(results),
        )  # fmt: skip
    print_table(console, table)
    return _notes([r for v in by_precision.values() for r in v], modelled)


def _model_table(
    console: Console, board: str, platform: str, base: str, per_model: dict[str, Groups]
) -> list[str]:
    # The baseline model is named in the title: headers stay narrow whatever its name.
    metric = headline_metric([r for v in per_model[base].values() for r in v])
    title = f"{board} ({platform}) · models vs {base}"
    table = _table(title, ("model", "precision"), "base", ("power\nW",), metric)
    modelled = False
    for model, by_precision in per_model.items():
        for precision in sorted(by_precision, key=lambda p: PRECISION_ORDER.get(p, 9)):
            results = by_precision[precision]
            reference = per_model[base].get(precision)
            vs = None if model == base else compare(reference, results) if reference else _absent()
            power, is_modelled = _power(results)
            modelled = modelled or is_modelled
            p50, _ = _latency(results)
            table.add_row(
                Text(model), Text(_label(platform, precision)),
                figure_cell(metric, weighted_accuracy(results)), delta_cell(vs), p50, speedup_cell(vs), power,
            )  # fmt: skip
    print_table(console, table)
    return [MODELLED_NOTE, SIM_LATENCY_NOTE] if modelled else []


def _absent() -> Comparison:
    """No baseline to compare with (the baseline precision or model was not run on this board)."""
    return Comparison(delta_accuracy=None, speedup=None, clips=0)


def _memory(results: list[JobResult]) -> Text:
    return cells.number(max((r.memory_peak_mb or 0.0) for r in results) or None, 0)


_FIGURE_LABELS = {
    "size_mb": "engine MB",
    "p50_ms": "p50 ms",
    "p99_ms": "worst p99 ms",
    "memory_mb": "peak mem MB",
    "power_w": "power W",
}


def _compression_table(console: Console, data: dict[str, Any]) -> list[str]:
    """The field's compression table of one board and model: each figure per precision, each reduced
    precision's change against the baseline (fp32, or the board's widest precision)."""
    base, metric = data["baseline"], data["metric"]
    title = f"{data['board']} · {data['model']} · compression vs {base}"
    table = Table(
        header_style="bold", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True
    )  # the title on its own line: a narrow table would wrap it
    table.add_column("figure", no_wrap=True)
    precisions = list(data["figures"])
    table.add_column(base, justify="right", no_wrap=True)
    for precision in precisions[1:]:
        table.add_column(precision, justify="right", no_wrap=True)
        table.add_column(f"Δ vs\n{base}", justify="right", no_wrap=True)
    labels = {**_FIGURE_LABELS, "quality": _LABELS.get(metric, "acc")}
    for figure in FIGURES:
        row: list[Text] = [Text(labels[figure])]
        for precision in precisions:
            value = data["figures"][precision][figure]
            row.append(_compression_value(figure, metric, value, data["power_modelled"]))
            if precision != base:
                row.append(_compression_change(figure, metric, data["changes"][precision][figure]))
        table.add_row(*row)
    console.print(Text(title, style="italic"), highlight=False)
    print_table(console, table)
    return [MODELLED_NOTE, SIM_LATENCY_NOTE] if data["power_modelled"] else []


def _compression_value(figure: str, metric: str, value: float | None, modelled: bool) -> Text:
    if figure == "power_w":
        return cells.power(value, "sim-model" if modelled else None)
    if figure == "quality":
        return figure_cell(metric, value)
    return cells.number(value, 3 if figure == "size_mb" else 0 if figure == "memory_mb" else 2)


def _compression_change(figure: str, metric: str, change: float | None) -> Text:
    if change is None:
        return cells.number(None)
    unit = "pt" if figure == "quality" and metric in _FRACTIONS else "%"
    shown = f"{round(change, 1) + 0.0:+.1f} {unit}".replace("-", "\u2212")
    return Text(shown)
