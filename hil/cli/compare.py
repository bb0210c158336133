"""`hil compare RUN_A RUN_B`: what changed between two runs, metric by metric, with significance."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hil.cli.common import DEFAULT_DB, DbOption, JsonOption, out

if TYPE_CHECKING:
    from rich.console import Console

HELP = (
    "Compare two runs metric by metric, with significance and verdicts.\n\n"
    "Results are matched by board x model x precision x clip; each metric's change comes with its "
    "significance and verdict, and the results only one run has are listed.\n\n"
    "Latency is compared on the raw per-frame times (Mann-Whitney U, two-sided) and needs a median ratio of "
    "at least 1.10 and 0.05 ms to count; accuracy with a two-proportion test and a 2-point minimum drop; "
    "energy only when measured; memory by +10 %. A fingerprint change (toolchain, power mode, clocks) is "
    "shown: such results are not comparable as a series.\n\n"
    "Examples:\n\n"
    "  hil compare 20260101-020000-ab12 20260102-020000-cd34\n\n"
    "  hil compare A B --json | jq '.matched[].metrics[] | select(.verdict == \"regression\")'"
)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


_KEYS = ("board", "model", "precision", "clip")
_STYLE = {"regression": "bold red", "improved": "green", "noisy": "yellow", "no_baseline": "dim"}


def render_comparison(doc: dict[str, Any], run_a: str, run_b: str, console: Console) -> None:
    """The matched metrics as a table that fits the terminal: a key every row shares moves into the title;
    cells are plain Text (board and clip names are user data, never markup)."""
    from rich.text import Text

    from hil.report.layout import Column, dropped_note, fit_table, print_table

    rows: list[tuple[dict[str, str], list[str | Text]]] = []
    notes: list[str] = []
    for m in doc["matched"]:
        key = m["key"]
        for c in m["metrics"]:
            if c["verdict"] == "no_baseline" and c["new"] is None:
                continue
            values = [_fmt(c["baseline"]), _fmt(c["new"]), _fmt(c["ratio"]), _fmt(c["p_value"])]
            verdict = Text(c["verdict"], style=_STYLE.get(c["verdict"], ""))
            rows.append((key, [c["metric"], *values, verdict]))
        if m["fingerprint_change"]:
            changed = ", ".join(f"{k}: {v[0]} -> {v[1]}" for k, v in m["fingerprint_change"].items())
            notes.append(
                f"{' '.join(key[k] for k in _KEYS)}: fingerprint changed ({changed}), not one series"
            )
    constant = [k for k in _KEYS if rows and len({r[0][k] for r in rows}) == 1]
    varying = [k for k in _KEYS if k not in constant]
    title = " · ".join([f"{run_a} -> {run_b}", *(rows[0][0][k] for k in constant)])
    columns = [
        *(Column(k, 2 if k == "model" else 0, fold=k == "clip", short="prec" if k == "precision" else None)
          for k in varying),
        Column("metric"), Column("A", 0, "right"), Column("B", 0, "right"),
        Column("ratio", 0, "right"), Column("p", 1, "right"), Column("verdict"),
    ]  # fmt: skip
    cells = [[*(key[k] for k in varying), *rest] for key, rest in rows]
    fitted = fit_table(console, columns, cells, title)
    print_table(console, fitted.table)
    note = dropped_note(fitted.dropped, f"every column: hil compare {run_a} {run_b} --json")
    if note is not None:
        console.print(note, highlight=False, soft_wrap=False)
    for line in notes:
        console.print(Text(line, style="yellow"), highlight=False)


def compare(
    run_a: Annotated[str, typer.Argument(help="The earlier run (the baseline).")],
    run_b: Annotated[str, typer.Argument(help="The later run.")],
    json_out: JsonOption = False,
    db: DbOption = DEFAULT_DB,
) -> None:
    from hil.errors import ConfigError
    from hil.report.compare import compare_runs
    from hil.store.reader import StoreReader

    with StoreReader.open(db) as store:
        for run_id in (run_a, run_b):
            if store.run_info(run_id) is None:
                raise ConfigError(f"no run {run_id} in {db}", hint="list runs with `hil history`")
        doc = compare_runs(store, run_a, run_b)
    if json_out:
        out.print(json.dumps(doc, indent=2), markup=False, highlight=False, emoji=False)
        return
    render_comparison(doc, run_a, run_b, out)
    for side in ("a", "b"):
        for key in doc["unmatched"][side]:
            only = run_a if side == "a" else run_b
            out.print(f"only in {only}: {' '.join(key.values())}", markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    app.command("compare", help=HELP)(compare)
