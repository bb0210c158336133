"""The emulated SNPE diagnostic log (`<output_dir>/SNPEDiag.log`): snpe-net-run writes it, snpe-diagview
reads it.

A real SNPEDiag.log is a FlatBuffers file; the simulated one is hil's own, JSON lines after a magic line:

    HILSIM-SNPEDIAG 1
    {"type": "header", "created": <epoch s>, "steady_us": <monotonic us>, "version": "2.22.0.240425",
     "runtime": "CPU" | "GPU" | "GPU_FP16" | "DSP", "profiling_level": "basic", "simulated": true}
    {"type": "create", "load_us": n, "deserialize_us": n, "create_us": n, "init_us": n,
     "create_network_us": n}
    {"type": "execute", "index": i, "total_us": n, "forward_us": n,
     "layers": [[name, op_type, us], ...] | null}
    ...
    {"type": "deinit", "deinit_us": n}

Every number is measured with time.perf_counter around the emulated runtime's own steps (see snpe_net_run).
Times a simulated board cannot measure (RPC and accelerator times of a DSP, cycles) are never recorded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAGIC = "HILSIM-SNPEDIAG 1"


@dataclass
class DiagLog:
    header: dict[str, Any] = field(default_factory=dict)
    create: dict[str, int] = field(default_factory=dict)
    executions: list[dict[str, Any]] = field(default_factory=list)
    deinit_us: int | None = None

    def lines(self) -> list[str]:
        out = [MAGIC, json.dumps({"type": "header", **self.header})]
        if self.create:
            out.append(json.dumps({"type": "create", **self.create}))
        out += [json.dumps({"type": "execute", **e}) for e in self.executions]
        if self.deinit_us is not None:
            out.append(json.dumps({"type": "deinit", "deinit_us": self.deinit_us}))
        return out

    def write(self, path: Path) -> None:
        path.write_text("\n".join(self.lines()) + "\n")


class DiagLogError(ValueError):
    pass


def read_diag(path: Path) -> DiagLog:
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise DiagLogError(f"Failed to open input log: {path}") from exc
    lines = text.splitlines()
    if not lines or lines[0] != MAGIC:
        raise DiagLogError(f"{path} is not a diagnostic log written by snpe-net-run")
    log = DiagLog()
    for raw in lines[1:]:
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise DiagLogError(f"{path}: damaged record ({exc})") from exc
        kind = record.pop("type", None)
        if kind == "header":
            log.header = record
        elif kind == "create":
            log.create = record
        elif kind == "execute":
            log.executions.append(record)
        elif kind == "deinit":
            log.deinit_us = record.get("deinit_us")
    return log
