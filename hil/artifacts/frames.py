"""Decode a clip and turn each frame into the model's input tensor, exactly as the model card says.

This is the one preprocessing path of hil: the host reference, calibration and the board harness all use
`preprocess`, so a parity difference can never come from two resize or normalisation rules. It depends on
numpy and OpenCV only (plus the InputSpec type) so it can run on a board as it is.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from hil.artifacts.card import InputSpec
from hil.errors import ArtifactError


def iter_frames(clip: Path) -> Iterator[np.ndarray]:
    """Yield the decoded frames of `clip` (uint8 BGR, H x W x 3) in order.

    A file OpenCV cannot open, or one that decodes to no frame at all, is an ArtifactError.
    """
    if not clip.is_file():
        raise ArtifactError(f"clip {clip} does not exist")
    cap = cv2.VideoCapture(str(clip))
    try:
        if not cap.isOpened():
            raise ArtifactError(
                f"clip {clip} cannot be decoded: OpenCV does not recognise it as a video",
                hint="the file may be truncated or not a video; regenerate or re-copy it",
            )
        count = 0
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            count += 1
            yield frame
        if count == 0:
            raise ArtifactError(f"clip {clip} decodes to no frames", hint="the video is empty or corrupt")
    finally:
        cap.release()


def read_frames(clip: Path) -> list[np.ndarray]:
    """All decoded frames of `clip`: gray (H x W) where the video is gray, else BGR."""
    return [to_gray_if_gray(f) for f in iter_frames(clip)]


def count_frames(clip: Path) -> int:
    """The number of frames a decoder really delivers (container headers are not trusted for this)."""
    return sum(1 for _ in iter_frames(clip))


def to_gray_if_gray(frame: np.ndarray, tolerance: int = 8) -> np.ndarray:
    """H x W for a frame whose channels agree within `tolerance` (a NIR camera through a YUV 4:2:0 codec
    comes back with channels a few levels apart), else the frame unchanged. For a gray model the tensor
    is the same either way: preprocess starts with this very conversion.
    """
    if frame.ndim == 3 and frame.shape[2] == 3:
        spread = frame.max(axis=2).astype(np.int16) - frame.min(axis=2)
        if int(spread.max()) <= tolerance:
            return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    return frame


def write_video(path: Path, frames: list[np.ndarray], fps: float = 30.0) -> Path:
    """Encode gray frames as MPEG-4 Part 2 (`mp4v`), the codec every OpenCV build can write."""
    if not frames:
        raise ArtifactError(f"no frames to write to {path}")
    height, width = frames[0].shape[:2]
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, (width, height), isColor=True)
    if not writer.isOpened():
        raise ArtifactError(
            f"OpenCV cannot open a video writer for {path} (codec mp4v)",
            hint="this OpenCV build has no FFmpeg backend; install opencv-python-headless from PyPI",
        )
    try:
        for frame in frames:
            writer.write(cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR) if frame.ndim == 2 else frame)
    finally:
        writer.release()
    return path


def input_size(spec: InputSpec) -> tuple[int, int, int]:
    """(channels, height, width) of the model input."""
    _, a, b, c = spec.shape
    return (a, b, c) if spec.layout == "NCHW" else (c, a, b)


def preprocess(frame: np.ndarray, spec: InputSpec) -> np.ndarray:
    """One frame (gray H x W, or BGR H x W x 3 as OpenCV decodes) -> float32 tensor of `spec.shape`.

    Steps, in this order: colour conversion to `spec.colour`, resize to the input size with INTER_AREA
    (the right filter for shrinking; cameras deliver more pixels than DMS nets take), then
    value = (pixel * scale - mean) / std per channel, then layout.
    """
    channels, height, width = input_size(spec)
    image = _convert_colour(frame, spec.colour)
    if image.shape[0] != height or image.shape[1] != width:
        image = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
    if image.ndim == 2:
        image = image[:, :, None]
    if image.shape[2] != channels:
        raise ArtifactError(
            f"model input {spec.name} wants {channels} channel(s) but colour '{spec.colour}' gives "
            f"{image.shape[2]}",
            hint="fix input.colour or input.shape in the model card",
        )
    mean = np.asarray(spec.mean, dtype=np.float32)
    std = np.asarray(spec.std, dtype=np.float32)
    values = (image.astype(np.float32) * np.float32(spec.scale) - mean) / std
    if spec.layout == "NCHW":
        values = values.transpose(2, 0, 1)
    return np.ascontiguousarray(values[None, ...], dtype=np.float32)


def preprocess_clip(clip: Path, spec: InputSpec) -> np.ndarray:
    """Every frame of `clip` preprocessed: an array of shape (frames, *spec.shape[1:])."""
    return np.concatenate([preprocess(f, spec) for f in iter_frames(clip)], axis=0)


def _convert_colour(frame: np.ndarray, colour: str) -> np.ndarray:
    if frame.ndim == 2:
        if colour == "gray":
            return frame
        return cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR if colour == "bgr" else cv2.COLOR_GRAY2RGB)
    if colour == "gray":
        return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    if colour == "rgb":
        return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    return frame
