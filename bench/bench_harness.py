"""hil's on-board harness against a bare ONNX Runtime loop on the same model, on this host's CPU.

The harness (hil/harness/board_harness.py, run as on a board: a separate python process) decodes the
demo clip, preprocesses, infers and postprocesses each frame and times every stage. The anchor is the
least any tool could do: `session.run` in a loop on one ready tensor, same model, same thread count.
Figures: the harness's per-frame infer time (should be ~1x: the harness adds nothing around the runtime)
and its whole per-frame time (decode + preprocess + infer + postprocess: what a DMS pipeline pays).

    python bench/bench_harness.py [--json] [--quick]
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import onnxruntime as ort
from benchlib import Result, figure, main

REPO = Path(__file__).resolve().parents[1]
HARNESS = REPO / "hil" / "harness" / "board_harness.py"
MODEL = REPO / "artifacts" / "models" / "dms-small.onnx"
CLIP = REPO / "artifacts" / "clips" / "cabin-01.mp4"
WARMUP = 10


def _bare_loop(frames: int) -> list[float]:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    session = ort.InferenceSession(str(MODEL), opts, providers=["CPUExecutionProvider"])
    inp = session.get_inputs()[0]
    shape = [d if isinstance(d, int) else 1 for d in inp.shape]
    tensor = np.random.default_rng(0).random(shape, dtype=np.float32)
    times = []
    for i in range(frames + WARMUP):
        start = time.perf_counter()
        session.run(None, {inp.name: tensor})
        if i >= WARMUP:
            times.append((time.perf_counter() - start) * 1000.0)
    return times


def run(quick: bool = False) -> Result:
    max_frames = 60 if quick else 0
    with tempfile.TemporaryDirectory(prefix="hil-bench-") as tmp:
        out = Path(tmp) / "frames.jsonl"
        cmd = [sys.executable, str(HARNESS), "--engine", str(MODEL), "--clip", str(CLIP), "--out", str(out),
               "--warmup", str(WARMUP), "--threads", "1", "--max-frames", str(max_frames)]  # fmt: skip
        subprocess.run(cmd, check=True, capture_output=True)
        records = [json.loads(line) for line in out.read_text().splitlines()]
    frames = [r for r in records if "index" in r and not r["warmup"]]
    infer = statistics.median(r["infer_ms"] for r in frames)
    total = statistics.median(r["total_ms"] for r in frames)
    bare = statistics.median(_bare_loop(len(frames)))
    return {
        "name": "harness",
        "title": "Harness: per-frame time vs a bare ONNX Runtime loop",
        "figures": [
            figure("infer per frame, median", "ms", infer, "bare session.run loop", bare),
            figure("whole frame (decode+pre+infer+post), median", "ms", total, "bare session.run loop", bare),
        ],
        "notes": [
            f"{len(frames)} frames of {CLIP.name} after {WARMUP} warm-up, {MODEL.name}, 1 CPU thread, "
            "ONNX Runtime CPU provider on this host (a simulated board's runtime)"
        ],
    }


if __name__ == "__main__":
    main(run, __doc__)
