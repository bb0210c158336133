"""A suite: which models at which precisions on which clips, and how to replay them.

An INT8 run needs a QDQ model from the host (`hil quantize --precision int8`), found beside the FP32 model as
`<stem>.int8.onnx`; FP32 and FP16 both start from the FP32 ONNX (FP16 is the converter's job).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hil.artifacts.card import ModelCardSpec, load_card
from hil.artifacts.frames import count_frames
from hil.artifacts.labels import read_labels
from hil.artifacts.quantize import load_onnx
from hil.errors import ArtifactError, ConfigError
from hil.records import PRECISIONS, Precision
from hil.transport.push import sha256_file

ONNX_MAGIC_HINT = "an ONNX model file (.onnx)"


@dataclass(frozen=True, eq=False)  # identity: the same model object is the same model
class ModelUnderTest:
    name: str
    path: Path  # the FP32 ONNX
    card: ModelCardSpec | None
    variants: dict[str, Path]  # precision -> the ONNX pushed for it
    sha256: dict[str, str]  # precision -> sha of that ONNX

    def class_index(self, state: str) -> int | None:
        if self.card is None:
            return None
        return self.card.classes.index(state) if state in self.card.classes else None


@dataclass(frozen=True, eq=False)
class Clip:
    name: str
    path: Path
    labels: list[str] | None
    fps: float = 30.0  # the video's frame rate: event durations in seconds are counted at it


@dataclass(frozen=True)
class Suite:
    models: list[ModelUnderTest]
    precisions: list[Precision]
    clips: list[Clip]
    warmup: int = 10
    max_frames: int = 0
    fps: float = 0.0
    skipped: list[str] = field(default_factory=list)  # what was asked for but cannot run, and why
    named_precisions: bool = False  # the user named the precisions (else: every precision a board offers)


def int8_sibling(model: Path) -> Path:
    return model.with_name(model.name.removesuffix(".onnx") + ".int8.onnx")


def load_model(path: Path, precisions: list[Precision]) -> tuple[ModelUnderTest, list[str]]:
    if not path.is_file():
        raise ConfigError(f"model {path} does not exist", hint="pass an ONNX file with --model")
    if path.suffix != ".onnx":
        raise ArtifactError(f"model {path} is not {ONNX_MAGIC_HINT}")
    load_onnx(path)  # a file that is not ONNX is an error here, not a converter failure on every board
    card = load_card(path)
    name = card.name if card else path.name.removesuffix(".onnx")
    variants: dict[str, Path] = {}
    skipped: list[str] = []
    for precision in precisions:
        if precision == "int8":
            qdq = int8_sibling(path)
            if qdq.exists():
                variants["int8"] = qdq
            else:
                skipped.append(
                    f"{name} int8: no QDQ model {qdq.name} (make one: hil quantize {path} --precision int8)"
                )
        else:
            variants[precision] = path
    shas = {p: sha256_file(v) for p, v in variants.items()}
    return ModelUnderTest(name, path, card, variants, shas), skipped


def load_clip(path: Path) -> Clip:
    """A clip decoded once on the host first: a corrupt video, or labels for another frame count, is an
    error here rather than a puzzling failure on every board."""
    if not path.is_file():
        raise ConfigError(f"clip {path} does not exist", hint="pass a video file with --clip")
    return Clip(path.stem, path, read_labels(path, frames=count_frames(path)), video_fps(path))


def video_fps(path: Path) -> float:
    """The frame rate the container declares; 30 when it declares none."""
    import cv2

    cap = cv2.VideoCapture(str(path))
    try:
        rate = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
    finally:
        cap.release()
    return rate if rate > 0 else 30.0


def check_options(warmup: int, max_frames: int, fps: float) -> None:
    """Replay options a run cannot mean: a ConfigError (exit 2) naming the option, before anything runs."""
    if warmup < 0:
        raise ConfigError(f"--warmup must be 0 or more frames, not {warmup}")
    if max_frames < 0:
        raise ConfigError(f"--max-frames must be 0 (every frame) or more, not {max_frames}")
    if fps < 0 or fps != fps or fps == float("inf"):
        raise ConfigError(f"--fps must be 0 (free run) or a positive camera rate, not {fps:g}")


def build_suite(
    models: list[Path],
    clips: list[Path],
    precisions: list[str] | None,
    warmup: int = 10,
    max_frames: int = 0,
    fps: float = 0.0,
) -> Suite:
    """`precisions` None: every precision each board offers; a list: the ones the user named."""
    check_options(warmup, max_frames, fps)
    if precisions is not None and not precisions:
        raise ConfigError("--precision names no precision", hint=f"choose from {', '.join(PRECISIONS)}")
    named = precisions is not None
    precisions = list(PRECISIONS) if precisions is None else precisions
    unknown = [p for p in precisions if p not in PRECISIONS]
    if unknown:
        raise ConfigError(f"unknown precision {unknown[0]!r}; choose from {', '.join(PRECISIONS)}")
    wanted: list[Precision] = [p for p in PRECISIONS if p in precisions]
    if not models:
        raise ConfigError("no model to run", hint="pass --model PATH.onnx")
    if not clips:
        raise ConfigError("no clip to replay", hint="pass --clip PATH.mp4")
    loaded: list[ModelUnderTest] = []
    skipped: list[str] = []
    for m in models:
        model, notes = load_model(m, wanted)
        loaded.append(model)
        skipped.extend(notes)
    clip_list = [load_clip(c) for c in clips]
    return Suite(loaded, wanted, clip_list, warmup, max_frames, fps, skipped, named)
