"""Bad input to `hil run --engine`: a clear error (exit 2) naming what to fix, before any board starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from hil.sim import engine
from tests.conftest import Hil
from tests.fixtures.tiny import make_clip, make_model


@pytest.fixture
def plan(tmp_path: Path) -> Path:
    header = engine.make_header("fp16", "0" * 64, ["--fp16"], {"input": [1, 1, 32, 32]}, {"y": [1, 4]})
    path = tmp_path / "dms.fp16.engine"
    engine.write_engine(path, b"network", header)
    return path


def _run(hil: Hil, tmp_path: Path, *args: str) -> tuple[int, str]:
    proc = hil("run", *args)
    assert not (tmp_path / ".hil" / "sim").exists(), "a board was started"
    return proc.returncode, " ".join(proc.stderr.split())


def test_engine_errors_before_any_board(hil: Hil, tmp_path: Path, plan: Path) -> None:
    model = make_model(tmp_path / "m.onnx")
    clip = make_clip(tmp_path / "c.mp4", frames=12)
    rc, err = _run(hil, tmp_path, "--engine", str(plan), "--clip", str(clip))
    assert rc == 2 and "--engine needs --model" in err, err
    rc, err = _run(hil, tmp_path, "--engine", str(tmp_path / "nope.engine"), "--model", str(model))
    assert rc == 2 and "does not exist" in err, err
    other = tmp_path / "weights.bin"
    other.write_bytes(b"\x00" * 8)
    rc, err = _run(hil, tmp_path, "--engine", str(other), "--model", str(model))
    assert rc == 2 and "not an engine hil knows" in err and ".dlc" in err, err
    rc, err = _run(
        hil, tmp_path, "--engine", str(plan), "--model", str(model), "--clip", str(clip), "-p", "int8"
    )
    assert rc == 2 and "--precision int8, but" in err and "is a fp16 engine" in err, err
    rc, err = _run(
        hil,
        tmp_path,
        "--engine",
        str(plan),
        "--model",
        str(model),
        "--model",
        str(model),
        "--clip",
        str(clip),
    )
    assert rc == 2 and "--engine takes one --model" in err, err
    rc, err = _run(
        hil,
        tmp_path,
        "--engine",
        str(plan),
        "--model",
        str(model),
        "--clip",
        str(clip),
        "--where",
        "platform=tda4vm",
    )
    assert rc == 2 and "no selected board runs a TensorRT plan (orin)" in err, err
