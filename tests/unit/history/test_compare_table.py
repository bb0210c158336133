"""`hil compare`'s table fits the terminal and shows names with brackets as they are."""

from __future__ import annotations

import io

from rich.console import Console

from hil.cli.compare import render_comparison


def _metric(name: str, verdict: str, a: float, b: float) -> dict[str, object]:
    return {"metric": name, "verdict": verdict, "baseline": a, "new": b, "ratio": b / a, "p_value": 0.0123}


def _doc() -> dict[str, object]:
    matched = []
    for board in ("orin-sim-01", "qcs-sim-01"):
        for clip in ("night[b17]", "day"):
            key = {"board": board, "model": "dms-small", "precision": "int8", "clip": clip}
            metrics = [_metric("latency", "regression", 4.0, 9.5), _metric("accuracy", "ok", 0.97, 0.96)]
            change = {"tensorrt": ["8.6.2", "10.3.0"]} if board == "orin-sim-01" and clip == "day" else {}
            matched.append({"key": key, "metrics": metrics, "fingerprint_change": change})
    return {"matched": matched, "unmatched": {"a": [], "b": []}}


def _render(width: int) -> list[str]:
    console = Console(file=io.StringIO(), width=width, force_terminal=False, color_system=None)
    render_comparison(_doc(), "run-a", "run-b", console)
    return console.file.getvalue().splitlines()  # type: ignore[attr-defined]


def test_compare_table_fits_80_and_100_columns_and_keeps_what_a_reader_needs() -> None:
    for width in (80, 100):
        lines = _render(width)
        assert max(len(line) for line in lines) <= width, lines
        text = "\n".join(lines)
        # The model is the same in every row: it moves into the title instead of taking a column.
        assert "run-a -> run-b · dms-small · int8" in lines[0]
        assert "night[b17]" in text  # user data is never read as markup
        assert text.count("regression") == 4 and "9.5" in text and "2.375" in text
        assert "p" in lines[1].split()  # the significance stays at 80 columns
        joined = " ".join(line.strip() for line in lines)
        assert "orin-sim-01 dms-small int8 day: fingerprint changed (tensorrt: 8.6.2 -> 10.3.0)" in joined
