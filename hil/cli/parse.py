"""`hil parse KIND FILE`: show what hil reads from a vendor tool's output, as tables or as JSON.

The same parsers read the tools' output during `hil run`; this command lets a user check a capture
from their own board before trusting hil with it, and gives scripts the normalized JSON (`--json`).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from statistics import fmean
from typing import Annotated, Any

import typer
from rich.table import Table

from hil.cli.common import JsonOption, err, out, print_json
from hil.errors import ConfigError
from hil.parsers.detect import detect_kind, parse
from hil.parsers.qnn import QnnProfileReport
from hil.parsers.tegrastats import TegrastatsReport
from hil.parsers.ti_perf import TiPerfReport
from hil.parsers.tidl import TidlReport
from hil.parsers.trtexec import TrtexecReport


class Kind(StrEnum):
    auto = "auto"
    trtexec = "trtexec"
    tegrastats = "tegrastats"
    snpe_diagview = "snpe-diagview"
    snpe_throughput = "snpe-throughput"
    qnn_profile = "qnn-profile"
    tidl_log = "tidl-log"
    tidl_report = "tidl-report"
    ti_perf_stats = "ti-perf-stats"
    hwmon = "hwmon"
    thermal = "thermal"


HELP = """Parse a vendor tool's output into hil's normalized form and show it.

\b
KIND says which tool printed FILE:
  trtexec          trtexec stdout, TensorRT 7-11 (several runs per file)
  tegrastats       tegrastats lines, JetPack 4-6 (stdout or --logfile)
  snpe-diagview    snpe-diagview stdout for an SNPEDiag_*.log
  snpe-throughput  snpe-throughput-net-run stdout
  qnn-profile      qnn-profile-viewer stdout
  tidl-log         edgeai-tidl-tools compile or inference log
  tidl-report      edgeai-benchmark report_*.csv
  ti-perf-stats    TI perf_stats / app_perf_stats report (TDA4VM core,
                   accelerator and DDR loads, temperatures)
  hwmon            INA3221/INA226 sysfs as `path:value` lines, made by
                   grep . /sys/class/hwmon/hwmon*/{name,label,*_label,*_input}
  thermal          clocks, temperatures, throttle indicators as `path:value`:
                   grep . /sys/class/thermal/*/* /sys/devices/system/cpu/cpufreq/*/*
  auto             guess the KIND from the text

FILE may be - for standard input. Text that is not what KIND expects is an error (exit 2), \
never a half-filled result. docs/parsers.md lists every JSON key and its unit.

\b
Examples:
  hil parse trtexec build.log
  hil parse auto board-07/tegrastats.log --json | jq '.samples | length'
  hil parse trtexec build.log --json | jq '.invocations[0].latency_ms.p99'
"""

_TIMINGS = (
    ("Latency (host)", "latency_ms"),
    ("GPU compute", "gpu_compute_ms"),
    ("H2D", "h2d_ms"),
    ("D2H", "d2h_ms"),
    ("Enqueue", "enqueue_ms"),
)
_STATS = ("min", "mean", "median", "p90", "p95", "p99", "max")
_MAX_ROWS = 40
_WIDE = 6  # records with more fields than this read better as one key/value table each
# The report columns worth a glance; every column is in --json.
_REPORT_COLUMNS = (
    "model_id",
    "runtime_name",
    "num_subgraphs",
    "infer_time_core_ms",
    "ddr_transfer_mb",
    "metric_name",
    "metric_8bits",
    "metric_reference",
)


def register(app: typer.Typer) -> None:
    app.command("parse", help=HELP)(parse_command)


def parse_command(
    kind: Annotated[Kind, typer.Argument(help="Which tool printed FILE (see above), or auto.")],
    file: Annotated[Path, typer.Argument(help="The captured output; `-` reads standard input.")],
    as_json: JsonOption = False,
) -> None:
    text = _read(file)
    name = detect_kind(text) if kind is Kind.auto else kind.value
    result = parse(name, text)
    if as_json:
        print_json(json.dumps(result.model_dump(mode="json"), indent=2, ensure_ascii=False))
        return
    if kind is Kind.auto:
        err.print(f"detected KIND: {name}", style="dim")
    if isinstance(result, TrtexecReport):
        _show_trtexec(result)
    elif isinstance(result, TegrastatsReport):
        _show_tegrastats(result)
    elif isinstance(result, QnnProfileReport):
        _show_qnn(result)
    elif isinstance(result, TidlReport):
        _show_tidl_report(result)
    elif isinstance(result, TiPerfReport):
        _show_ti_perf(result)
    else:
        _show(name, result.model_dump(mode="json"))


def _read(file: Path) -> str:
    if str(file) == "-":
        return sys.stdin.read()
    if not file.is_file():
        what = "is a folder, not a file" if file.is_dir() else "does not exist"
        raise ConfigError(f"{file} {what}", hint="give the path of a captured tool output, or - for stdin")
    # Captures come from many machines; a stray byte must not stop the parser from reading the rest.
    return file.read_bytes().decode("utf-8-sig", errors="replace")


def _num(value: Any, digits: int = 6) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}g}" if abs(value) < 1e6 else f"{value:.0f}"
    return str(value)


def _precision(names: Sequence[str] | None) -> str:
    if names is None:
        return "precision unknown (loaded engine)"
    return "+".join(names) or "precision ?"


def _show_trtexec(report: TrtexecReport) -> None:
    for index, run in enumerate(report.invocations, start=1):
        colour = "green" if run.status == "passed" else "red"
        title = (
            f"trtexec run {index}: [{colour}]{run.status}[/]  TensorRT {run.tensorrt_version or '?'}  "
            f"{_precision(run.precision)}  batch {_num(run.batch)}  "
            f"throughput {_num(run.throughput_qps)} qps"
        )
        table = Table(title=title, title_justify="left")
        table.add_column("ms", no_wrap=True)
        for stat in _STATS:
            table.add_column(stat, justify="right")
        for label, key in _TIMINGS:
            stats = getattr(run, key)
            if stats is not None:
                table.add_row(label, *(_num(getattr(stats, stat), digits=4) for stat in _STATS))
        if not table.rows:
            table.add_row("no performance summary", *("" for _ in _STATS))
        out.print(table)


def _show_tegrastats(report: TegrastatsReport) -> None:
    samples = report.samples
    span = f"{samples[0].timestamp} .. {samples[-1].timestamp}" if samples[0].timestamp else "no timestamps"
    table = Table(title=f"tegrastats: {len(samples)} samples ({span})", title_justify="left")
    for column in ("", "min", "mean", "max"):
        table.add_column(column, justify="right" if column else "left")
    series: dict[str, list[float]] = {"RAM used MB": [s.ram_used_mb for s in samples]}
    series["GPU load %"] = [s.gpu_load_pct for s in samples if s.gpu_load_pct is not None]
    series["GPU MHz"] = [s.gpu_freq_mhz for s in samples if s.gpu_freq_mhz is not None]
    for sample in samples:
        for name, rail in sample.rails.items():
            series.setdefault(f"{name} mW", []).append(rail.current_mw)
        for name, temp in sample.temps_c.items():
            series.setdefault(f"{name} °C", []).append(temp)
    for label, values in series.items():
        if values:
            table.add_row(label, _num(min(values)), _num(round(fmean(values), 1)), _num(max(values)))
    out.print(table)
    out.print("[dim]rail mean is over the samples' current readings; --json prints every sample[/]")


def _show_qnn(report: QnnProfileReport) -> None:
    if report.log_file_created:
        out.print(f"qnn-profile-viewer log created {report.log_file_created}")
    for section in report.sections:
        title = section.title + (f" / {section.graph}" if section.graph else "")
        table = Table(title=title, title_justify="left", show_header=False)
        table.add_column("key")
        table.add_column("value", justify="right")
        for key, value in section.values.items():
            table.add_row(key, _num(value))
        out.print(table)


def _show_tidl_report(report: TidlReport) -> None:
    columns = [column for column in _REPORT_COLUMNS if column in report.columns] or report.columns
    table = Table(title=f"edgeai-benchmark report: {len(report.rows)} rows", title_justify="left")
    for column in columns:
        table.add_column(column)
    for row in report.rows[:_MAX_ROWS]:
        table.add_row(*(_num(row.get(column)) for column in columns))
    out.print(table)
    out.print(f"[dim]columns shown: {len(columns)} of {len(report.columns)}; --json prints every cell[/]")


def _show_ti_perf(report: TiPerfReport) -> None:
    last = report.samples[-1]
    title = f"TI perf_stats: {len(report.samples)} report(s); the last one"
    table = Table(title=title, title_justify="left")
    for column in ("unit", "load %", "HWI %", "SWI %", "other"):
        table.add_column(column)
    for core, load in last.cpu.items():
        table.add_row(core, _num(load.total_pct), _num(load.hwi_pct), _num(load.swi_pct), "")
    for name, hwa in last.hwa.items():
        table.add_row(name, _num(hwa.load_pct), "", "", f"{hwa.mpixels_per_s} MP/s")
    for name, ddr in last.ddr.items():
        bandwidth = f"avg {ddr.avg_mb_per_s} MB/s, peak {_num(ddr.peak_mb_per_s)}"
        table.add_row(f"DDR {name}", "", "", "", bandwidth)
    for name, temp in last.temps_c.items():
        table.add_row(name, "", "", "", f"{temp:.2f} °C")
    out.print(table)
    out.print("[dim]loads are TI's `%3d.%2d`: `0. 5 %` reads 0.05 %; --json has every report and task[/]")


def _show(title: str, data: dict[str, Any], top: bool = True) -> None:
    """Any other result: scalars in one table, then a table per mapping or list of records."""
    scalars = Table(title=title, title_justify="left", show_header=False)
    scalars.add_column("key")
    scalars.add_column("value")
    nested: list[tuple[str, Any]] = []
    for key, value in data.items():
        if isinstance(value, dict | list):
            nested.append((key, value))
        else:
            scalars.add_row(key, _num(value))
    if scalars.rows:
        out.print(scalars)
    for key, value in nested:
        _show_nested(key if top else f"{title} / {key}", value)


def _show_nested(title: str, value: dict[str, Any] | list[Any]) -> None:
    if isinstance(value, dict):
        if value and all(isinstance(item, dict) for item in value.values()):
            for name, item in value.items():
                _show_nested(f"{title}: {name}", item)
            return
        if value:
            _show(title, value, top=False)
        else:
            out.print(f"[dim]{title}: none[/]")
        return
    records = [item for item in value if isinstance(item, dict)]
    if not records:
        out.print(f"{title}: {', '.join(_num(item) for item in value) or '[dim]none[/]'}")
        return
    flat = [item for item in records if not any(isinstance(v, dict | list) for v in item.values())]
    if len(flat) < len(records) or len(records[0]) > _WIDE:
        for index, record in enumerate(records, start=1):
            _show(f"{title} {index}", record, top=False)
        return
    table = Table(title=title, title_justify="left")
    for column in records[0]:
        table.add_column(column)
    for record in records[:_MAX_ROWS]:
        table.add_row(*(_num(record.get(column)) for column in records[0]))
    out.print(table)
    if len(records) > _MAX_ROWS:
        out.print(f"[dim]{len(records) - _MAX_ROWS} more rows; --json prints them all[/]")
