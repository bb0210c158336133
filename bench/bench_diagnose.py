"""What a diagnosis costs against one ordinary replay of the same frames on the same (emulated) board engine.

The demo detector's INT8 QDQ model is converted once with the emulated SNPE tools (snpe-onnx-to-dlc,
snpe-dlc-quantize --override_params), as on a QCS8255's build host. On the same frames (the diagnosis's
own choice: the worst 4 of 64, written by hil.diagnose.diagnosis.write_snpe_inputs):

- anchor: `snpe-net-run --use_dsp` (the ordinary replay of those frames: the network outputs only);
- `snpe-net-run --use_dsp --debug` (every layer's output written: the board's share of a diagnosis);
- the whole diagnosis: that, plus the host side (FP32 and QDQ tensors through qdq_loss_debug, the per-layer
  comparison with the board's dump, and the one-layer-in-float ranking).

Orin (emulated trtexec, TensorRT 10.3): the same QDQ model built once with every float layer output marked
(`--markDebug`); on the same frames, one process per frame as hil's driver runs them:

- anchor: `trtexec --loadEngine --loadInputs` (one inference per frame, outputs only);
- the same with `--saveDebugTensors` of every marked tensor (the board's share of an Orin diagnosis).

Wall times of whole processes (each tool run is a fresh python process, as on a simulated board; frame
selection and the one-time conversions are not counted).

    python bench/bench_diagnose.py [--json] [--quick]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import Result, figure, main

REPO = Path(__file__).resolve().parents[1]
FP32 = REPO / "artifacts" / "models" / "dms-face.onnx"
INT8 = REPO / "artifacts" / "models" / "dms-face.int8.onnx"
CLIPS = REPO / "artifacts" / "clips"
FRAMES = 4


def _tool(module: str, *args: str | Path, cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", f"hil.sim.tools.{module}", *map(str, args)], check=True,
                   capture_output=True, cwd=cwd)  # fmt: skip
    return time.perf_counter() - start


def run(quick: bool = False) -> Result:
    from hil.artifacts.calibration import expand_clips
    from hil.diagnose.diagnosis import diagnose, frames_for, write_snpe_inputs

    rounds = 1 if quick else 3
    with tempfile.TemporaryDirectory(prefix="hil-bench-diag-") as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "board" / "run").mkdir(parents=True)
        os.environ["HIL_BOARD_ROOT"] = str(tmp / "board")
        os.environ["HIL_SIM_BOARD"] = f"bench-diagnose-{os.getpid()}"
        feeds = frames_for(FP32, expand_clips([CLIPS]), FRAMES, INT8)
        listing = write_snpe_inputs(feeds, tmp / "in")
        dims = ["--input_dim", "image", "1,64,64,1"]
        _tool("snpe_onnx_to_dlc", "-i", INT8, "-o", tmp / "f.dlc", *dims, cwd=tmp)
        _tool("snpe_dlc_quantize", "--input_dlc", tmp / "f.dlc", "--input_list", listing, "--override_params",
              "--output_dlc", tmp / "q.dlc", cwd=tmp)  # fmt: skip
        common = ["--container", tmp / "q.dlc", "--input_list", listing, "--use_dsp"]
        plain, debug, whole = [], [], []
        for i in range(rounds):
            plain.append(_tool("snpe_net_run", *common, "--output_dir", tmp / f"p{i}", cwd=tmp))
            board = _tool("snpe_net_run", *common, "--debug", "--output_dir", tmp / f"d{i}", cwd=tmp)
            debug.append(board)
            start = time.perf_counter()
            result = diagnose(FP32, INT8, feeds, snpe_dump=tmp / f"d{i}", rank=True)
            whole.append(board + time.perf_counter() - start)
        layers = len(result.board or [])
        trt_plain, trt_debug = _orin(tmp, feeds, rounds)
    med = sorted(plain)[len(plain) // 2], sorted(debug)[len(debug) // 2], sorted(whole)[len(whole) // 2]
    trt_anchor = f"trtexec --loadEngine --loadInputs, {FRAMES} frames (one process each)"
    anchor = f"snpe-net-run --use_dsp on the same {FRAMES} frames"
    return {
        "name": "diagnose",
        "title": f"Diagnosis of dms-face INT8, emulated QCS8255, {FRAMES} frames ({layers} board layers)",
        "figures": [
            figure("snpe-net-run --debug (every layer written)", "s", med[1], anchor, med[0]),
            figure("whole diagnosis (board dump + host + ranking)", "s", med[2], anchor, med[0]),
            figure("Orin: trtexec --saveDebugTensors (every layer)", "s", trt_debug, trt_anchor, trt_plain),
        ],
        "notes": [f"median of {rounds} round(s); the conversion (once) and frame selection are not counted"],
    }


def _orin(tmp: Path, feeds: list[dict[str, object]], rounds: int) -> tuple[float, float]:
    """(median s of the plain per-frame runs, of the debug-tensor runs), each summed over the frames."""
    import numpy as np
    import onnx

    from hil.diagnose.diagnosis import trt_marks

    marks = [f"'{m}'" for m in trt_marks(onnx.load(str(FP32)), onnx.load(str(INT8)))]
    engine = tmp / "traced.engine"
    build = [
        f"--onnx={INT8}",
        "--int8",
        "--fp16",
        "--shapes=image:1x64x64x1",
        f"--markDebug={','.join(marks)}",
    ]
    _tool("trtexec", *build, f"--saveEngine={engine}", "--skipInference", cwd=tmp)
    raws = []
    for i, feed in enumerate(feeds):
        raws.append(tmp / f"frame_{i}.raw")
        np.ascontiguousarray(next(iter(feed.values())), dtype=np.float32).tofile(raws[-1])
    once = ["--iterations=1", "--warmUp=0", "--duration=0"]
    _tool("trtexec", f"--loadEngine={engine}", f"--loadInputs=image:{raws[0]}", *once, cwd=tmp)  # warm caches
    plain, debug = [], []
    for r in range(rounds):  # plain and debug interleaved frame by frame, so both see the same machine
        p_total = d_total = 0.0
        for i, raw in enumerate(raws):
            p_total += _tool("trtexec", f"--loadEngine={engine}", f"--loadInputs=image:{raw}", *once, cwd=tmp)
            (tmp / f"t{r}_{i}").mkdir()
            save = ",".join(f"{m}:{tmp / f't{r}_{i}' / f'{k}.raw'}" for k, m in enumerate(marks))
            load = f"--loadInputs=image:{raw}"
            d_total += _tool(
                "trtexec", f"--loadEngine={engine}", load, f"--saveDebugTensors={save}", *once, cwd=tmp
            )
        plain.append(p_total)
        debug.append(d_total)
    return sorted(plain)[len(plain) // 2], sorted(debug)[len(debug) // 2]


if __name__ == "__main__":
    main(run, __doc__)
