"""`hil show RUN --result N`: every figure of one result, one per line, for any terminal width.

The run table keeps only what fits; this view is where the columns a narrow terminal hid are read.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from hil.measure.headline import headline_of
from hil.records import JobResult
from hil.report import cells


def _latency(r: JobResult) -> list[tuple[str, Text | str]]:
    lat = r.latency_ms
    if lat is None:
        return [("latency", Text(cells.MISSING, style="dim"))]
    rows: list[tuple[str, Text | str]] = [(f"latency ({r.latency_kind})", f"n={lat.n} frames, in ms")]
    for name in ("min", "mean", "p50", "p90", "p99", "max"):
        value = getattr(lat, name)
        rows.append((f"  {name}", cells.percentile(value, name, lat.n)))
    return rows


def _budgets(r: JobResult) -> list[tuple[str, Text | str]]:
    rows: list[tuple[str, Text | str]] = []
    for name, ok in r.budgets.model_dump().items():
        mark = cells.verdict(ok)
        mark.append("  within budget" if ok else ("  not judged" if ok is None else "  FAILED"), style="dim")
        rows.append((f"  {name}", mark))
    profile = f"profile {r.budget_profile}" if r.budget_profile else ""
    rows += [("  not judged", Text(note, style="dim")) for note in r.budget_notes]
    return [("budgets", profile), *rows, *_loss(r)]


def _loss(r: JobResult) -> list[tuple[str, Text | str]]:
    """The loss gate's checks: each figure, the board's and the FP32 reference's value, the change and the
    allowance that judged it (or why it was not judged)."""
    if not r.loss:
        return []
    head = f"vs {r.loss.get('reference', 'fp32')} on the same frames, {r.precision} allowance "
    allowed_pt = r.loss.get("allowed_pt")
    head += f"{allowed_pt:g} pt" if isinstance(allowed_pt, int | float) else cells.MISSING
    rows: list[tuple[str, Text | str]] = [("loss", head)]
    for check in r.loss.get("checks") or []:
        mark = cells.verdict(check.get("ok"))
        if check.get("ok") is None:
            mark.append(f"  not judged: {check.get('note', '')}", style="dim")
        elif check.get("unit") == "events":
            found, ref = int(check.get("board") or 0), int(check.get("reference") or 0)
            mark.append(f"  found {found}, fp32 found {ref} (an event class found at fp32 must be found)")
        else:
            change, unit, allowed = check.get("change"), check.get("unit", ""), check.get("allowed")
            shown = "" if change is None else f"{change:+.1f} {unit}".replace("-", "\u2212")
            limit = f"{allowed:g}" if isinstance(allowed, int | float) else cells.MISSING
            mark.append(
                f"  {_figure(check.get('board'))} vs {_figure(check.get('reference'))}: {shown}"
                f" (allowed {limit} {unit})"
            )
        rows.append((f"  {check.get('figure')}", mark))
    return rows


def _figure(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4f}" if value == 0 or abs(value) >= 1e-3 else f"{value:.3g}"
    return cells.MISSING if value is None else str(value)


def _task(r: JobResult) -> list[tuple[str, Text | str]]:
    """The card task's metrics (detection, landmarks, regression), nested maps one line each."""
    if r.task is None or r.task == "classification":
        return []
    rows: list[tuple[str, Text | str]] = [("task", r.task)]
    if r.task_metrics is None:
        return [*rows, ("task metrics", Text("– (the clip has no labels for this task)", style="dim"))]
    first = headline_of(r.task, None, None).metric  # the headline figure first, then the rest
    ordered = sorted(r.task_metrics.items(), key=lambda item: item[0] != first)
    for key, value in ordered:
        if not isinstance(value, dict):
            rows.append((f"  {key}", _figure(value)))
            continue
        for name, inner in value.items():
            label = f"  {key} {name}"
            shown = (
                ", ".join(f"{k} {_figure(v)}" for k, v in inner.items())
                if isinstance(inner, dict)
                else _figure(inner)
            )
            rows.append((label, shown))
    return rows


def _parity(r: JobResult) -> list[tuple[str, Text | str]]:
    if r.parity is None:
        return []
    rows: list[tuple[str, Text | str]] = [("parity", f"vs {r.parity.reference}, {r.parity.frames} frames")]
    for name, p in r.parity.outputs.items():
        top1 = "" if p.top1_agreement is None else f", top-1 {p.top1_agreement:.3f}"
        rows.append((f"  {name}", f"max abs {p.max_abs:.3g}, cosine {p.cosine:.5f}{top1}"))
    if r.parity.boxes is not None:
        shown = ", ".join(f"{k} {_figure(v)}" for k, v in r.parity.boxes.items())
        rows.append(("  decoded boxes", shown))
    return rows


def _energy(r: JobResult) -> Text:
    """Energy per frame; from modelled power it is modelled too, and marked so."""
    if r.power_source != "sim-model" or r.energy_mj_per_frame is None:
        return cells.number(r.energy_mj_per_frame, 2)
    return Text.assemble(
        (cells.MODELLED, "dim"),
        (f"{r.energy_mj_per_frame:.2f}", "italic"),
        ("  (from modelled power)", "dim"),
    )


def result_rows(r: JobResult) -> list[tuple[str, Text | str]]:
    """(label, cell) pairs: identity, outcome, every measurement, budgets, provenance."""
    power = cells.power(r.power_w, r.power_source)
    if r.power_source:
        power.append(f"  ({r.power_source})", style="dim")
    rows: list[tuple[str, Text | str]] = [
        ("board", f"{r.board} ({r.platform})"),
        ("model", r.model),
        ("precision", r.precision),
        ("clip", r.clip),
        ("status", cells.status(r.status)),
    ]
    if r.stage:
        rows.append(("stage", r.stage))
    if r.error:
        rows.append(("error", Text(r.error)))
    rows += [
        ("accuracy", cells.headline(r.task, r.accuracy, r.task_metrics)),
        *_task(r),
        ("frames", f"{r.frames} scored, {r.warmup_frames} warm-up"),
        *_latency(r),
        ("device latency ms", cells.number(r.device_latency_ms, 2)),
        ("fps", cells.number(r.fps)),
        ("power W", power),
        ("energy mJ/frame", _energy(r)),
        ("memory peak MB", cells.number(r.memory_peak_mb, 0)),
        *_parity(r),
        *_budgets(r),
        ("conversion", "none: engine supplied" if r.engine == "supplied" else cells.seconds(r.conversion_s)),
        ("engine", _engine(r)),
        ("engine key", r.engine_key or Text(cells.MISSING, style="dim")),
        ("pushed", cells.size(r.bytes_pushed)),
        ("model sha256", r.model_sha256 or Text(cells.MISSING, style="dim")),
        ("source", r.source),
    ]
    for name, metrics in r.per_class.items():
        shown = ", ".join(f"{k} {v:.3f}" for k, v in metrics.items() if v is not None)
        rows.append((f"class {name}", shown or Text(cells.MISSING, style="dim")))
    for key, value in sorted(r.fingerprint.items()):
        if key not in ("engine", "engine_sha256"):  # shown in the engine row
            rows.append((f"board {key}", value))
    return rows


def render_result(run_id: str, index: int, r: JobResult, console: Console) -> None:
    table = Table.grid(padding=(0, 2))
    table.title = Text(f"run {run_id} · result {index}")
    table.title_justify = "left"
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for label, cell in result_rows(r):
        # Text, not markup: a label such as "recall[phone]" is shown as it is.
        table.add_row(Text(label), Text(cell) if isinstance(cell, str) else cell)
    console.print(table, highlight=False, soft_wrap=False)


def _engine(r: JobResult) -> Text:
    """Its size; for an engine given with `hil run --engine`, `supplied` and its sha256."""
    shown = cells.size(r.engine_bytes)
    if r.engine == "supplied":
        shown.append(f"  supplied, sha256 {r.fingerprint.get('engine_sha256', '?')}")
    return shown
