#!/usr/bin/env python3
"""Compile an ONNX model for TI's TIDL, the edgeai-tidl-tools way. Runs ON the board or TIDL tools host.

    python3 tidl_compile.py --model m.onnx --artifacts DIR --tensor-bits 16 --calibration-frames 12 \\
        --calibration-iterations 5 [--calib-clip c.mp4 ...] [--input-json SPEC] [--prequantized] \\
        [--output-feature-16bit-names-list A,B] [--params-16bit-names-list C]

What examples/osrt_python/ort/onnxrt_ep.py -c does: an ONNX Runtime session with TIDLCompilationProvider
(options tidl_tools_path = $TIDL_TOOLS_PATH, artifacts_folder, tensor_bits, accuracy_level, debug_level,
advanced_options:calibration_frames / calibration_iterations / prequantized_model, and TIDL's mixed
precision lists advanced_options:output_feature_16bit_names_list / params_16bit_names_list when given,
comma-separated layer names as in the original model: docs/tidl_fsg_quantization.md, "C.1 Manual Mixed
Precision"), then exactly
calibration_frames frames through it (TIDL calibrates and writes the artifacts on the last one), then what
gen_param_yaml adds (param.yaml and a copy of the model), then the `Completed_Model` line. Calibration
frames are decoded from the clips and preprocessed as the harness does; without clips, a synthetic sweep
from black to white (with noise) stands in, and the log says so.

Imports nothing from hil: the standard library, numpy, ONNX Runtime (TI's build, with the TIDL providers)
and, to decode clips, board_harness.py beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import numpy as np
from board_harness import default_spec, frames_from_clip, preprocess

DDR_UNAVAILABLE_MB = 18446744073709.55  # what TI's tools print for a DDR counter they cannot read (2^64/1e6)


def benchmark(stats: dict[str, int]) -> tuple[float, float, float | None]:
    """(total ms, offload ms, DDR MB) of one run from get_TI_benchmark_data(), as TI's examples add them."""
    total = (stats.get("ts:run_end", 0) - stats.get("ts:run_start", 0)) / 1e6
    subgraphs = [k[len("ts:") : -len("_proc_start")] for k in stats if k.endswith("_proc_start")]
    offload = sum(stats[f"ts:{s}_proc_end"] - stats[f"ts:{s}_proc_start"] for s in subgraphs) / 1e6
    keys = ("ddr:read_start", "ddr:read_end", "ddr:write_start", "ddr:write_end")
    if not all(k in stats for k in keys):
        return total, offload, None
    moved = (
        stats["ddr:read_end"] - stats["ddr:read_start"] + stats["ddr:write_end"] - stats["ddr:write_start"]
    )
    return total, offload, moved / 1e6


def clip_frames(clips: list[str], count: int, spec: dict[str, Any]) -> list[np.ndarray]:
    """`count` preprocessed frames spread evenly over the clips and evenly in time within each."""
    import cv2

    tensors: list[np.ndarray] = []
    for n, clip in enumerate(clips):
        budget = count // len(clips) + (1 if n < count % len(clips) else 0)
        cap = cv2.VideoCapture(clip)
        total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) if cap.isOpened() else 0
        cap.release()
        if total <= 0:
            total = sum(1 for _ in frames_from_clip(clip))
        wanted = set(np.linspace(0, max(total - 1, 0), num=max(budget, 1)).round().astype(int).tolist())
        for index, (frame, _ms) in enumerate(frames_from_clip(clip)):
            if index in wanted:
                tensors.append(preprocess(frame, spec))
    if not tensors:
        raise SystemExit(f"tidl_compile: ERROR: no frame could be decoded from {', '.join(clips)}")
    return tensors


def synthetic_frames(count: int, spec: dict[str, Any]) -> list[np.ndarray]:
    """Mid-noise frames from black to white: covers the input range when no clip is given."""
    _, a, b, c = spec["shape"]
    height, width = (b, c) if spec.get("layout", "NCHW") == "NCHW" else (a, b)
    rng = np.random.default_rng(0)
    frames = []
    for level in np.linspace(0.0, 255.0, num=max(count, 1)):
        img = np.clip(rng.normal(level, 8.0, (height, width, 3)), 0, 255).astype(np.uint8)
        frames.append(preprocess(img, spec))
    return frames


def write_param_yaml(folder: Path, model_file: str, spec: dict[str, Any]) -> None:
    """param.yaml as gen_param_yaml writes it; mean/scale in TI's convention: (pixel - mean) * scale."""
    _, a, b, c = spec["shape"]
    layout = spec.get("layout", "NCHW")
    height, width = (b, c) if layout == "NCHW" else (a, b)
    s = float(spec.get("scale", 1.0 / 255.0))
    mean = [round(float(m) / s, 6) for m in spec.get("mean", [0.0])]
    scale = [round(s / float(d), 9) for d in spec.get("std", [1.0])]
    text = f"""postprocess:
  data_layout: {layout}
preprocess:
  crop: [{width}, {height}]
  data_layout: {layout}
  mean: {json.dumps(mean)}
  resize: [{width}, {height}]
  scale: {json.dumps(scale)}
session:
  artifacts_folder: ''
  model_folder: model
  model_path: {model_file}
  session_name: onnxrt
target_device: pc
task_type: classification
"""
    (folder / "param.yaml").write_text(text)


def fail(message: str, code: int) -> int:
    """An error line the platform quotes in its failure message (it looks for `tidl_compile: ERROR:`)."""
    print(f"tidl_compile: ERROR: {message}", file=sys.stderr)
    return code


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--model", required=True, help="the ONNX model (float, or QDQ with --prequantized)")
    p.add_argument("--artifacts", required=True, help="the artifacts folder to write (emptied first)")
    p.add_argument("--tensor-bits", type=int, choices=(8, 16), required=True)
    p.add_argument("--accuracy-level", type=int, default=1, help="0 simple, 1 bias calibration")
    p.add_argument("--calibration-frames", type=int, default=12)
    p.add_argument("--calibration-iterations", type=int, default=5)
    p.add_argument("--debug-level", type=int, default=1)
    p.add_argument("--prequantized", action="store_true", help="a QDQ model: keep its scales")
    p.add_argument("--calib-clip", action="append", default=[], help="clip to draw calibration frames from")
    p.add_argument("--input-json", default="", help="input spec from the model card (JSON)")
    p.add_argument("--output-feature-16bit-names-list", default="", help="layers kept 16 bit (A,B)")
    p.add_argument("--params-16bit-names-list", default="", help="layers whose parameters are 16 bit")
    p.add_argument("--tidl-tools-path", default=os.environ.get("TIDL_TOOLS_PATH", ""))
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # keep order with stderr
    import onnxruntime as rt

    available = rt.get_available_providers()
    print("Available execution providers : ", available)
    if "TIDLCompilationProvider" not in available:
        return fail(
            "this onnxruntime has no TIDLCompilationProvider (install TI's, from edgeai-tidl-tools)", 2
        )
    if not args.tidl_tools_path:
        return fail("TIDL_TOOLS_PATH is not set (source edgeai-tidl-tools' setup_env.sh)", 2)
    name = Path(args.model).name
    name = name[: -len(".onnx")] if name.endswith(".onnx") else name
    print(f"\nRunning 1 Models - ['{name}']\n\n\nRunning_Model :  {name}  \n")
    folder = Path(args.artifacts)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    options = {
        "tidl_tools_path": args.tidl_tools_path,
        "artifacts_folder": str(folder),
        "tensor_bits": args.tensor_bits,
        "accuracy_level": args.accuracy_level,
        "debug_level": args.debug_level,
        "advanced_options:calibration_frames": args.calibration_frames,
        "advanced_options:calibration_iterations": args.calibration_iterations,
        "advanced_options:prequantized_model": int(args.prequantized),
    }
    if args.output_feature_16bit_names_list:
        options["advanced_options:output_feature_16bit_names_list"] = args.output_feature_16bit_names_list
    if args.params_16bit_names_list:
        options["advanced_options:params_16bit_names_list"] = args.params_16bit_names_list
    os.environ["TIDL_RT_PERFSTATS"] = "1"
    so = rt.SessionOptions()
    so.log_severity_level = 3
    providers = ["TIDLCompilationProvider", "CPUExecutionProvider"]
    try:
        sess = rt.InferenceSession(
            args.model, providers=providers, provider_options=[options, {}], sess_options=so
        )
    except Exception as exc:  # the import's own error (ONNX Runtime and TI raise their own types)
        return fail(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__, 1)
    inp = sess.get_inputs()[0]
    shape = [d if isinstance(d, int) and d > 0 else 1 for d in inp.shape]
    spec = json.loads(args.input_json) if args.input_json else default_spec(shape)
    if args.calib_clip:
        frames = clip_frames(args.calib_clip, args.calibration_frames, spec)
    else:
        print(f"tidl_compile: no calibration clip given: {args.calibration_frames} synthetic frames "
              "(black to white with noise) stand in; pass clips for real calibration")  # fmt: skip
        frames = synthetic_frames(args.calibration_frames, spec)
    totals, offloads, ddr = [], [], []
    for i in range(args.calibration_frames):
        sess.run(None, {inp.name: frames[i % len(frames)]})
        total, offload, moved = benchmark(sess.get_TI_benchmark_data())
        totals.append(total)
        offloads.append(offload)
        ddr.append(moved)
    allowed = folder / "allowedNode.txt"
    if not allowed.is_file():
        return fail(f"TIDL wrote no artifacts to {folder}", 1)
    if int(allowed.read_text().split()[0]) == 0:
        return fail(f"TIDL offloaded no node of {name} to the accelerator: all would run on the ARM cores", 1)
    shutil.copyfile(args.model, folder / Path(args.model).name)
    write_param_yaml(folder, Path(args.model).name, spec)
    mb = DDR_UNAVAILABLE_MB if any(d is None for d in ddr) else sum(d or 0.0 for d in ddr) / len(ddr)
    total, offload = sum(totals) / len(totals), sum(offloads) / len(offloads)
    print(f"\n \nCompleted_Model : {1:5d}, Name : {name:50s}, Total time : {total:10.2f}, "
          f"Offload Time : {offload:10.2f} , DDR RW MBs : {mb}, Output File : {folder} \n \n ")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
