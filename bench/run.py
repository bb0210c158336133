"""Run hil's benchmarks: every bench/bench_NAME.py, each figure beside its anchor measured in the same run.

    make bench                                  run them all, write docs/benchmarks.md
    python bench/run.py [--quick]               the same
    python bench/run.py NAME [NAME...] [--json] run some, print their figures (text, or JSON)
    python bench/run.py --list                  the benchmarks there are

A benchmark that fails is reported as failed (in the output and in docs/benchmarks.md); benchmarks are
not tests and this command exits 0 unless its own arguments are wrong. The shape of a benchmark:
bench/benchlib.py.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import sys
import time
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from benchlib import Result, render_text  # noqa: E402

DOC = BENCH.parent / "docs" / "benchmarks.md"


def available() -> dict[str, Path]:
    return {p.stem.removeprefix("bench_"): p for p in sorted(BENCH.glob("bench_*.py"))}


def load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_one(name: str, path: Path, quick: bool) -> Result:
    start = time.perf_counter()
    try:
        result: Result = load(path).run(quick=quick)
    except Exception as exc:  # a benchmark never fails the build: say what broke instead
        result = {"name": name, "title": name, "figures": [], "error": f"{type(exc).__name__}: {exc}",
                  "traceback": traceback.format_exc()}  # fmt: skip
    result.setdefault("name", name)
    result["seconds"] = round(time.perf_counter() - start, 1)
    return result


def _cell(value: Any, unit: str = "") -> str:
    if value is None:
        return "skipped"
    return f"{value:.3f}{(' ' + unit) if unit else ''}"


def markdown(results: list[Result], quick: bool) -> str:
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python bench/run.py`); do not edit by hand. Each figure of hil is",
        "measured beside its anchor, the obvious alternative, in the same run on the same machine; the ratio",
        "is hil / anchor (below 1: hil takes less). Absolute numbers depend on the machine; ratios travel.",
        "Benchmarks are not tests: they never fail a build.",
        "",
        f"Machine: {platform.machine()}, {platform.system()} {platform.release()}, Python "
        f"{platform.python_version()}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
        + ("; quick mode (fewer rounds)" if quick else ""),
        "",
    ]
    for r in results:
        lines += [
            f"## {r.get('title', r['name'])}",
            "",
            f"`python bench/run.py {r['name']}` ({r['seconds']} s)",
            "",
        ]
        if r.get("error"):
            lines += [f"**Failed:** `{r['error']}`", ""]
            continue
        lines += ["| figure | hil | anchor | anchor's | ratio |", "|---|---:|---|---:|---:|"]
        for f in r["figures"]:
            ratio = "–" if f["ratio"] is None else f"{f['ratio']:.2f}x"
            lines.append(
                f"| {f['figure']} | {_cell(f['value'], f['unit'])} | {f['anchor']} | "
                f"{_cell(f['anchor_value'], f['unit'])} | {ratio} |"
            )
        lines.append("")
        lines += [f"- {note}" for note in r.get("notes", [])]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all, and write the doc)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a smoke run)")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument("--doc", type=Path, default=DOC, help=f"where to write the report (default: {DOC})")
    args = parser.parse_args()
    found = available()
    if args.list:
        print("\n".join(found))
        return 0
    unknown = [n for n in args.names if n not in found]
    if unknown:
        print(f"no benchmark {', '.join(unknown)}; there are: {', '.join(found)}", file=sys.stderr)
        return 2
    names = args.names or list(found)
    results = []
    for name in names:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        results.append(run_one(name, found[name], args.quick))
    if args.json:
        print(json.dumps(results[0] if len(results) == 1 else results, indent=2))
    else:
        for r in results:
            print(f"{r['name']}: failed: {r['error']}" if r.get("error") else render_text(r))
    if not args.names:
        args.doc.write_text(markdown(results, args.quick))
        print(f"wrote {args.doc}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
