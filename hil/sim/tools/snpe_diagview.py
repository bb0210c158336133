"""Emulated `snpe-diagview` (SNPE 2.22): prints a diagnostic log written by the emulated snpe-net-run.

    snpe-diagview --input_log output/SNPEDiag.log [--output diag.csv]

Text on stdout, in the layout and units of a real capture (SNPE 2.9, ../shared/real-logs/snpe-01.txt):
the `Interpreting file serialized with Flatbuffer` line, the header lines, the `Dnn Runtime
Load/Deserialize/Create/De-Init Statistics:` and `Average SNPE Statistics:` sections with every time in
`us` (averages over all inferences of the log, as snpe-diagview reports them), and `Layer Times:` when the
run profiled layers, in that section's own row format `N: T us : CPU` (no layer name: names belong to the
newer `Per-Layer Execution Times` section). Every layer ran on the host CPU, so the runtime column says
CPU and the unit is us whatever runtime was asked for; a real DSP run prints cycles there, a simulated one
never does. Statistics a simulated board cannot measure (RPC and accelerator times) are not printed at all,
never printed as 0: hil's parser then reports them as absent (None).

`--output FILE` also writes every record as CSV, one row per value, with the columns
`Log Id,Message Name,Message Type,Message Value,Unit of Measurement,Execution`; per-inference rows are
`TOTAL_INFERENCE_TIME` / `FORWARD_PROPAGATE_TIME` with the inference's index under `Execution`, averages are
`AVG_TOTAL_INFERENCE_TIME` / `AVG_FORWARD_PROPAGATE_TIME`, create statistics `LOAD`, `DESERIALIZE`,
`CREATE`, `INIT`, `DE_INIT`. (The name in the second column and the value in the fourth are where public
readers of the real CSV find them.) hil's harness takes per-frame inference times from these rows.

Faults (key "snpe-diagview"): hang, crash.
"""

from __future__ import annotations

import csv
import sys
import time
from pathlib import Path
from typing import Any

from hil.sim import faults
from hil.sim.tools import snpe_args
from hil.sim.tools.snpe_diaglog import DiagLog, DiagLogError, read_diag

COMMAND = "snpe-diagview"
PLATFORMS = ("qcs8255",)

USAGE = """\
usage: snpe-diagview --input_log DIAG_LOG [-h] [--output CSV_FILE]

Reads a diagnostic log and output the contents to stdout

required arguments:
    --input_log     DIAG_LOG
                    Diagnostic log file (required)
optional arguments:
    --output        CSV_FILE
                    Output CSV file with all diagnostic data (optional)
"""
# Printed by a real diagview, never by the emulated one: a simulated board cannot measure them.
NOT_MEASURED = ("RPC Init Time", "Snpe Accelerator Init Time", "Accelerator Init Time")
NOT_MEASURED_EXEC = ("RPC Execute Time", "Snpe Accelerator Time", "Accelerator Time", "Misc Accelerator Time")
CSV_HEADER = ["Log Id", "Message Name", "Message Type", "Message Value", "Unit of Measurement", "Execution"]


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    fault = faults.fault_for(COMMAND)
    if fault == "hang":
        faults.hang()
    try:
        args = snpe_args.parse(argv, {"-h", "--help"}, {"--input_log", "--output"})
    except snpe_args.ArgError as exc:
        print(f"{exc}\n{USAGE}", file=sys.stderr)
        return 1
    if args.has("-h") or args.has("--help"):
        print(USAGE)
        return 0
    if not args.get("--input_log"):
        print(f"Missing required argument: --input_log\n{USAGE}", file=sys.stderr)
        return 1
    try:
        log = read_diag(Path(args.get("--input_log")))
    except DiagLogError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    if fault == "crash":
        print(render(log)[:200], flush=True)
        faults.crash()
    print(render(log), end="")
    if args.get("--output"):
        write_csv(log, Path(args.get("--output")))
    return 0


def _avg(log: DiagLog, key: str) -> int | None:
    values = [e[key] for e in log.executions if e.get(key) is not None]
    return round(sum(values) / len(values)) if values else None


def render(log: DiagLog) -> str:
    header, create = log.header, log.create
    created = header.get("created", 0.0)
    lines = [
        "",
        "Interpreting file serialized with Flatbuffer",
        f"CREATE NETWORK: {create.get('create_network_us', 0)}",
        f"Log File Created: {time.strftime('%a %b %d %H:%M:%S %Y', time.localtime(created))}",
        "Time Scale: 1e-06",
        f"Epoch Timestamp: {round(created * 1e6)} Steady Clock Timestamp: {header.get('steady_us', 0)}",
        f"Software library version: {header.get('version', '')}",
        "",
        "Dnn Runtime Load/Deserialize/Create/De-Init Statistics:",
        "-" * 50,
    ]
    for label, key in (("Load", "load_us"), ("Deserialize", "deserialize_us"), ("Create", "create_us")):
        lines += _stat(label, create.get(key))
    lines.append("")
    lines += _stat("Init", create.get("init_us"))
    lines += _stat("De-Init", log.deinit_us)
    lines.append("")
    lines += _stat("Create Network(s)", create.get("create_network_us"))
    lines += ["", "Average SNPE Statistics:", "-" * 30]
    lines += _stat("Total Inference Time", _avg(log, "total_us"))
    lines += _stat("Forward Propagate Time", _avg(log, "forward_us"))
    layers = average_layers(log)
    if layers:
        lines += ["", "Layer Times: ", "-" * 15]
        lines += [f"{i}: {us} us : CPU" for i, (_name, us) in enumerate(layers)]
    return "\n".join(lines) + "\n"


def _stat(label: str, value: int | None) -> list[str]:
    """`Label: N us`, or nothing when the log has no such measurement (never a made-up 0)."""
    return [] if value is None else [f"{label}: {value} us"]


def average_layers(log: DiagLog) -> list[tuple[str, int]]:
    """Mean time of each layer over the inferences that profiled it, in first-seen order."""
    sums: dict[str, list[int]] = {}
    for execution in log.executions:
        for name, _op, us in execution.get("layers") or []:
            sums.setdefault(name, []).append(int(us))
    return [(name, round(sum(v) / len(v))) for name, v in sums.items()]


def csv_rows(log: DiagLog) -> list[list[Any]]:
    rows: list[list[Any]] = []

    def add(name: str, value: int | None, execution: int | str = "") -> None:
        if value is not None:
            rows.append([len(rows), name, "STATISTIC", value, "us", execution])

    create = log.create
    for name, key in (("LOAD", "load_us"), ("DESERIALIZE", "deserialize_us"), ("CREATE", "create_us")):
        add(name, create.get(key))
    add("INIT", create.get("init_us"))
    add("CREATE_NETWORK", create.get("create_network_us"))
    for execution in log.executions:
        add("TOTAL_INFERENCE_TIME", execution.get("total_us"), execution["index"])
        add("FORWARD_PROPAGATE_TIME", execution.get("forward_us"), execution["index"])
        for name, _op, us in execution.get("layers") or []:
            add(f"LAYER:{name}", us, execution["index"])
    add("AVG_TOTAL_INFERENCE_TIME", _avg(log, "total_us"))
    add("AVG_FORWARD_PROPAGATE_TIME", _avg(log, "forward_us"))
    add("DE_INIT", log.deinit_us)
    return rows


def write_csv(log: DiagLog, path: Path) -> None:
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_HEADER)
        writer.writerows(csv_rows(log))


if __name__ == "__main__":
    sys.exit(main())
