"""A simulated TDA4VM's root folder and helpers that run the on-board TIDL programs as the board would:
in a subprocess whose Python sees the `onnxruntime` shim first on PYTHONPATH."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from hil.sim.boards import populate
from hil.sim.boards.tda4vm import environment
from tests.fixtures.tiny import make_clip, make_model

REPO = Path(__file__).resolve().parents[3]
HARNESS = REPO / "hil" / "harness"


@dataclass
class Run:
    rc: int
    out: str
    err: str

    @property
    def both(self) -> str:
        return self.out + self.err


@pytest.fixture
def board(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A populated simulated TDA4VM root, named in this process's environment as the rack would."""
    root = tmp_path / "board"
    populate(root, "tda4vm")
    monkeypatch.setenv("HIL_BOARD_ROOT", str(root))
    monkeypatch.setenv("HIL_SIM_BOARD", f"tda-test-{os.getpid()}-{tmp_path.name}")
    return root


def board_python(board: Path, *args: str, timeout: float = 120) -> Run:
    """`python3 ARGS` in a simulated TDA4VM session's environment (shim on PYTHONPATH, TIDL variables)."""
    env = {**os.environ, **environment(board), "HIL_BOARD_ROOT": str(board)}
    proc = subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=board,
        stdin=subprocess.DEVNULL,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def compile_model(board: Path, model: Path, artifacts: Path, bits: int, *extra: str) -> Run:
    args = [f"--model={model}", f"--artifacts={artifacts}", f"--tensor-bits={bits}"]
    args += ["--calibration-frames=6", "--calibration-iterations=2", *extra]
    return board_python(board, str(HARNESS / "tidl_compile.py"), *args)


@pytest.fixture
def material(tmp_path: Path) -> tuple[Path, Path]:
    """(model, clip): the tiny brightness classifier with its card and a labelled 24-frame clip."""
    return make_model(tmp_path / "bright.onnx"), make_clip(tmp_path / "cabin.mp4", frames=24)
