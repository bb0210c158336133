"""How one value looks in a table cell: units, missing values, verdict marks, outcome colours.

Every renderer goes through these so that the run summary and the history agree on what "–", "n<662"
and "~" (modelled power) mean.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text

from hil.measure.headline import headline_of
from hil.measure.latency import MIN_SAMPLES

if TYPE_CHECKING:  # the history table renders cells without importing pydantic
    from hil.records import BudgetVerdicts

MISSING = "–"
# MLPerf's minimum sample counts: below them a percentile is noise, so it is named, never printed.
MIN_N = MIN_SAMPLES

STATUS_STYLE = {
    "pass": "bold green",
    "fail": "bold red",
    "regression": "bold magenta",
    "infra_error": "bold yellow",
    "skipped": "dim",
}


def status(outcome: str) -> Text:
    return Text(outcome, style=STATUS_STYLE.get(outcome, ""))


def number(value: float | None, digits: int = 1) -> Text:
    return Text(MISSING, style="dim") if value is None else Text(f"{value:.{digits}f}")


def percent(value: float | None) -> Text:
    """An accuracy in 0..1 shown as a percentage."""
    return Text(MISSING, style="dim") if value is None else Text(f"{100 * value:.1f} %")


def headline(task: str | None, accuracy: float | None, task_metrics: dict[str, Any] | None) -> Text:
    """The accuracy column: a classifier's accuracy as a percentage; another kind's headline figure,
    labelled (`AP50 0.931`, `NME 0.041`, `MAE 3.20`); `–` when there is none."""
    head = headline_of(task, accuracy, task_metrics)
    if head.metric == "accuracy":
        return percent(head.value)
    if head.value is None:
        return Text(MISSING, style="dim")
    digits = 2 if head.metric == "mae" else 3
    return Text.assemble((head.label + " ", "dim"), f"{head.value:.{digits}f}")


def percentile(value: float | None, name: str, n: int | None) -> Text:
    """A latency percentile in ms; without one, say why: too few samples (`n<662`) or no latency."""
    if value is not None:
        return Text(f"{value:.2f}")
    if n is not None and name in MIN_N and n < MIN_N[name]:
        return Text(f"n<{MIN_N[name]}", style="dim")
    return Text(MISSING, style="dim")


def power(watts: float | None, source: str | None) -> Text:
    """Mean power in W; a simulated board's figure is a model of CPU load, never a measurement."""
    if watts is None:
        return Text(MISSING, style="dim")
    if source == "sim-model":
        return Text.assemble((MODELLED, "dim"), (f"{watts:.2f}", "italic"))
    return Text(f"{watts:.2f}")


MODELLED = "~"
MODELLED_LEGEND = Text(
    f"{MODELLED} power (modelled): a simulated board's, from its CPU load, not measured",
    style="dim",
)

BUDGET_SHORT = {"latency": "lat", "power": "pwr", "memory": "mem", "accuracy": "acc"}


def budgets(verdicts: BudgetVerdicts) -> Text:
    """One cell for every budget: ✓ when each judged budget holds, ✗ and the failed ones' short names
    (lat, pwr, mem, acc), – when none could be judged. `hil show RUN --result N` lists each verdict."""
    failed = verdicts.failed()
    if failed:
        return Text("✗ " + ",".join(BUDGET_SHORT.get(name, name) for name in failed), style="bold red")
    if all(ok is None for ok in verdicts.model_dump().values()):
        return Text(MISSING, style="dim")
    return Text("✓", style="green")


def verdict(ok: bool | None) -> Text:
    if ok is None:
        return Text(MISSING, style="dim")
    return Text("✓", style="green") if ok else Text("✗", style="bold red")


def size(n_bytes: int | None) -> Text:
    """A byte count in binary units (KiB, MiB, GiB), as `ls -h` and disk quotas count them."""
    if n_bytes is None:
        return Text(MISSING, style="dim")
    if n_bytes < 1024:
        return Text(f"{n_bytes} B")
    value = n_bytes / 1024
    units = ["KiB", "MiB", "GiB", "TiB"]
    while value >= 1024 and len(units) > 1:
        value /= 1024
        units.pop(0)
    return Text(f"{value:.1f} {units[0]}")


def seconds(value: float | None) -> Text:
    return Text(MISSING, style="dim") if value is None else Text(f"{value:.1f} s")
