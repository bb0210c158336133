"""What a diagnosis costs against one ordinary replay of the same frames on the same (emulated) board engine.

The demo detector's INT8 QDQ model is converted once with the emulated SNPE tools (snpe-onnx-to-dlc,
snpe-dlc-quantize --override_params), as on a QCS8255's build host. On the same frames (the diagnosis's
own choice: the worst 4 of 64, written by hil.diagnose.diagnosis.write_snpe_inputs):

- anchor: `snpe-net-run --use_dsp` (the ordinary replay of those frames: the network outputs only);
- `snpe-net-run --use_dsp --debug` (every layer's output written: the board's share of a diagnosis);
- the whole diagnosis: that, plus the host side (FP32 and QDQ tensors through qdq_loss_debug, the per-layer
  comparison with the board's dump, and the one-layer-in-float ranking).

Wall times of whole processes (each snpe-net-run is a fresh python process, as on a simulated board; frame
selection and the one-time conversion are not counted).

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
    med = sorted(plain)[len(plain) // 2], sorted(debug)[len(debug) // 2], sorted(whole)[len(whole) // 2]
    anchor = f"snpe-net-run --use_dsp on the same {FRAMES} frames"
    return {
        "name": "diagnose",
        "title": f"Diagnosis of dms-face INT8, emulated QCS8255, {FRAMES} frames ({layers} board layers)",
        "figures": [
            figure("snpe-net-run --debug (every layer written)", "s", med[1], anchor, med[0]),
            figure("whole diagnosis (board dump + host + ranking)", "s", med[2], anchor, med[0]),
        ],
        "notes": [f"median of {rounds} round(s); the conversion (once) and frame selection are not counted"],
    }


if __name__ == "__main__":
    main(run, __doc__)
