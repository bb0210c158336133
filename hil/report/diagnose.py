"""A diagnosis as text: the per-layer table (fits 100 columns), the error-by-depth plot, the summary lines."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

WIDTH = 100
NAME = 32
COLUMNS: tuple[tuple[str, int], ...] = (("#", 3), ("layer", NAME), ("op", 9), ("host dB", 7), ("host cos", 8))
COLUMNS += (("board dB", 8), ("board cos", 9), ("max|d|", 8), ("share", 6))


def _short(name: str, width: int) -> str:
    """The end of a long ONNX name (its most specific part), marked with a leading ellipsis."""
    return name if len(name) <= width else "…" + name[-(width - 1) :]


def _num(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def table_lines(diagnosis: dict[str, Any], only: str = "all") -> list[str]:
    """One line per layer in graph order; `only="jumps"` keeps the layers under 20 dB or ranked > 5 %."""
    board = {e["name"]: e for e in diagnosis["board"] or []}
    share = {c["name"]: c["share"] for c in diagnosis["ranking"]}
    jumps = {diagnosis["host_first_jump"], diagnosis["board_first_jump"]} - {None}
    head = " ".join(title.rjust(w) if i >= 3 else title.ljust(w) for i, (title, w) in enumerate(COLUMNS))
    lines = [head, "-" * len(head)]
    for e in diagnosis["host"]:
        b = board.get(e["name"])
        worst = b if b is not None else e
        s = share.get(e["name"])
        if only == "jumps" and e["snr_db"] >= 20 and (b is None or b["snr_db"] >= 20) and (s or 0) <= 0.05:
            continue
        mark = ">" if e["name"] in jumps else " "
        cells = [
            f"{mark}{e['depth']}".ljust(3),
            _short(e["name"], NAME).ljust(NAME),
            e["op"][:9].ljust(9),
            _num(e["snr_db"], ".1f").rjust(7),
            _num(e["cosine"], ".4f").rjust(8),
            _num(b["snr_db"] if b else None, ".1f").rjust(8),
            _num(b["cosine"] if b else None, ".4f").rjust(9),
            _num(worst["max_abs"], ".3g").rjust(8),
            ("-" if s is None else f"{100 * s:.0f}%").rjust(6),
        ]
        lines.append(" ".join(cells))
    return lines


def summary_lines(diagnosis: dict[str, Any], width: int = WIDTH) -> list[str]:
    """The models, the first jumps, the verdict and the top of the ranking, wrapped at `width`."""
    v = diagnosis["verdict"]
    model, qdq = Path(diagnosis["model"]).name, Path(diagnosis["qdq"]).name
    lines = [f"{model} vs {qdq} on {diagnosis['frames']} frame(s)"]
    if diagnosis["board_source"]:
        lines.append(f"board: {diagnosis['board_source']}")
    lines.append(
        f"first jump: host {diagnosis['host_first_jump'] or 'none'}, board "
        f"{diagnosis['board_first_jump'] or ('none' if diagnosis['board'] is not None else '-')}"
    )
    worst = next((e for e in diagnosis["host"] if e["name"] == diagnosis.get("host_worst")), None)
    if worst is not None:
        lines.append(f"lowest SNR: {worst['name']} {worst['snr_db']:.1f} dB (cosine {worst['cosine']:.4f})")
    lines.append(f"verdict: {v['source']} - {v['reason']}")
    top = [c for c in diagnosis["ranking"] if c["share"] > 0][:3]
    if top:
        shares = ", ".join(f"{c['name']} {100 * c['share']:.0f}%" for c in top)
        lines.append(f"most of the output error: {shares}")
    return [part for line in lines for part in textwrap.wrap(line, width, subsequent_indent="  ")]


def depth_plot(diagnosis: dict[str, Any], width: int = WIDTH, height: int = 15, colour: bool = False) -> str:
    """SNR (dB) against FP32 by layer depth, host QDQ and board."""
    import plotext

    fig = plotext.figure
    fig.clear()
    fig.plot_size(min(width, WIDTH), height)
    fig.theme("default" if colour else "colorless")
    for label, errors in (("host QDQ", diagnosis["host"]), ("board", diagnosis["board"] or [])):
        points = [(e["depth"], min(e["snr_db"], 80.0)) for e in errors]
        if points:
            fig.draw(fig.signal([x for x, _ in points], [y for _, y in points]).lines().label(label))
    fig.line(20.0, "h", label="20 dB")
    fig.title("SNR against FP32 by layer depth (dB, capped at 80)")
    text = str(fig.build())
    return text if colour else str(plotext.uncolorize(text))
