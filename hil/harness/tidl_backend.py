#!/usr/bin/env python3
"""TIDL runtime for hil's harness: ONNX Runtime with TIDLExecutionProvider on a compiled artifacts folder.

As a harness backend (`board_harness.py --backend tidl_backend --backend-options '{"stats": FILE}'`):
load(artifacts, threads, options) opens the model named in the folder's param.yaml with
providers ['TIDLExecutionProvider', 'CPUExecutionProvider'] and provider option artifacts_folder; every
infer() appends TIDL's own statistics for that frame (get_TI_benchmark_data) to the stats file.

As a program, after the harness (`tidl_backend.py --merge-stats FILE --frames frames.jsonl`): puts TIDL's
times into the harness's frame records. Per frame `infer_ms` becomes TIDL's run time (ts:run_end -
ts:run_start) and the harness's own measurement stays as `host_infer_ms`, with `tidl_proc_ms` (subgraph
processing) and `tidl_copy_ms` (copies in and out); `total_ms` stays the host's end-to-end time. Frames
without TIDL statistics keep the harness's times; the summary says which (`timing`). Then it prints the
`Completed_Model` line of TI's examples (DDR traffic as 18446744073709.55 when the counter is missing).

Imports nothing from hil: the standard library, numpy and ONNX Runtime (TI's build).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np

DDR_UNAVAILABLE_MB = 18446744073709.55
TIDL_RUN = "TIDLExecutionProvider"


def zip_exact(a: Sequence[Any], b: Sequence[Any]) -> list[tuple[Any, Any]]:
    """zip(a, b, strict=True) for the boards' Python 3.8: pairs, or ValueError when the lengths differ."""
    if len(a) != len(b):
        raise ValueError(f"zip_exact: {len(a)} items against {len(b)}")
    return list(zip(a, b))


def frame_stats(stats: dict[str, int]) -> dict[str, Any]:
    """One run's TIDL statistics in milliseconds; None where TIDL did not report the value."""
    names = [k[len("ts:") : -len("_proc_start")] for k in stats if k.endswith("_proc_start")]

    def span(start: str, end: str) -> float:
        return sum(stats[f"ts:{n}_{end}"] - stats[f"ts:{n}_{start}"] for n in names) / 1e6

    run = None
    if "ts:run_start" in stats and "ts:run_end" in stats:
        run = (stats["ts:run_end"] - stats["ts:run_start"]) / 1e6
    keys = ("ddr:read_start", "ddr:read_end", "ddr:write_start", "ddr:write_end")
    ddr = None
    if all(k in stats for k in keys):
        ddr = (stats[keys[1]] - stats[keys[0]] + stats[keys[3]] - stats[keys[2]]) / 1e6
    return {
        "run_ms": run,
        "proc_ms": span("proc_start", "proc_end") if names else None,
        "copy_ms": span("copy_in_start", "copy_in_end") + span("copy_out_start", "copy_out_end")
        if names
        else None,
        "subgraphs": len(names),
        "ddr_mb": ddr,
    }


def model_of(folder: Path) -> Path:
    """The model named by the artifacts folder's param.yaml (session: model_path), beside it."""
    try:
        text = (folder / "param.yaml").read_text()
    except OSError:
        raise SystemExit(
            f"tidl_backend: ERROR: {folder} holds no param.yaml: not a compiled artifacts folder"
        ) from None
    found = re.search(r"^\s*model_path:\s*(\S+)\s*$", text, re.MULTILINE)
    if not found:
        raise SystemExit(f"tidl_backend: ERROR: {folder}/param.yaml names no session model_path")
    return folder / found.group(1).strip("'\"")


class TidlBackend:
    name = "onnxruntime + TIDLExecutionProvider"

    def __init__(self, folder: str, threads: int, options: dict[str, Any]) -> None:
        os.environ["TIDL_RT_PERFSTATS"] = "1"  # TI's runtime records statistics only when asked
        import onnxruntime as rt

        if TIDL_RUN not in rt.get_available_providers():
            raise SystemExit(
                f"tidl_backend: ERROR: this onnxruntime has no {TIDL_RUN} (TI's build is needed)"
            )
        so = rt.SessionOptions()
        so.intra_op_num_threads = threads
        so.log_severity_level = 3
        self.session = rt.InferenceSession(
            str(model_of(Path(folder))),
            providers=[TIDL_RUN, "CPUExecutionProvider"],
            provider_options=[{"artifacts_folder": folder}, {}],
            sess_options=so,
        )
        inp = self.session.get_inputs()[0]
        self.input_name = inp.name
        self.input_shape = [d if isinstance(d, int) and d > 0 else 1 for d in inp.shape]
        self.output_names = [o.name for o in self.session.get_outputs()]
        stats = options.get("stats")
        self.stats: TextIO | None = open(stats, "w") if stats else None  # noqa: SIM115 (lives with the process)

    def infer(self, tensor: np.ndarray) -> list[np.ndarray]:
        out = [np.asarray(x) for x in self.session.run(None, {self.input_name: tensor})]
        if self.stats is not None:
            get = getattr(self.session, "get_TI_benchmark_data", None)
            self.stats.write(json.dumps(frame_stats(get() if get else {})) + "\n")
            self.stats.flush()
        return out


def load(path: str, threads: int, options: dict[str, Any]) -> TidlBackend:
    return TidlBackend(path, threads, options)


# -- after the harness: TIDL's times into the frame records -----------------------------------------------


def merge(stats_path: Path, frames_path: Path) -> dict[str, Any]:
    """Rewrite the frames file with TIDL's times; returns the summary's `tidl` section."""
    stats = [json.loads(line) for line in stats_path.read_text().splitlines() if line.strip()]
    lines = [json.loads(line) for line in frames_path.read_text().splitlines() if line.strip()]
    records = [r for r in lines if "summary" not in r]
    if len(stats) != len(records):
        raise SystemExit(
            f"tidl_backend: ERROR: {len(stats)} TIDL statistics for {len(records)} frames in {frames_path}"
        )
    timed = 0
    for record, s in zip_exact(records, stats):
        if s["run_ms"] is None:
            continue
        timed += 1
        record["host_infer_ms"] = record["infer_ms"]
        record["infer_ms"] = round(s["run_ms"], 4)
        record["tidl_proc_ms"] = None if s["proc_ms"] is None else round(s["proc_ms"], 4)
        record["tidl_copy_ms"] = None if s["copy_ms"] is None else round(s["copy_ms"], 4)

    def mean(key: str) -> float | None:
        values = [s[key] for s in stats if s[key] is not None]
        return round(sum(values) / len(values), 4) if values else None

    ddr = mean("ddr_mb") if all(s["ddr_mb"] is not None for s in stats) else None
    section = {
        "run_ms": mean("run_ms"),
        "proc_ms": mean("proc_ms"),
        "subgraphs": max((s["subgraphs"] for s in stats), default=0),
        "ddr_rw_mb": ddr,
    }
    for r in lines:
        if "summary" in r:
            r["summary"]["timing"] = "tidl-stats" if stats and timed == len(stats) else "harness"
            r["summary"]["tidl"] = section
    tmp = frames_path.with_name(frames_path.name + ".tmp")
    tmp.write_text("".join(json.dumps(r) + "\n" for r in lines))
    os.replace(tmp, frames_path)
    return section


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--merge-stats", required=True, help="the stats file the backend wrote")
    parser.add_argument("--frames", required=True, help="the harness's frames file, rewritten in place")
    parser.add_argument("--name", default="", help="model name for the Completed_Model line")
    args = parser.parse_args(argv)
    frames = Path(args.frames)
    section = merge(Path(args.merge_stats), frames)
    name = args.name or frames.parent.name
    ddr = DDR_UNAVAILABLE_MB if section["ddr_rw_mb"] is None else section["ddr_rw_mb"]
    total, offload = section["run_ms"] or 0.0, section["proc_ms"] or 0.0
    print(f"\n \nCompleted_Model : {1:5d}, Name : {name:50s}, Total time : {total:10.2f}, "
          f"Offload Time : {offload:10.2f} , DDR RW MBs : {ddr}, Output File : {frames} \n \n ")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
