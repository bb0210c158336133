"""`hil compare RUN_A RUN_B`: what changed between two runs, metric by metric, with significance."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from hil.cli.common import DEFAULT_DB, DbOption, JsonOption, out

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


def compare(
    run_a: Annotated[str, typer.Argument(help="The earlier run (the baseline).")],
    run_b: Annotated[str, typer.Argument(help="The later run.")],
    json_out: JsonOption = False,
    db: DbOption = DEFAULT_DB,
) -> None:
    from rich.table import Table

    from hil.errors import ConfigError
    from hil.report.compare import compare_runs
    from hil.store.db import Store

    with Store.open(db, create=False) as store:
        for run_id in (run_a, run_b):
            if store.run_info(run_id) is None:
                raise ConfigError(f"no run {run_id} in {db}", hint="list runs with `hil history`")
        doc = compare_runs(store, run_a, run_b)
    if json_out:
        out.print(json.dumps(doc, indent=2), markup=False, highlight=False, emoji=False)
        return
    table = Table(title=f"{run_a} -> {run_b}", title_justify="left", header_style="bold")
    for name in ("board", "model", "precision", "clip", "metric", "A", "B", "ratio", "p", "verdict"):
        table.add_column(name, no_wrap=True)
    style = {"regression": "bold red", "improved": "green", "noisy": "yellow", "no_baseline": "dim"}
    for m in doc["matched"]:
        key = m["key"]
        for c in m["metrics"]:
            if c["verdict"] == "no_baseline" and c["new"] is None:
                continue
            table.add_row(
                key["board"], key["model"], key["precision"], key["clip"], c["metric"],
                _fmt(c["baseline"]), _fmt(c["new"]), _fmt(c["ratio"]), _fmt(c["p_value"]),
                f"[{style[c['verdict']]}]{c['verdict']}[/]" if c["verdict"] in style else c["verdict"],
            )  # fmt: skip
        if m["fingerprint_change"]:
            changed = ", ".join(f"{k}: {v[0]} -> {v[1]}" for k, v in m["fingerprint_change"].items())
            cells = [key["board"], key["model"], key["precision"], key["clip"], "fingerprint", "", "", "", ""]
            table.add_row(*cells, f"[yellow]changed: {changed}[/]")
    out.print(table)
    for side in ("a", "b"):
        for key in doc["unmatched"][side]:
            only = run_a if side == "a" else run_b
            out.print(f"only in {only}: {' '.join(key.values())}", markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    app.command("compare", help=HELP)(compare)
