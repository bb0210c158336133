from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hil.artifacts.card import InputSpec
from hil.artifacts.frames import count_frames, iter_frames, preprocess, preprocess_clip, to_gray_if_gray
from hil.errors import ArtifactError


def test_gray_nchw_resizes_and_normalises() -> None:
    spec = InputSpec(name="input", shape=[1, 1, 4, 4], mean=[0.5], std=[0.25])
    frame = np.full((8, 8), 255, np.uint8)
    out = preprocess(frame, spec)
    assert out.shape == (1, 1, 4, 4) and out.dtype == np.float32
    assert np.allclose(out, (1.0 - 0.5) / 0.25)


def test_bgr_frame_to_rgb_nhwc() -> None:
    spec = InputSpec(name="x", shape=[1, 2, 2, 3], layout="NHWC", colour="rgb", mean=[0, 0, 0], std=[1, 1, 1])
    frame = np.zeros((2, 2, 3), np.uint8)
    frame[..., 0] = 255  # blue in OpenCV's BGR
    out = preprocess(frame, spec)
    assert out.shape == (1, 2, 2, 3)
    assert np.allclose(out[0, :, :, 2], 1.0) and np.allclose(out[0, :, :, 0], 0.0)


def test_gray_frame_and_its_bgr_twin_give_the_same_tensor() -> None:
    spec = InputSpec(name="input", shape=[1, 1, 16, 16])
    gray = np.random.default_rng(0).integers(0, 255, (32, 32), dtype=np.uint8)
    bgr = np.repeat(gray[:, :, None], 3, axis=2)
    assert np.array_equal(preprocess(gray, spec), preprocess(bgr, spec))
    assert to_gray_if_gray(bgr).ndim == 2
    colour = bgr.copy()
    colour[..., 2] = 255 - colour[..., 2]
    assert to_gray_if_gray(colour).ndim == 3


def test_a_channel_mismatch_is_reported() -> None:
    spec = InputSpec(name="input", shape=[1, 3, 8, 8], colour="gray")
    with pytest.raises(ArtifactError, match="channel"):
        preprocess(np.zeros((8, 8), np.uint8), spec)


def test_clip_decoding(clips: list[Path]) -> None:
    spec = InputSpec(name="input", shape=[1, 1, 64, 64])
    assert count_frames(clips[0]) == 60
    assert preprocess_clip(clips[0], spec).shape == (60, 1, 64, 64)


def test_corrupt_or_missing_video_is_an_artifact_error(tmp_path: Path, clips: list[Path]) -> None:
    with pytest.raises(ArtifactError, match="does not exist"):
        list(iter_frames(tmp_path / "missing.mp4"))
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"\x00\x01 this is not a video " * 100)
    with pytest.raises(ArtifactError, match=r"cannot be decoded|no frames"):
        count_frames(garbage)
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(clips[0].read_bytes()[:2000])
    with pytest.raises(ArtifactError):
        count_frames(truncated)
