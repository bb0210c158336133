"""Terminal plots of history series with plotext (imported only when a plot is drawn), and sparklines."""

from __future__ import annotations

from typing import Any

SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float | None]) -> str:
    """One character per value, scaled between the series' min and max; a gap for a missing value."""
    known = [v for v in values if v is not None]
    if not known:
        return " " * len(values)
    low, high = min(known), max(known)
    span = high - low
    chars = []
    for v in values:
        if v is None:
            chars.append(" ")
        else:
            level = 0 if span == 0 else round((v - low) / span * (len(SPARKS) - 1))
            chars.append(SPARKS[level])
    return "".join(chars)


def plot_series(
    all_series: list[dict[str, Any]], width: int = 100, height: int = 20, colour: bool = False
) -> str:
    """The metric of every series over its points (x: run number in the series); the first series' band
    (p99, or p90 where n is too small for a p99), fingerprint boundaries and regressions marked."""
    import plotext

    fig = plotext.figure
    fig.clear()
    fig.plot_size(width, height)
    fig.theme("default" if colour else "colorless")
    first = all_series[0]
    unit = first["unit"]
    metric = first["metric"]
    for s in all_series:
        xs = [i + 1 for i, p in enumerate(s["points"]) if p["value"] is not None]
        ys = [p["value"] for p in s["points"] if p["value"] is not None]
        if not xs:
            continue
        label = metric if len(all_series) == 1 else "/".join(s["key"].values())
        fig.draw(fig.signal(xs, ys).lines().label(label))
    bands = [(i + 1, p["band_top"]) for i, p in enumerate(first["points"]) if p["band_top"] is not None]
    if bands and len(all_series) == 1:
        fig.draw(fig.signal([x for x, _ in bands], [y for _, y in bands]).lines().label("p99 (or p90)"))
    for b in first["boundaries"]:
        changed = ", ".join(f"{k} {v[0]}->{v[1]}" for k, v in b["changed"].items())
        fig.line(b["before"] + 0.5, "v", label=f"fingerprint: {changed}"[:60])
    marks = [
        (i + 1, p["value"])
        for s in all_series
        for i, p in enumerate(s["points"])
        if p["status"] == "regression" and p["value"] is not None
    ]
    if marks:
        fig.draw(fig.signal([x for x, _ in marks], [y for _, y in marks], marker="x").label("regression"))
    title = " · ".join(first["key"].values()) if len(all_series) == 1 else f"{len(all_series)} series"
    fig.title(f"{title}: {metric}" + (f" ({unit})" if unit else ""))
    text = str(fig.build())
    return text if colour else str(plotext.uncolorize(text))
