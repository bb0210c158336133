"""Run hil's benchmarks: every bench/bench_NAME.py, each figure beside its anchor measured in the same run.

    make bench                                  run them all, write docs/benchmarks.md
    python bench/run.py [--quick]               the same
    python bench/run.py NAME [NAME...] [--json] run some, print their figures (text, or JSON)
    python bench/run.py NAME [NAME...] --write  run some, and rewrite only their sections of the doc
    python bench/run.py --list                  the benchmarks there are

A benchmark that fails is reported as failed (in the output and in docs/benchmarks.md); benchmarks are
not tests and this command exits 0 unless its own arguments are wrong. The shape of a benchmark:
bench/benchlib.py.

What the writer keeps: each benchmark's section of docs/benchmarks.md lies between `<!-- bench:NAME -->`
and `<!-- /bench:NAME -->` and says when and how it was measured; a run rewrites the sections of the
benchmarks it ran and keeps the others as they were. Everything after the `<!-- hand-measured -->` line
(measurements made by hand at sizes too long for `make bench`) is kept word for word.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import re
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
    number = str(value) if isinstance(value, int) else f"{value:.3f}"  # counts as counts
    return f"{number}{(' ' + unit) if unit else ''}"


HAND_MEASURED = "<!-- hand-measured -->"
HEADER = """# Benchmarks

Written by `make bench` (`python bench/run.py`) above the hand-measured line; do not edit those sections
by hand. Each figure of hil is measured beside its anchor, the obvious alternative, in the same run on the
same machine; the ratio is hil / anchor (below 1: hil takes less). Absolute numbers depend on the machine;
ratios travel. Benchmarks are not tests: they never fail a build. Each section says when it was measured:
`python bench/run.py NAME --write` rewrites one section and keeps the others.
"""


def _block(name: str) -> re.Pattern[str]:
    return re.compile(rf"<!-- bench:{re.escape(name)} -->\n.*?<!-- /bench:{re.escape(name)} -->\n", re.DOTALL)


def section(r: Result, quick: bool) -> str:
    """One benchmark's section, between its markers."""
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [
        f"<!-- bench:{r['name']} -->",
        f"## {r.get('title', r['name'])}",
        "",
        f"`python bench/run.py {r['name']}{' --quick' if quick else ''}` ({r['seconds']} s); {when}; "
        f"{platform.machine()}, {platform.system()} {platform.release()}, Python {platform.python_version()}"
        + ("; quick mode (fewer rounds, smaller sizes)" if quick else ""),
        "",
    ]
    if r.get("error"):
        lines += [f"**Failed:** `{r['error']}`", ""]
    else:
        lines += ["| figure | hil | anchor | anchor's | ratio |", "|---|---:|---|---:|---:|"]
        for f in r["figures"]:
            ratio = "–" if f["ratio"] is None else f"{f['ratio']:.2f}x"
            lines.append(
                f"| {f['figure']} | {_cell(f['value'], f['unit'])} | {f['anchor']} | "
                f"{_cell(f['anchor_value'], f['unit'])} | {ratio} |"
            )
        lines.append("")
        lines += [f"- {note}" for note in r.get("notes", [])]
    return "\n".join(lines).rstrip() + f"\n<!-- /bench:{r['name']} -->\n"


def markdown(results: list[Result], quick: bool, previous: str = "", order: list[str] | None = None) -> str:
    """The doc: the header, one section per benchmark (this run's, else the one `previous` had), then
    `previous`'s hand-measured part word for word."""
    fresh = {r["name"]: section(r, quick) for r in results}
    names: list[str] = []
    for name in [*(order or []), *re.findall(r"^<!-- bench:(\S+) -->$", previous, re.M), *fresh]:
        if name not in names:
            names.append(name)
    blocks = []
    for name in names:
        kept = _block(name).search(previous)
        if name in fresh or kept:
            blocks.append(fresh[name] if name in fresh else kept.group(0))  # type: ignore[union-attr]
    hand = previous.partition(HAND_MEASURED)[2].lstrip("\n") if HAND_MEASURED in previous else ""
    text = HEADER + "".join(f"\n{b}" for b in blocks)
    if hand:
        text += f"\n{HAND_MEASURED}\n\n{hand}"
    return text.rstrip() + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all, and write the doc)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a smoke run)")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument(
        "--write", action="store_true", help="with NAMEs: rewrite their sections of the doc (keeps the rest)"
    )
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
    if not args.names or args.write:
        previous = args.doc.read_text() if args.doc.is_file() else ""
        if previous.strip() and "<!-- bench:" not in previous and HAND_MEASURED not in previous:
            # A doc from before the section markers: nothing of it is lost, it is kept below the line.
            print(f"{args.doc} has no section markers: its old text is kept below {HAND_MEASURED}",
                  file=sys.stderr)  # fmt: skip
            previous = f"{HAND_MEASURED}\n\n{previous}"
        args.doc.write_text(markdown(results, args.quick, previous, order=list(found)))
        print(f"wrote {args.doc}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
