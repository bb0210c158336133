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
        inference), postprocess_ms = reading R/output/Result_<i>/*.raw + argmax (+ with --task-json the
        card's decoder, board_harness.task_decoder, on the outputs by name; measured here), and write
        board_harness's JSON-lines format, then the summary line. Raw inputs and results are deleted after.

Memory: `peak_rss_mb` is the peak resident set size of the snpe-net-run process (CPU-side memory, which
includes the runtime's host buffers); memory the DSP or GPU driver maps outside the process is not in it.
Timing: snpe-net-run processes the whole input list as a batch, so per-frame start/end times are
RECONSTRUCTED (summary `timing: "reconstructed"`): the frames' measured decode + preprocess + inference +
postprocess times laid one after another on one pipeline (board_harness.camera_schedule), camera-paced with
--fps by the same drop and deadline rules as board_harness. The power windows (`windows`, wall-clock epoch)
are measured: the timed frames' span in `prepare`, the last sum(timed inference times) of the snpe-net-run
process (its model load comes first), and the timed frames' span in `collect`.
Parity: every output raw of the first board_harness.PARITY_FRAMES frames goes to R/parity.npz (flat float32,
in SNPE's layout; names in the summary).
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


def snpe_layout(tensor: np.ndarray) -> np.ndarray:
    """The DLC layout of a 4-D input: snpe-onnx-to-dlc (without --input_layout) reads every 4-D ONNX input as
    NCHW and keeps it channel-last, so the ONNX tensor's axes (0, 2, 3, 1) are written, whatever the model's
    own layout (an NHWC graph's [1, H, W, C] input becomes [1, W, C, H] in the DLC, as SNPE makes it)."""
    if tensor.ndim == 4:
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
    frames = (
        board_harness.frames_from_npy(args.frames)
        if args.frames
        else board_harness.frames_from_clip(args.clip)
    )
    started = board_harness.process_start_epoch()
    paths: list[str] = []
    with open(os.path.join(rundir, "prep.jsonl"), "w") as prep:
        for index, (frame, decode_ms) in enumerate(frames):
            if args.max_frames and index >= args.max_frames:
                break
            t0, e0 = time.perf_counter(), time.time()
            tensor = snpe_layout(board_harness.preprocess(frame, spec))
            path = os.path.join(rundir, "inputs", f"frame_{index:06d}.raw")
            tensor.astype(np.float32).tofile(path)
            preprocess_ms = (time.perf_counter() - t0) * 1000.0
            row = {"index": index, "decode_ms": decode_ms, "preprocess_ms": preprocess_ms}
            row["frame_size"] = list(board_harness.frame_size_of(frame))
            row.update(start_epoch=e0 - decode_ms / 1000.0, end_epoch=time.time())
            prep.write(json.dumps(row) + "\n")
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
    started = time.time()
    try:
        rc = subprocess.call(command)
    except OSError as exc:
        print(f"snpe_replay: cannot run {command[0]}: {exc}", file=sys.stderr)
        return 127
    ended = time.time()
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # kilobytes on Linux
    with open(args.rusage, "w") as fh:
        json.dump({"command": command[0], "rc": rc, "maxrss_kb": peak_kb, "start": started, "end": ended}, fh)
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


def result_files(folder: str) -> list[str]:
    """The output raws of one inference, by name (SNPE writes one file per output, in no order)."""
    found = sorted(
        os.path.join(root, name)
        for root, _, names in os.walk(folder)
        for name in names
        if name.endswith(".raw")
    )
    if not found:
        raise SystemExit(f"snpe_replay: snpe-net-run wrote no output in {folder}")
    return found


def collect(args: argparse.Namespace) -> int:
    rundir = args.rundir
    output = os.path.join(rundir, "output")
    with open(os.path.join(rundir, "meta.json")) as fh:
        meta = json.load(fh)
    with open(os.path.join(rundir, "prep.jsonl")) as fh:
        prepared = [json.loads(line) for line in fh if line.strip()]
    infer = inference_times(args.csv or os.path.join(output, "diag.csv"))
    period_s = 1.0 / args.fps if args.fps > 0 else 0.0
    parity = board_harness.ParityKeeper(board_harness.PARITY_FRAMES)
    decoder = board_harness.task_decoder(args.task_json)
    rows: list[dict[str, Any]] = []
    names: list[str] = []
    for frame in prepared:
        index = frame["index"]
        if index not in infer:
            raise SystemExit(f"snpe_replay: snpe-diagview reports no inference time for input {index}")
        t0, e0 = time.perf_counter(), time.time()
        files = result_files(os.path.join(output, f"Result_{index}"))
        outputs = [np.fromfile(f, dtype=np.float32) for f in files]
        flat = outputs[0]
        predicted = int(np.argmax(flat)) if flat.size else None
        names = names or [os.path.basename(f)[: -len(".raw")] for f in files]
        size = (int(frame["frame_size"][0]), int(frame["frame_size"][1])) if decoder is not None else (0, 0)
        decoded = decoder(outputs, names, size) if decoder is not None else None
        postprocess_ms = (time.perf_counter() - t0) * 1000.0
        total = frame["decode_ms"] + frame["preprocess_ms"] + infer[index] + postprocess_ms
        rows.append({"frame": frame, "outputs": outputs, "predicted": predicted, "post": postprocess_ms,
                     "total": total, "post_epoch": (e0, time.time()), "decoded": decoded})  # fmt: skip
    schedule = board_harness.camera_schedule([r["total"] / 1000.0 for r in rows], period_s)
    records: list[dict[str, Any]] = []
    dropped: list[int] = []
    with open(args.out, "w") as out:
        for row, slot in board_harness.zip_exact(rows, schedule):
            frame = row["frame"]
            index = frame["index"]
            if slot is None:
                dropped.append(index)
                continue
            parity.keep(index, row["outputs"])
            record = {
                "index": index,
                "warmup": index < args.warmup,
                "decode_ms": round(frame["decode_ms"], 4),
                "preprocess_ms": round(frame["preprocess_ms"], 4),
                "infer_ms": round(infer[index], 4),
                "postprocess_ms": round(row["post"], 4),
                "total_ms": round(row["total"], 4),
                "start_s": round(slot[0], 6),
                "end_s": round(slot[1], 6),
                "due_s": None if slot[2] is None else round(slot[2], 6),
                "predicted": row["predicted"],
                "output": [round(float(v), 6) for v in row["outputs"][0][: args.keep_outputs]],
            }
            if row["decoded"] is not None:
                record.update(decoded=row["decoded"], frame_size=frame["frame_size"])
            records.append(record)
            out.write(json.dumps(record) + "\n")
        parity_file = os.path.join(rundir, "parity.npz")
        parity.save(parity_file)
        misses = sum(1 for r in records if r["due_s"] is not None and r["end_s"] > r["due_s"] + period_s)
        summary = {
            "frames": len(records),
            "runtime": f"snpe-net-run ({args.runtime})",
            "peak_rss_mb": peak_rss_mb(os.path.join(rundir, "net-run.json")),
            "wall_s": round(time.time() - meta["started"], 4),
            "deadline_misses": misses if period_s else None,
            "target_fps": args.fps if period_s else None,
            "dropped": dropped,
            "warmup": args.warmup,
            "windows": measured_windows(rundir, rows, infer, args.warmup),
            "timing": "reconstructed",
            "launched_epoch": meta["started"],
            "output_names": names,
            "output_layout": "NHWC",
            "parity_file": parity_file,
        }
        out.write(json.dumps({"summary": summary}) + "\n")
    # Raw tensors are big (a 224x224x3 frame is 600 kB); the diag log and CSV stay for inspection.
    shutil.rmtree(os.path.join(rundir, "inputs"), ignore_errors=True)
    for name in os.listdir(output):
        if name.startswith("Result_"):
            shutil.rmtree(os.path.join(output, name), ignore_errors=True)
    return 0


def measured_windows(
    rundir: str, rows: list[dict[str, Any]], infer: dict[int, float], warmup: int
) -> list[list[float]]:
    """Epoch windows in which the timed frames were worked on: prepare, snpe-net-run, collect."""
    timed = [r for r in rows if r["frame"]["index"] >= warmup]
    if not timed:
        return []
    windows = [[timed[0]["frame"]["start_epoch"], timed[-1]["frame"]["end_epoch"]]]
    try:
        with open(os.path.join(rundir, "net-run.json")) as fh:
            end = float(json.load(fh)["end"])
        busy = sum(infer[r["frame"]["index"]] for r in timed) / 1000.0
        windows.append([end - busy, end])
    except (OSError, ValueError, KeyError):
        pass
    windows.append([timed[0]["post_epoch"][0], timed[-1]["post_epoch"][1]])
    return [[round(a, 6), round(b, 6)] for a, b in windows]


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
    c.add_argument("--task-json", default="", help="the card's task (JSON): decode each frame here")
    args = parser.parse_args(argv)
    step = {"prepare": prepare, "exec": execute, "collect": collect}[args.step]
    return int(step(args))


if __name__ == "__main__":
    sys.exit(main())
