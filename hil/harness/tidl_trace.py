#!/usr/bin/env python3
"""TIDL layer traces of a few frames, the way TI's docs/tidl_osr_debug.md describes. Runs ON the board.

    python3 tidl_trace.py --artifacts DIR --out OUT frame_0.npy frame_1.npy ...

For each frame (a float32 .npy holding the model's input tensor): remove the last run's traces from the
trace folder, run the model with ONNX Runtime's TIDLExecutionProvider on the compiled artifacts folder with
the inference option `debug_level` 4 ("Fixed point and floating point traces", examples/osrt_python/
README.md), and move the `tidl_trace_*` files it wrote into OUT/frame_<i>/ (TI: "Copy all the layer level
traces from /tmp to a folder"). The artifacts' `tempDir/*layer_info.txt` (dataId -> the name in the
original model) is copied into OUT. The trace folder is /tmp (on a simulated board, $HIL_BOARD_ROOT/tmp).

Imports nothing from hil: the standard library, numpy, ONNX Runtime (TI's build) and tidl_backend.py beside
it. Python 3.8.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

import numpy as np
from tidl_backend import TIDL_RUN, model_of

TRACE_LEVEL = 4


def trace_folder() -> Path:
    return Path(os.environ.get("HIL_BOARD_ROOT", "") + "/tmp")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--artifacts", required=True, help="the compiled artifacts folder")
    p.add_argument("--out", required=True, help="where each frame's traces go (OUT/frame_<i>/)")
    p.add_argument("frames", nargs="+", help="float32 .npy input tensors, one per frame")
    args = p.parse_args(argv)
    import onnxruntime as rt

    if TIDL_RUN not in rt.get_available_providers():
        print(f"tidl_trace: ERROR: this onnxruntime has no {TIDL_RUN}", file=sys.stderr)
        return 2
    folder = Path(args.artifacts)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    options = {"artifacts_folder": str(folder), "debug_level": TRACE_LEVEL}
    so = rt.SessionOptions()
    so.log_severity_level = 3
    sess = rt.InferenceSession(
        str(model_of(folder)),
        providers=[TIDL_RUN, "CPUExecutionProvider"],
        provider_options=[options, {}],
        sess_options=so,
    )
    name = sess.get_inputs()[0].name
    traces = trace_folder()
    traces.mkdir(parents=True, exist_ok=True)
    for index, frame in enumerate(args.frames):
        for old in traces.glob("tidl_trace_*"):
            old.unlink()
        sess.run(None, {name: np.load(frame)})
        dest = out / f"frame_{index}"
        dest.mkdir(parents=True, exist_ok=True)
        moved = 0
        for trace in sorted(traces.glob("tidl_trace_*")):
            shutil.move(str(trace), str(dest / trace.name))
            moved += 1
        print(f"tidl_trace: frame {index}: {moved} trace file(s)")
    for info in sorted((folder / "tempDir").glob("*layer_info.txt")):
        shutil.copyfile(str(info), str(out / info.name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
