"""Model cards: the YAML beside an ONNX file that says how to feed it and what its outputs mean.

`dms-small.onnx` has its card in `dms-small.card.yaml`. A model without a card still runs: the input is read
from the graph, frames are resized to it, outputs are kept raw, and accuracy is reported as null.

`task` says what the outputs are and how they are scored (hil.measure.tasks): `classification` (class
scores; `classes`), `detection` (boxes and scores; `classes` and the `detection` section), `landmarks`
(points; the `landmarks` section), `regression` (e.g. gaze yaw/pitch; the `regression` section). Every
section is strict: an unknown key or a section for another task is an error, not silently ignored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hil.errors import ArtifactError
from hil.measure.events import EventRule, rules_for


class InputSpec(BaseModel):
    """How a frame becomes the model's input tensor: value = (pixel * scale - mean) / std."""

    model_config = ConfigDict(extra="forbid")

    name: str
    # Fixed dims with batch; for a model whose graph input is dynamic this is what fixes it.
    shape: list[int] = Field(min_length=4, max_length=4)
    layout: Literal["NCHW", "NHWC"] = "NCHW"
    colour: Literal["gray", "rgb", "bgr"] = "gray"
    scale: float = 1.0 / 255.0
    mean: list[float] = Field(default_factory=lambda: [0.0])
    std: list[float] = Field(default_factory=lambda: [1.0])

    @model_validator(mode="after")
    def _positive(self) -> Self:
        if any(d < 1 for d in self.shape):
            raise ValueError(f"every dimension of input.shape must be 1 or more, not {self.shape}")
        return self


Task = Literal["classification", "detection", "landmarks", "regression"]


class DetectionSpec(BaseModel):
    """How a detector's outputs decode into boxes, and the thresholds it is scored with."""

    model_config = ConfigDict(extra="forbid")

    boxes: str  # output tensor of boxes: [1, K, 4] or [K, 4]
    scores: str  # output tensor of scores: [1, K] / [K] (one class), or [1, K, C] / [K, C] (per class)
    labels: str | None = None  # output tensor of class ids [1, K] / [K], when scores are one column
    box_format: Literal["xyxy", "xywh", "cxcywh"] = "xyxy"
    normalized: bool = True  # coordinates as fractions of the input's width/height (else input pixels)
    score_threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    nms_iou: float = Field(default=0.45, gt=0.0, le=1.0)  # NMS: drop a box overlapping a better one more
    match_iou: float = Field(default=0.5, gt=0.0, le=1.0)  # a detection is true when IoU >= this
    max_detections: int = Field(default=100, ge=1)


class EyeClosedSpec(BaseModel):
    """Eye state derived from landmarks by the eye aspect ratio (hil.measure.landmarks)."""

    model_config = ConfigDict(extra="forbid")

    left: list[str] = Field(min_length=6, max_length=6)  # p1..p6 of the left eye (corners p1, p4)
    right: list[str] = Field(min_length=6, max_length=6)
    ear_below: float = Field(default=0.2, gt=0.0)  # closed when the mean EAR is below this
    state: str = "eyes_closed"  # the label state a closed eye is


class LandmarksSpec(BaseModel):
    """Points: their output, their names (matched to the labels' point names) and how NME normalises."""

    model_config = ConfigDict(extra="forbid")

    output: str  # output tensor: [1, P, 2], [P, 2] or [1, 2P] (x0, y0, x1, y1, ...)
    points: list[str] = Field(min_length=1)  # point names in output order
    normalized: bool = True  # coordinates as fractions of the input's width/height (else input pixels)
    left_eye: list[str] = Field(min_length=1)  # points whose mean is the left eye centre
    right_eye: list[str] = Field(min_length=1)  # ... the right eye centre: inter-ocular distance
    failure_threshold: float = Field(default=0.1, gt=0.0)  # a frame fails when its NME is above this
    eye_closed: EyeClosedSpec | None = None  # derive the eyes-closed state from the points (optional)

    @model_validator(mode="after")
    def _eyes_are_points(self) -> Self:
        ear = [*self.eye_closed.left, *self.eye_closed.right] if self.eye_closed is not None else []
        unknown = [p for p in [*self.left_eye, *self.right_eye, *ear] if p not in self.points]
        if unknown:
            raise ValueError(f"eye point {unknown[0]!r} is not one of landmarks.points")
        if len(set(self.points)) != len(self.points):
            raise ValueError("landmarks.points names a point twice")
        return self


class RegressionSpec(BaseModel):
    """Continuous targets (gaze yaw/pitch, head pose): the output and the name of each value in it."""

    model_config = ConfigDict(extra="forbid")

    output: str  # output tensor: [1, T] or [T]
    targets: list[str] = Field(min_length=1)  # value names in output order, as the labels name them
    units: Literal["degrees", "radians"] = "degrees"
    # The two targets that are a gaze direction (yaw, pitch): scored by angular error between 3-D vectors.
    gaze: list[str] | None = Field(default=None, min_length=2, max_length=2)

    @model_validator(mode="after")
    def _gaze_targets(self) -> Self:
        if self.gaze is not None and any(t not in self.targets for t in self.gaze):
            raise ValueError(f"regression.gaze {self.gaze} must name two of regression.targets")
        return self


class EventRuleSpec(BaseModel):
    """An event is an episode of `state` (one of the card's classes) lasting at least `min_seconds`."""

    model_config = ConfigDict(extra="forbid")

    kind: str
    state: str
    min_seconds: float = Field(gt=0)


class MinimaSpec(BaseModel):
    """Absolute minima the model's owner sets, judged on top of the run's budgets and the loss gate
    (the stricter of the card's and the profile's applies)."""

    model_config = ConfigDict(extra="forbid")

    accuracy: float | None = Field(None, ge=0, le=1)  # a classifier's frame accuracy, at least
    map50: float | None = Field(None, ge=0, le=1)  # a detector's AP50, at least
    nme_max: float | None = Field(None, gt=0)  # a landmark model's NME, at most
    recall: dict[str, float] = Field(default_factory=dict)  # class -> recall at least (0..1)


class ModelCardSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    version: str = "0"
    task: Task = "classification"
    description: str = ""
    input: InputSpec
    output: str | None = None  # classification: output tensor name; the first output when absent
    classes: list[str] = Field(default_factory=list)  # classification / detection: index -> name
    detection: DetectionSpec | None = None
    landmarks: LandmarksSpec | None = None
    regression: RegressionSpec | None = None
    precision: Literal["fp32", "fp16", "int8"] = "fp32"
    source: str | None = None  # the card of the FP32 model this one was derived from, if any
    calibration: str | None = None  # INT8 only: the calibration set it was quantized with (name@digest)
    # Frames a converter that calibrates on the board draws from the run's clips (today TIDL 16-bit);
    # None: the platform's own default (12 on TIDL, as edgeai-benchmark's settings have).
    calibration_frames: int | None = Field(default=None, ge=1, le=10000)
    # Layers (ONNX node or output tensor names, as `hil diagnose` prints them) an int8 run keeps at the
    # higher precision with the converter's own mechanism (docs/diagnose.md); `hil diagnose --fix` writes it.
    keep: list[str] | None = None
    # Episode rules for event-level scores; None: hil's DMS rules (eyes_closed >= 1 s is drowsiness,
    # looking_away >= 2 s distraction, phone >= 1 s phone_use) for the states among the classes.
    events: list[EventRuleSpec] | None = None
    minima: MinimaSpec | None = None  # absolute minima of this model's figures (see docs/models.md)

    @model_validator(mode="after")
    def _event_states_are_classes(self) -> ModelCardSpec:
        for rule in self.events or []:
            if rule.state not in self.classes:
                raise ValueError(f"event {rule.kind!r}: state {rule.state!r} is not one of the classes")
        return self

    @model_validator(mode="after")
    def _minima_classes(self) -> ModelCardSpec:
        for name in self.minima.recall if self.minima is not None else {}:
            if name not in self.classes:
                raise ValueError(f"minima.recall: {name!r} is not one of the classes")
        return self

    def event_rules(self) -> tuple[EventRule, ...]:
        """The rules event scores use for this model (see docs/results.md, "Events")."""
        if self.events is not None:
            return tuple(EventRule(r.kind, r.state, r.min_seconds) for r in self.events)
        return rules_for(self.classes)

    @model_validator(mode="after")
    def _task_fields(self) -> Self:
        if self.task in ("classification", "detection") and not self.classes:
            raise ValueError(f"a {self.task} card needs classes (the class names, in output index order)")
        sections = {"detection": self.detection, "landmarks": self.landmarks, "regression": self.regression}
        for task, section in sections.items():
            if task == self.task and section is None:
                raise ValueError(f"a {task} card needs its '{task}' section (see docs/models.md)")
            if task != self.task and section is not None:
                raise ValueError(f"a '{task}' section on a {self.task} card: set task: {task} or remove it")
        return self


def card_outputs(card: ModelCardSpec) -> dict[str, str]:
    """Card field -> the output tensor it names (each must be an output of the model)."""
    named: dict[str, str | None] = {"output": card.output}
    if card.detection is not None:
        named |= {
            "detection.boxes": card.detection.boxes,
            "detection.scores": card.detection.scores,
            "detection.labels": card.detection.labels,
        }
    if card.landmarks is not None:
        named["landmarks.output"] = card.landmarks.output
    if card.regression is not None:
        named["regression.output"] = card.regression.output
    return {field: name for field, name in named.items() if name is not None}


def check_card_against_graph(path: Path, card: ModelCardSpec, inputs: list[str], outputs: list[str]) -> None:
    """ArtifactError when the card names an input or output tensor the model does not have."""
    where = card_path(path).name
    if card.input.name not in inputs:
        raise ArtifactError(
            f"model card {where}: input.name {card.input.name!r} is not an input of {path.name} "
            f"(inputs: {', '.join(inputs)})"
        )
    for field, name in card_outputs(card).items():
        if name not in outputs:
            raise ArtifactError(
                f"model card {where}: {field} {name!r} is not an output of {path.name} "
                f"(outputs: {', '.join(outputs)})"
            )


def card_path(model: Path) -> Path:
    return model.with_name(model.name.removesuffix(".onnx") + ".card.yaml")


def load_card(model: Path) -> ModelCardSpec | None:
    """The card beside `model`, or None when there is none. A malformed card is an error, not None."""
    path = card_path(model)
    if not path.exists():
        return None
    try:
        data = yaml.safe_load(path.read_text())
        return ModelCardSpec.model_validate(data)
    except yaml.YAMLError as exc:
        raise ArtifactError(f"model card {path} is not valid YAML: {exc}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "card"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ArtifactError(
            f"model card {path}: {where}: {message}",
            hint="see docs/models.md for the fields of a model card",
        ) from exc


def write_card(model: Path, card: ModelCardSpec) -> Path:
    path = card_path(model)
    data = card.model_dump(exclude_none=True)
    if not data.get("classes"):  # a landmark or regression card has none: say nothing rather than `[]`
        data.pop("classes", None)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path
