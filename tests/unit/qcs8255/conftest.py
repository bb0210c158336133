"""Tiny real material for the emulated SNPE tools: an ONNX model, its QDQ variant, clips, a board root."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import pytest

from tests.fixtures.tiny import make_clip, make_model

REPO = Path(__file__).resolve().parents[3]
HARNESS = REPO / "hil" / "harness"
SPEC = {
    "name": "input",
    "shape": [1, 1, 32, 32],
    "layout": "NCHW",
    "colour": "gray",
    "scale": 1 / 255,
    "mean": [0.0],
    "std": [1.0],
}


@dataclass
class ToolRun:
    rc: int
    out: str
    err: str

    @property
    def both(self) -> str:
        return self.out + self.err


def run_tool(module: str, *args: str | Path, cwd: Path | None = None, timeout: float = 120) -> ToolRun:
    """`python -m hil.sim.tools.<module> args`, as the wrapper on a simulated board's PATH runs it."""
    return _run([sys.executable, "-m", f"hil.sim.tools.{module}", *map(str, args)], cwd, timeout)


def run_harness(script: str, *args: str | Path, timeout: float = 120) -> ToolRun:
    """A harness module run as on the board: `python3 <harness dir>/<script> args`."""
    return _run([sys.executable, str(HARNESS / script), *map(str, args)], None, timeout)


def _run(argv: list[str], cwd: Path | None, timeout: float) -> ToolRun:
    # Never the repository: tools write default outputs (snpe-net-run's ./output) into their cwd.
    where = cwd or Path(tempfile.mkdtemp(prefix="hil-tool-"))
    proc = subprocess.run(
        argv, capture_output=True, text=True, timeout=timeout, cwd=where, stdin=subprocess.DEVNULL
    )
    return ToolRun(proc.returncode, proc.stdout, proc.stderr)


def set_fault(board: Path, tool: str, mode: str) -> None:
    (board / "sim-faults.json").write_text(json.dumps({tool: mode}))


@pytest.fixture
def board(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A simulated board's root folder, named in the environment as the rack's SetEnv names it."""
    root = tmp_path / "board"
    (root / "run").mkdir(parents=True)
    monkeypatch.setenv("HIL_BOARD_ROOT", str(root))
    monkeypatch.setenv("HIL_SIM_BOARD", f"qcs-test-{os.getpid()}-{tmp_path.name}")
    return root


@pytest.fixture
def model(tmp_path: Path) -> Path:
    """The brightness classifier of tests/fixtures/tiny.py (GlobalAveragePool -> Flatten -> Gemm)."""
    return make_model(tmp_path / "bright.onnx")


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    return make_clip(tmp_path / "cabin.mp4", frames=16)


def qdq(model: Path, out: Path) -> Path:
    """The model quantized on the host to QDQ INT8 (as `hil quantize` does), calibrated on 5 levels."""
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static

    class Reader:
        def __init__(self) -> None:
            levels = (0.1, 0.3, 0.5, 0.7, 0.9)
            self.batches = iter([{"input": np.full((1, 1, 32, 32), v, np.float32)} for v in levels])

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self.batches, None)

    quantize_static(
        str(model), str(out), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
        activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
        extra_options={"ActivationSymmetric": True, "WeightSymmetric": True},
    )  # fmt: skip
    return out


def write_inputs(folder: Path, levels: list[float]) -> Path:
    """Raw NHWC float32 inputs of constant brightness and their input list."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, level in enumerate(levels):
        path = folder / f"in_{i}.raw"
        np.full((1, 32, 32, 1), level, np.float32).tofile(path)
        paths.append(str(path))
    listing = folder / "input_list.txt"
    listing.write_text("\n".join(paths) + "\n")
    return listing


def reference(model: Path, level: float) -> np.ndarray:
    import onnxruntime as ort

    session = ort.InferenceSession(
        onnx.load(str(model)).SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return np.asarray(session.run(None, {"input": np.full((1, 1, 32, 32), level, np.float32)})[0])
