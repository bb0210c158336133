"""A suite: which models at which precisions on which clips, and how to replay them.

An INT8 run needs a QDQ model from the host (`hil quantize --precision int8`), found beside the FP32 model as
`<stem>.int8.onnx`; FP32 and FP16 both start from the FP32 ONNX (FP16 is the converter's job).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hil.artifacts.card import ModelCardSpec, check_card_against_graph, load_card
from hil.artifacts.frames import count_frames
from hil.artifacts.labels import read_labels, read_objects
from hil.artifacts.quantize import load_onnx
from hil.artifacts.shapes import InputShapes, fix_input_shapes, write_static
from hil.errors import ArtifactError, ConfigError
from hil.measure.decoders import TASKS
from hil.measure.tasks import task_spec
from hil.measure.truth import FrameTruth
from hil.platforms.supplied import SuppliedEngine
from hil.records import PRECISIONS, Precision
from hil.transport.push import sha256_file

if TYPE_CHECKING:
    import onnx

ONNX_MAGIC_HINT = "an ONNX model file (.onnx)"
STATIC_DIR = Path(tempfile.gettempdir()) / "hil-static-models"  # static-shape copies for TIDL, by digest


@dataclass(frozen=True, eq=False)  # identity: the same model object is the same model
class ModelUnderTest:
    name: str
    path: Path  # the FP32 ONNX
    card: ModelCardSpec | None
    variants: dict[str, Path]  # precision -> the ONNX pushed for it
    sha256: dict[str, str]  # precision -> sha of that ONNX
    # Every input's fixed dims (card, --input-shape or the graph) and which were dynamic in the graph.
    shapes: InputShapes = field(default_factory=lambda: InputShapes({}))
    static: dict[str, Path] = field(default_factory=dict)  # precision -> static-shape copy (dynamic only)
    static_sha256: dict[str, str] = field(default_factory=dict)
    # An engine built elsewhere (`hil run --engine`): pushed as it is instead of converting this model,
    # which stays the parity and accuracy reference.
    supplied: SuppliedEngine | None = None
    # int8 layers kept at the higher precision (output tensor names); None: the ordinary int8 (QDQ) path
    keep: tuple[str, ...] | None = None

    def input_spec(self) -> dict[str, Any] | None:
        """What the harness preprocesses to: the card's input with its fixed shape; without a card, the
        harness's own default for a shape given by --input-shape (None: the harness reads the graph)."""
        if self.card is not None:
            spec = self.card.input.model_dump()
            spec["shape"] = list(self.shapes.shapes.get(self.card.input.name, spec["shape"]))
            return spec
        fixed = self.shapes.shapes.get(self.shapes.dynamic[0]) if self.shapes.dynamic else None
        if fixed is None or len(fixed) != 4:
            return None
        nchw = fixed[1] in (1, 3)
        channels = fixed[1] if nchw else fixed[3]
        return {
            "name": self.shapes.dynamic[0],
            "shape": fixed,
            "layout": "NCHW" if nchw else "NHWC",
            "colour": "gray" if channels == 1 else "rgb",
            "scale": 1.0 / 255.0,
            "mean": [0.0],
            "std": [1.0],
        }

    def task_spec(self) -> dict[str, Any] | None:
        """The card's task for the board's decoder (detection, landmarks, regression); None otherwise."""
        if self.card is None or self.card.task not in TASKS:
            return None
        spec = task_spec(self.card)
        shape = self.input_spec()  # a dynamic input fixed by --input-shape changes the input size
        if shape is not None:
            _, a, b, c = shape["shape"]
            spec["input_size"] = [c, b] if shape.get("layout", "NCHW") == "NCHW" else [b, a]
        return spec

    def pushed(self, precision: str, static: bool) -> tuple[Path, str]:
        """(ONNX to push, its sha) for a converter that takes dynamic inputs with flags, or (`static`) one
        that needs a static-shape model."""
        if static and precision in self.static:
            return self.static[precision], self.static_sha256[precision]
        return self.variants[precision], self.sha256[precision]

    def class_index(self, state: str) -> int | None:
        # Only a classifier's output index is a class of the state labels (a detector's class ids are not).
        if self.card is None or self.card.task != "classification":
            return None
        return self.card.classes.index(state) if state in self.card.classes else None


@dataclass(frozen=True, eq=False)
class Clip:
    name: str
    path: Path
    labels: list[str] | None
    fps: float = 30.0  # the video's frame rate: event durations in seconds are counted at it
    # Boxes, points and values per frame (read_objects) for detection / landmark / regression models.
    objects: list[FrameTruth] | None = None


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


def load_model(
    path: Path,
    precisions: list[Precision],
    input_shapes: dict[str, list[int]] | None = None,
    static_dir: Path = STATIC_DIR,
    keep: list[str] | None = None,
) -> tuple[ModelUnderTest, list[str]]:
    """`keep`: int8 layers kept at the higher precision (beats the card's `keep`); the int8 variant is then
    the FP32 model, which the converter calibrates itself with those layers kept."""
    if not path.is_file():
        raise ConfigError(f"model {path} does not exist", hint="pass an ONNX file with --model")
    if path.suffix != ".onnx":
        raise ArtifactError(f"model {path} is not {ONNX_MAGIC_HINT}")
    graph = load_onnx(
        path
    )  # a file that is not ONNX is an error here, not a converter failure on every board
    card = load_card(path)
    names = {v.name for v in graph.graph.input}
    if card is not None:  # a card naming tensors the graph lacks is an error here, not on every board
        initializers = {i.name for i in graph.graph.initializer}
        graph_inputs = [v.name for v in graph.graph.input if v.name not in initializers]
        check_card_against_graph(path, card, graph_inputs, [o.name for o in graph.graph.output])
    given = {k: v for k, v in (input_shapes or {}).items() if k in names}  # others may be another model's
    shapes = fix_input_shapes(path, graph, card, given)  # before any board is touched
    name = card.name if card else path.name.removesuffix(".onnx")
    variants: dict[str, Path] = {}
    skipped: list[str] = []
    wanted_keep = keep if keep is not None else (card.keep if card is not None else None)
    kept = None if wanted_keep is None else resolve_keep(path, graph, wanted_keep)
    for precision in precisions:
        if precision == "int8" and kept is not None:
            variants["int8"] = path
        elif precision == "int8":
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
    static: dict[str, Path] = {}
    if shapes.dynamic:
        static = {p: write_static(v, shapes.shapes, static_dir) for p, v in variants.items()}
    static_shas = {p: sha256_file(v) for p, v in static.items()}
    return ModelUnderTest(name, path, card, variants, shas, shapes, static, static_shas, keep=kept), skipped


def resolve_keep(path: Path, graph: onnx.ModelProto, names: list[str]) -> tuple[str, ...]:
    """Each name (an ONNX node, or a tensor a node produces) as the output tensor that names the layer."""
    outputs = {o for node in graph.graph.node for o in node.output}
    by_node = {node.name: node.output[0] for node in graph.graph.node if node.name and node.output}
    kept: list[str] = []
    for name in names:
        tensor = by_node.get(name, name if name in outputs else None)
        if tensor is None:
            raise ConfigError(
                f"--keep names {name!r}, which is no node or layer output of {path.name}",
                hint=f"name layers as `hil diagnose {path}` prints them",
            )
        kept.append(tensor)
    return tuple(dict.fromkeys(kept))


def load_clip(path: Path) -> Clip:
    """A clip decoded once on the host first: a corrupt video, or labels for another frame count, is an
    error here rather than a puzzling failure on every board."""
    if not path.is_file():
        raise ConfigError(f"clip {path} does not exist", hint="pass a video file with --clip")
    frames = count_frames(path)
    labels = read_labels(path, frames=frames)
    return Clip(path.stem, path, labels, video_fps(path), read_objects(path, frames))


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
    input_shapes: dict[str, list[int]] | None = None,
    keep: list[str] | None = None,
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
        model, notes = load_model(m, wanted, input_shapes, keep=keep)
        loaded.append(model)
        skipped.extend(notes)
    unknown = sorted(set(input_shapes or {}) - {n for m in loaded for n in m.shapes.shapes})
    if unknown:
        inputs = ", ".join(sorted({n for m in loaded for n in m.shapes.shapes}))
        raise ConfigError(
            f"--input-shape names {unknown[0]!r}, which is not an input of any model (inputs: {inputs})"
        )
    clip_list = [load_clip(c) for c in clips]
    return Suite(loaded, wanted, clip_list, warmup, max_frames, fps, skipped, named)
