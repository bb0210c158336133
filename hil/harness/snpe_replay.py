#!/usr/bin/env python3
"""hil's replay steps around Qualcomm's snpe-net-run, run ON the board (standard library and numpy only).

snpe-net-run takes raw tensors listed in an input list and writes raw outputs, so a replay is three steps
around it (the qcs8255 platform chains them in one shell line):

    python3 snpe_replay.py prepare --clip C --rundir R [--input-json SPEC] [--max-frames N]
        decode + preprocess every frame (board_harness's code, so identical to other platforms), write
        R/inputs/frame_<i>.raw (float32, SNPE layout: NCHW inputs become NHWC) and R/input_list.txt, and
        R/prep.jsonl with each frame's measured decode_ms and preprocess_ms (the raw write included).
    python3 snpe_replay.py exec --rusage R/net-run.json -- snpe-net-run ...
        run the command as a child and record its peak resident memory (getrusage of children).
    python3 snpe_replay.py collect --rundir R --out frames.jsonl [--warmup W] [--fps F] [--runtime DSP]
        per frame: infer_ms from snpe-diagview's CSV (R/output/diag.csv, TOTAL_INFERENCE_TIME of that
        inference), postprocess_ms = reading R/output/Result_<i>/*.raw + argmax (measured here), and write
        board_harness's JSON-lines format, then the summary line. Raw inputs and results are deleted after.

Memory: `peak_rss_mb` is the peak resident set size of the snpe-net-run process (CPU-side memory, which
includes the runtime's host buffers); memory the DSP or GPU driver maps outside the process is not in it.
Camera-paced replay (--fps): snpe-net-run runs free, so a frame counts as a deadline miss when its measured
decode + preprocess + inference + postprocess time exceeds the frame period.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # board_harness sits beside this file
import board_harness

SIM_DLC_MAGIC = b"HILSIM-SNPE-DLC\n"


def snpe_layout(tensor: np.ndarray, layout: str) -> np.ndarray:
    """SNPE takes 4-D image tensors channel-last: an NCHW tensor is written NHWC."""
    if tensor.ndim == 4 and layout == "NCHW":
        return np.ascontiguousarray(tensor.transpose(0, 2, 3, 1))
    return tensor


def spec_from_dlc(path: str) -> dict[str, Any]:
    """A model without a card: the input read from a simulated DLC's header (a real DLC needs the card)."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 20)
    if not head.startswith(SIM_DLC_MAGIC):
        raise SystemExit(
            "snpe_replay: this model has no card; the input shape and preprocessing of an SNPE replay come "
            "from the model card (write one next to the ONNX: <model>.card.yaml)"
        )
    header = json.loads(head[len(SIM_DLC_MAGIC) :].split(b"\n", 1)[0])
    first = next(iter(header["inputs"].values()))
    return board_harness.default_spec(list(first["onnx_dims"]))


def prepare(args: argparse.Namespace) -> int:
    rundir = args.rundir
    for sub in ("inputs", "output"):
        shutil.rmtree(os.path.join(rundir, sub), ignore_errors=True)
    os.makedirs(os.path.join(rundir, "inputs"))
    spec = json.loads(args.input_json) if args.input_json else spec_from_dlc(args.dlc)
    layout = spec.get("layout", "NCHW")
    frames = (
        board_harness.frames_from_npy(args.frames)
        if args.frames
        else board_harness.frames_from_clip(args.clip)
    )
    started = time.time()
    paths: list[str] = []
    with open(os.path.join(rundir, "prep.jsonl"), "w") as prep:
        for index, (frame, decode_ms) in enumerate(frames):
            if args.max_frames and index >= args.max_frames:
                break
            t0 = time.perf_counter()
            tensor = snpe_layout(board_harness.preprocess(frame, spec), layout)
            path = os.path.join(rundir, "inputs", f"frame_{index:06d}.raw")
            tensor.astype(np.float32).tofile(path)
            preprocess_ms = (time.perf_counter() - t0) * 1000.0
            prep.write(
                json.dumps({"index": index, "decode_ms": decode_ms, "preprocess_ms": preprocess_ms}) + "\n"
            )
            paths.append(path)
    if not paths:
        print("snpe_replay: the clip has no frames", file=sys.stderr)
        return 3
    with open(os.path.join(rundir, "input_list.txt"), "w") as fh:
        fh.write("\n".join(paths) + "\n")
    with open(os.path.join(rundir, "meta.json"), "w") as fh:
        json.dump({"started": started, "frames": len(paths)}, fh)
    return 0


def execute(args: argparse.Namespace) -> int:
    command = [a for a in args.command if a != "--"]
    if not command:
        print("snpe_replay: exec needs a command after --", file=sys.stderr)
        return 2
    try:
        rc = subprocess.call(command)
    except OSError as exc:
        print(f"snpe_replay: cannot run {command[0]}: {exc}", file=sys.stderr)
        return 127
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # kilobytes on Linux
    with open(args.rusage, "w") as fh:
        json.dump({"command": command[0], "rc": rc, "maxrss_kb": peak_kb}, fh)
    return rc


def inference_times(path: str) -> dict[int, float]:
    """Execution index -> total inference time in ms, from snpe-diagview's CSV."""
    times: dict[int, float] = {}
    with open(path, newline="") as fh:
        for row in csv.reader(fh):
            if len(row) >= 6 and row[1] == "TOTAL_INFERENCE_TIME" and row[5].isdigit():
                scale = 1000.0 if row[4] == "us" else 1.0
                times[int(row[5])] = float(row[3]) / scale
    return times


def result_file(folder: str) -> str:
    """The output raw of one inference; with several outputs, the first by name (SNPE has no order)."""
    found = sorted(
        os.path.join(root, name)
        for root, _, names in os.walk(folder)
        for name in names
        if name.endswith(".raw")
    )
    if not found:
        raise SystemExit(f"snpe_replay: snpe-net-run wrote no output in {folder}")
    return found[0]


def collect(args: argparse.Namespace) -> int:
    rundir = args.rundir
    output = os.path.join(rundir, "output")
    with open(os.path.join(rundir, "meta.json")) as fh:
        meta = json.load(fh)
    with open(os.path.join(rundir, "prep.jsonl")) as fh:
        prepared = [json.loads(line) for line in fh if line.strip()]
    infer = inference_times(args.csv or os.path.join(output, "diag.csv"))
    period_ms = 1000.0 / args.fps if args.fps > 0 else 0.0
    misses = 0
    with open(args.out, "w") as out:
        for frame in prepared:
            index = frame["index"]
            if index not in infer:
                raise SystemExit(f"snpe_replay: snpe-diagview reports no inference time for input {index}")
            t0 = time.perf_counter()
            flat = np.fromfile(result_file(os.path.join(output, f"Result_{index}")), dtype=np.float32)
            predicted = int(np.argmax(flat)) if flat.size else None
            postprocess_ms = (time.perf_counter() - t0) * 1000.0
            total = frame["decode_ms"] + frame["preprocess_ms"] + infer[index] + postprocess_ms
            misses += int(bool(period_ms) and total > period_ms)
            record = {
                "index": index,
                "warmup": index < args.warmup,
                "decode_ms": round(frame["decode_ms"], 4),
                "preprocess_ms": round(frame["preprocess_ms"], 4),
                "infer_ms": round(infer[index], 4),
                "postprocess_ms": round(postprocess_ms, 4),
                "total_ms": round(total, 4),
                "predicted": predicted,
                "output": [round(float(v), 6) for v in flat[: args.keep_outputs]],
            }
            out.write(json.dumps(record) + "\n")
        summary = {
            "frames": len(prepared),
            "runtime": f"snpe-net-run ({args.runtime})",
            "peak_rss_mb": peak_rss_mb(os.path.join(rundir, "net-run.json")),
            "wall_s": round(time.time() - meta["started"], 4),
            "deadline_misses": misses if period_ms else None,
        }
        out.write(json.dumps({"summary": summary}) + "\n")
    # Raw tensors are big (a 224x224x3 frame is 600 kB); the diag log and CSV stay for inspection.
    shutil.rmtree(os.path.join(rundir, "inputs"), ignore_errors=True)
    for name in os.listdir(output):
        if name.startswith("Result_"):
            shutil.rmtree(os.path.join(output, name), ignore_errors=True)
    return 0


def peak_rss_mb(path: str) -> float | None:
    try:
        with open(path) as fh:
            return round(json.load(fh)["maxrss_kb"] / 1024.0, 2)
    except (OSError, ValueError, KeyError):
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    steps = parser.add_subparsers(dest="step", required=True)
    p = steps.add_parser("prepare", help="decode and preprocess the clip into raw tensors and an input list")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--clip", help="video file, decoded with OpenCV")
    source.add_argument("--frames", help=".npy of frames the host decoded")
    p.add_argument("--rundir", required=True)
    p.add_argument("--input-json", default="", help="input spec from the model card (JSON)")
    p.add_argument("--dlc", default="", help="the DLC, for a model without a card (simulated DLCs only)")
    p.add_argument("--max-frames", type=int, default=0)
    e = steps.add_parser("exec", help="run a command and record its peak memory")
    e.add_argument("--rusage", required=True)
    e.add_argument("command", nargs=argparse.REMAINDER)
    c = steps.add_parser("collect", help="write harness JSON lines from snpe-net-run's results")
    c.add_argument("--rundir", required=True)
    c.add_argument("--out", required=True)
    c.add_argument("--csv", default="", help="snpe-diagview --output CSV (default RUNDIR/output/diag.csv)")
    c.add_argument("--warmup", type=int, default=10)
    c.add_argument("--fps", type=float, default=0.0)
    c.add_argument("--runtime", default="CPU")
    c.add_argument("--keep-outputs", type=int, default=16)
    args = parser.parse_args(argv)
    step = {"prepare": prepare, "exec": execute, "collect": collect}[args.step]
    return int(step(args))


if __name__ == "__main__":
    sys.exit(main())
