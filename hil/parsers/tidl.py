"""Parse TI TIDL output: edgeai-tidl-tools logs (compile and inference) and edgeai-benchmark report CSVs.

Logs (`tidl-log`). One `TidlModelRun` per model, opened by `Running_Model : <name>` (or by a
`Completed_Model` line naming a model not seen before), holding:

- subgraph counts: compile `Preliminary number of subgraphs:1 , 34 nodes delegated out of 34 nodes` and
  `Final number of subgraphs:1 , 34 nodes delegated to accelerator` (TFLite), ONNX `Final number of
  subgraphs created are : 1, - Offloaded Nodes - 52, Total Nodes - 52`, inference `Number of
  subgraphs:1 , 11 nodes delegated out of 12 nodes`;
- the `Completed_Model : 1, Name : ..., Total time : N, Offload Time : N , DDR RW MBs : N, Output File :
  ...` line: times are ms per frame. `DDR RW MBs : 18446744073709.55` is 2^64/1e6, an unavailable
  counter (PC emulation), so any value that large is None, never a bandwidth.

- the per-frame rows of TIDL's reference (PC emulation, `REF_ONLY FLOW`) runs of a compile, one per frame
  and calibration pass: `#    0 . .. T    2224.85  .... ..... ... .... .....` -> `ref_only_frame_times`, in
  the order printed. TIDL prints no unit on these rows, so hil keeps the number and names no unit;
- the memory statistics TIDL's runtime prints when it shuts down (`MEM: Alloc's: 26 alloc's of 89155080
  bytes`, `MEM: Free's : 26 free's  of 89155080 bytes`, `MEM: Open's : 0 allocs  of 0 bytes`; newer SDKs
  print `DDR_SHARED_MEM:` instead of `MEM:`): the only memory figures TIDL prints. `mem_open_bytes` is what
  was still allocated at shut-down (a leak when > 0).

When several models run in parallel their lines interleave; subgraph counts, frame rows and memory
statistics go to the model named by the latest `Running_Model` line (the memory block follows the model's
`Completed_Model` line).

Reports (`tidl-report`). The CSV that edgeai-benchmark writes (`report_*.csv`). Column sets differ
between releases (older ones add `metric_16bits`, `metric_32bits`, `perfsim_*`), so every column is
kept under its header in snake_case; values become numbers where they are numbers, the literal `None`
and empty cells become None, and the DDR sentinel becomes None as above.
"""

from __future__ import annotations

import csv
import io
import re

from pydantic import Field

from hil.parsers.text import NUMBER, ParsedModel, not_recognised, number, snake

# 2^64 / 1e6 = 18446744073709.55; no real per-frame transfer comes near 1e12 MB.
_DDR_SENTINEL_MB = 1e12
_RUNNING = re.compile(r"^Running_Model\s*:\s*(\S+)")
_PRELIMINARY = re.compile(
    r"Preliminary number of subgraphs\s*:\s*(\d+)\s*,\s*(\d+) nodes delegated out of (\d+)"
)
_FINAL_TFL = re.compile(r"Final number of subgraphs\s*:\s*(\d+)\s*,\s*(\d+) nodes delegated")
_FINAL_ONNX = re.compile(r"Final number of subgraphs created are\s*:\s*(\d+)\D*?(\d+)\D*?Total Nodes\D*(\d+)")
_INFERENCE = re.compile(r"^Number of subgraphs\s*:\s*(\d+)\s*,\s*(\d+) nodes delegated out of (\d+)")
_COMPLETED = re.compile(r"^Completed_Model\s*:\s*(.*)$")
_COMPLETED_FIELDS = {
    "name": "name",
    "total time": "total_time_ms",
    "offload time": "offload_time_ms",
    "ddr rw mbs": "ddr_rw_mbs",
    "output file": "output_file",
    "output image file": "output_file",
}
# `#    0 . .. T    2224.85  .... ..... ... .... .....`: frame index, then the frame's time after `T`.
_REF_FRAME = re.compile(rf"^#\s*(\d+)\s+\.\s+\.\.\s+T\s+({NUMBER})\b")
# `MEM: Alloc's: 26 alloc's of 89155080 bytes`, `MEM: Free's : 26 free's  of ...`, `MEM: Open's : ...`
# Newer SDKs print the same block as `DDR_SHARED_MEM: Alloc's: ...` (TI's app_mem appMemPrintMemAllocInfo).
_MEM = re.compile(
    r"^(?:DDR_SHARED_)?MEM:\s*(Alloc|Free|Open)'s\s*:\s*(\d+)\s+\S+\s+of\s+(\d+)\s+bytes", re.IGNORECASE
)
_NAME_COLUMNS = {"model_id", "model_name", "artifact_name", "model_path", "run_dir"}


class TidlModelRun(ParsedModel):
    name: str | None
    preliminary_subgraphs: int | None = None
    preliminary_nodes_delegated: int | None = None
    preliminary_nodes_total: int | None = None
    subgraphs: int | None = None  # the final (compile) or runtime (inference) count
    nodes_delegated: int | None = None
    nodes_total: int | None = None
    completed: bool = False
    total_time_ms: float | None = None
    offload_time_ms: float | None = None
    ddr_rw_mbs: float | None = None
    output_file: str | None = None
    ref_only_frame_times: list[float] = Field(default_factory=list)  # unit not printed by TIDL
    mem_allocs: int | None = None
    mem_alloc_bytes: int | None = None
    mem_frees: int | None = None
    mem_free_bytes: int | None = None
    mem_opens: int | None = None  # allocations still open at shut-down
    mem_open_bytes: int | None = None


class TidlLogReport(ParsedModel):
    models: list[TidlModelRun]


class TidlReport(ParsedModel):
    columns: list[str]
    rows: list[dict[str, str | int | float | None]]


def parse_tidl_log(text: str) -> TidlLogReport:
    """Per-model subgraph counts and timings from an edgeai-tidl-tools log. Raises ParseError if none."""
    runs: dict[str, TidlModelRun] = {}
    current: TidlModelRun | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if found := _RUNNING.match(line):
            current = runs.setdefault(found.group(1), TidlModelRun(name=found.group(1)))
        elif found := _COMPLETED.match(line):
            fields = _completed(found.group(1))
            name = fields.get("name") or (current.name if current else None)
            if name not in runs and current is not None and current.name is None:
                current.name = name  # counts seen before any Running_Model line belong to this model
                runs[str(name)] = runs.pop("None")
            run = runs.setdefault(str(name), TidlModelRun(name=name))
            _apply_completed(run, fields)
            current = run  # the memory block TIDL prints at shut-down follows this line
        elif found := _REF_FRAME.match(line):
            _model(runs, current).ref_only_frame_times.append(float(found.group(2)))
        elif found := _MEM.match(line):
            kind = found.group(1).lower()
            run = _model(runs, current)
            setattr(run, f"mem_{kind}s", int(found.group(2)))
            setattr(run, f"mem_{kind}_bytes", int(found.group(3)))
        elif counts := _counts(line):
            if current is None:
                current = runs.setdefault("None", TidlModelRun(name=None))
            for key, value in counts.items():
                setattr(current, key, value)
    models = [run for run in runs.values() if run.completed or run.subgraphs is not None or _has_prelim(run)]
    if not models:
        raise not_recognised(
            "TIDL log",
            "`Completed_Model : ...` or `number of subgraphs ...` lines from edgeai-tidl-tools",
        )
    return TidlLogReport(models=models)


def _has_prelim(run: TidlModelRun) -> bool:
    return run.preliminary_subgraphs is not None or bool(run.ref_only_frame_times)


def _model(runs: dict[str, TidlModelRun], current: TidlModelRun | None) -> TidlModelRun:
    """The model a line belongs to: the latest one named, or an unnamed one before any name."""
    return current if current is not None else runs.setdefault("None", TidlModelRun(name=None))


def _counts(line: str) -> dict[str, int]:
    if found := _PRELIMINARY.search(line):
        keys = ("preliminary_subgraphs", "preliminary_nodes_delegated", "preliminary_nodes_total")
        return dict(zip(keys, map(int, found.groups()), strict=True))
    if found := _FINAL_ONNX.search(line) or _INFERENCE.match(line):
        return dict(
            zip(("subgraphs", "nodes_delegated", "nodes_total"), map(int, found.groups()), strict=True)
        )
    if found := _FINAL_TFL.search(line):
        return {"subgraphs": int(found.group(1)), "nodes_delegated": int(found.group(2))}
    return {}


def _completed(rest: str) -> dict[str, str]:
    """`    1, Name : x   , Total time :  1.00, ...` -> {"name": "x", "total time": "1.00", ...}."""
    fields: dict[str, str] = {}
    for part in rest.split(","):
        label, colon, value = part.partition(":")
        if colon:
            fields[label.strip().lower()] = value.strip()
        elif part.strip() and not part.strip().isdigit() and "name" not in fields:
            fields["name"] = part.strip()  # the oldest scripts print only the model name
    return fields


def _apply_completed(run: TidlModelRun, fields: dict[str, str]) -> None:
    run.completed = True
    for label, key in _COMPLETED_FIELDS.items():
        value = fields.get(label)
        if value is None or key == "name":
            continue
        if key == "output_file":
            run.output_file = value
        elif re.fullmatch(NUMBER, value):
            setattr(run, key, _megabytes(float(value)) if key == "ddr_rw_mbs" else float(value))


def _megabytes(value: float) -> float | None:
    return None if value >= _DDR_SENTINEL_MB else value


def parse_tidl_report(text: str) -> TidlReport:
    """Every row of an edgeai-benchmark report CSV, typed. Raises ParseError when it is not one."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    columns = [snake(cell) for cell in rows[0]] if rows else []
    if not _NAME_COLUMNS & set(columns) or len(rows) < 2:
        raise not_recognised(
            "edgeai-benchmark report CSV",
            "a header naming `model_id` (or `artifact_name`, `model_path`) followed by at least one row",
        )
    return TidlReport(columns=columns, rows=[_report_row(columns, row) for row in rows[1:]])


def _report_row(columns: list[str], row: list[str]) -> dict[str, str | int | float | None]:
    if len(row) != len(columns):
        raise not_recognised(
            "edgeai-benchmark report CSV", f"rows of {len(columns)} cells like its header (got {len(row)})"
        )
    return {column: _cell(column, cell.strip()) for column, cell in zip(columns, row, strict=True)}


def _cell(column: str, cell: str) -> str | int | float | None:
    if cell in ("", "None"):
        return None
    if not re.fullmatch(NUMBER, cell) or re.fullmatch(r"-?0\d+", cell):
        return cell  # text, or an identifier with leading zeros that a number would mangle
    value = number(cell)
    if "ddr" in column and value >= _DDR_SENTINEL_MB:
        return None
    return value
