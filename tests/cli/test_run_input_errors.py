"""Bad input to `hil run` is a clear error (exit 2) before any board is touched."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Hil
from tests.fixtures.tiny import make_clip, make_model


def test_labels_for_another_frame_count(hil: Hil, tmp_path: Path) -> None:
    model = make_model(tmp_path / "m.onnx")
    clip = make_clip(tmp_path / "c.mp4", frames=20)
    labels = tmp_path / "c.labels.csv"
    labels.write_text("\n".join(labels.read_text().splitlines()[:11]) + "\n")  # 10 of 20 frames
    proc = hil("run", "--model", str(model), "--clip", str(clip))
    assert proc.returncode == 2
    assert "10 frames" in proc.stderr and "20" in proc.stderr
    assert not (tmp_path / ".hil" / "sim").exists()  # no board was started


def test_corrupt_video(hil: Hil, tmp_path: Path) -> None:
    model = make_model(tmp_path / "m.onnx")
    clip = make_clip(tmp_path / "c.mp4", frames=20)
    clip.write_bytes(clip.read_bytes()[:3000])
    proc = hil("run", "--model", str(model), "--clip", str(clip))
    assert proc.returncode == 2 and "cannot be decoded" in proc.stderr


def test_model_that_is_not_onnx(hil: Hil, tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "c.mp4", frames=20)
    fake = tmp_path / "fake.onnx"
    fake.write_text("definitely not protobuf")
    proc = hil("run", "--model", str(fake), "--clip", str(clip))
    assert proc.returncode == 2 and "not a valid ONNX model" in proc.stderr


def test_unknown_precision(hil: Hil, tmp_path: Path) -> None:
    proc = hil("run", "--precision", "fp8")
    assert proc.returncode == 2 and "fp8" in proc.stderr
