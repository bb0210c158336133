"""The shape every bench/bench_NAME.py shares, and helpers to build it.

A benchmark module exposes `run(quick: bool = False) -> dict[str, object]` returning

    {"name": "transport", "title": "...", "figures": [FIGURE, ...], "notes": ["...", ...]}

with FIGURE = {"figure": what was measured, "unit": "ms", "value": hil's figure,
               "anchor": the obvious alternative, measured in the same run, "anchor_value": its figure,
               "ratio": value / anchor_value}
(`anchor_value` and `ratio` are None when the anchor could not be measured here; a note says why; a count
stands beside the count expected, and its ratio is None when that is 0), optionally "details" (the raw
measurements, printed with --json), and runs as `python bench/bench_NAME.py [--json] [--quick]` through
`main(run)`; `main(run, doc, options)` adds a benchmark's own flags, passed to run() by keyword. A
benchmark too long for a default `make bench` takes a smaller default size and says so in a note; its
full size stays one flag away (`--full`). `python bench/run.py` runs them all
and writes docs/benchmarks.md. Benchmarks are not tests: they never fail a build.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

Result = dict[str, Any]


def figure(name: str, unit: str, value: float, anchor: str, anchor_value: float | None) -> dict[str, Any]:
    """One figure beside its anchor; the ratio is value / anchor (below 1: hil is faster or smaller)."""
    ratio = None if anchor_value in (None, 0) else round(value / anchor_value, 3)  # type: ignore[operator]
    return {
        "figure": name,
        "unit": unit,
        "value": round(value, 4),
        "anchor": anchor,
        "anchor_value": None if anchor_value is None else round(anchor_value, 4),
        "ratio": ratio,
    }


def median_ms(fn: Callable[[], object], rounds: int) -> float:
    """The median wall time of `rounds` calls of fn, in milliseconds."""
    samples = []
    for _ in range(max(rounds, 1)):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000.0


def _number(value: float | int) -> str:
    """A figure's number: counts as counts, measurements with three decimals."""
    return str(value) if isinstance(value, int) else f"{value:.3f}"


def render_text(result: Result) -> str:
    """A plain-text table of one benchmark's figures (what `python bench/bench_NAME.py` prints)."""
    lines = [f"{result.get('title', result.get('name'))}"]
    for f in result.get("figures", []):
        anchor = "skipped" if f["anchor_value"] is None else _number(f["anchor_value"])
        ratio = "–" if f["ratio"] is None else f"{f['ratio']:.2f}x"
        lines.append(
            f"  {f['figure']} ({f['unit']}): {_number(f['value'])} vs {f['anchor']}: {anchor}  ratio {ratio}"
        )
    lines += [f"  note: {n}" for n in result.get("notes", [])]
    return "\n".join(lines)


def main(
    run: Callable[..., Result],
    doc: str | None = None,
    options: Callable[[argparse.ArgumentParser], None] | None = None,
    quick_help: str = "fewer rounds (a smoke run)",
) -> None:
    """`python bench/bench_NAME.py [--json] [--quick]`; `options` adds a benchmark's own flags, whose
    parsed values reach run() as keyword arguments (`--results N` -> run(quick=..., results=N))."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--quick", action="store_true", help=quick_help)
    if options is not None:
        options(parser)
    args = vars(parser.parse_args())
    as_json = args.pop("json")
    result = run(**args)
    print(json.dumps(result, indent=2) if as_json else render_text(result))
