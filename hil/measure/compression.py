"""The compression table of each board and model: every figure a deployment write-up prints (engine size,
latency p50/p99, peak memory, mean power, the headline accuracy figure) per precision, and each reduced
precision against the board's widest precision (fp32 where the board runs it; a TDA4VM's int16 otherwise)
as a value and a change.

    compression_tables(results) -> [{"board", "platform", "model", "baseline", "metric",
                                     "figures": {precision: {figure: value}},
                                     "changes": {precision: {figure: change}}, "power_modelled"}]

Figures of a precision over its clips: engine size the largest engine built (MB, 10^6 bytes), p50 the
median clip's p50, p99 the worst clip's, memory the peak, power and the headline figure frame-weighted.
Changes are per cent of the baseline for size, latency, memory and power (−75.0: a quarter of it), and
points for a 0..1 headline figure (accuracy, AP50), per cent for an error figure (NME, MAE). A figure
either side lacks has no change (None), never a guess.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from hil.measure.compare import headline_metric, median_p50, weighted_accuracy
from hil.records import JobResult

ORDER = {"fp32": 0, "fp16": 1, "int16": 2, "int8": 3}
FIGURES = ("size_mb", "p50_ms", "p99_ms", "memory_mb", "power_w", "quality")
POINTS = ("accuracy", "map50")  # 0..1 headline figures: their change is in points


def _weighted(results: Sequence[JobResult], name: str) -> float | None:
    pairs = [(getattr(r, name), r.frames) for r in results if getattr(r, name) is not None and r.frames]
    total = sum(n for _, n in pairs)
    return sum(v * n for v, n in pairs) / total if total else None


def figures_of(results: Sequence[JobResult]) -> dict[str, float | None]:
    sizes = [r.engine_bytes for r in results if r.engine_bytes]
    p99s = [r.latency_ms.p99 for r in results if r.latency_ms is not None and r.latency_ms.p99 is not None]
    memory = [r.memory_peak_mb for r in results if r.memory_peak_mb is not None]
    return {
        "size_mb": max(sizes) / 1e6 if sizes else None,
        "p50_ms": median_p50(results),
        "p99_ms": max(p99s) if p99s else None,
        "memory_mb": max(memory) if memory else None,
        "power_w": _weighted(results, "power_w"),
        "quality": weighted_accuracy(results),
    }


def change(figure: str, metric: str, base: float | None, value: float | None) -> float | None:
    """Per cent of the baseline, or points for a 0..1 headline figure."""
    if base is None or value is None:
        return None
    if figure == "quality" and metric in POINTS:
        return round((value - base) * 100.0, 3)
    return round((value - base) / base * 100.0, 3) if base else None


def compression_tables(results: Sequence[JobResult]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str, str], dict[str, list[JobResult]]] = defaultdict(lambda: defaultdict(list))
    for r in results:
        if r.status in ("pass", "fail", "regression"):  # measured results only
            groups[(r.board, r.platform, r.model)][r.precision].append(r)
    tables = []
    for (board, platform, model), by_precision in groups.items():
        precisions = sorted(by_precision, key=lambda p: ORDER.get(p, 9))
        baseline = precisions[0]
        metric = headline_metric([r for v in by_precision.values() for r in v])
        figures = {p: figures_of(by_precision[p]) for p in precisions}
        changes = {
            p: {f: change(f, metric, figures[baseline][f], figures[p][f]) for f in FIGURES}
            for p in precisions[1:]
        }
        modelled = any(r.power_source == "sim-model" for v in by_precision.values() for r in v)
        tables.append(
            {
                "board": board,
                "platform": platform,
                "model": model,
                "baseline": baseline,
                "metric": metric,
                "figures": figures,
                "changes": changes,
                "power_modelled": modelled,
            }
        )
    return tables
