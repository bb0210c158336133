"""The precision matrix: per board, one row per precision across every clip of the run.

Accuracy and power are frame-weighted over the clips; latency shows the median clip's p50 and the worst
clip's p99 (a conservative summary: the per-clip table and `hil show` have every figure). Precisions are
named as the board's own toolchain names them (e.g. "DSP int8" on a QCS8255, "TIDL 8-bit" on a TDA4VM).
"""

from __future__ import annotations

import statistics
from collections import defaultdict

from rich.console import Console
from rich.text import Text

from hil.errors import ConfigError
from hil.platforms import get
from hil.records import OUTCOME_RANK, JobResult, RunSummary
from hil.report import cells
from hil.report.layout import Column, dropped_note, fit_table, print_table

PRECISION_ORDER = {"fp32": 0, "fp16": 1, "int8": 2}


def _label(platform: str, precision: str) -> str:
    try:
        return get(platform).precision_label(precision)
    except ConfigError:  # a platform this hil does not know (an imported result, say)
        return precision


def _weighted(results: list[JobResult], value: str) -> float | None:
    pairs = [(getattr(r, value), r.frames) for r in results if getattr(r, value) is not None and r.frames]
    total = sum(n for _, n in pairs)
    return sum(v * n for v, n in pairs) / total if total else None


def _row(results: list[JobResult]) -> list[Text | str]:
    worst = max(results, key=lambda r: OUTCOME_RANK[r.status]).status
    p50s = [r.latency_ms.p50 for r in results if r.latency_ms is not None]
    p99s = [r.latency_ms.p99 for r in results if r.latency_ms is not None and r.latency_ms.p99 is not None]
    n_min = min((r.latency_ms.n for r in results if r.latency_ms is not None), default=None)
    sources = {r.power_source for r in results if r.power_source}
    return [
        cells.status(worst),
        cells.percent(_weighted(results, "accuracy")),
        cells.number(statistics.median(p50s), 2) if p50s else cells.number(None),
        cells.number(max(p99s), 2) if p99s else cells.percentile(None, "p99", n_min),
        cells.power(_weighted(results, "power_w"), sources.pop() if len(sources) == 1 else None),
        cells.number(max((r.memory_peak_mb or 0.0) for r in results) or None, 0),
        str(len(results)),
    ]


_COLUMNS = (
    Column("precision"),
    Column("status"),
    Column("accuracy", 0, "right"),
    Column("p50 ms", 0, "right"),
    Column("worst p99 ms", 0, "right"),
    Column("power W", 0, "right"),
    Column("mem MB", 3, "right"),
    Column("clips", 2, "right"),
)


def render_matrix(summary: RunSummary, console: Console) -> None:
    groups: dict[tuple[str, str, str], dict[str, list[JobResult]]] = defaultdict(lambda: defaultdict(list))
    for r in summary.results:
        groups[(r.board, r.platform, r.model)][r.precision].append(r)
    for (board, platform, model), by_precision in groups.items():
        rows = [
            [_label(platform, precision), *_row(by_precision[precision])]
            for precision in sorted(by_precision, key=lambda p: PRECISION_ORDER.get(p, 9))
        ]
        fitted = fit_table(console, _COLUMNS, rows, f"{board} ({platform}) · {model}")
        print_table(console, fitted.table)
        note = dropped_note(fitted.dropped, "every figure: hil show RUN --result N")
        if note is not None:
            console.print(note, highlight=False, soft_wrap=False)
