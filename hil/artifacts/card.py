"""Model cards: the YAML beside an ONNX file that says how to feed it and what its outputs mean.

`dms-small.onnx` has its card in `dms-small.card.yaml`. A model without a card still runs: the input is read
from the graph, frames are resized to it, outputs are kept raw, and accuracy is reported as null.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hil.errors import ArtifactError
from hil.measure.events import EventRule, rules_for


class InputSpec(BaseModel):
    """How a frame becomes the model's input tensor: value = (pixel * scale - mean) / std."""

    model_config = ConfigDict(extra="forbid")

    name: str
    shape: list[int] = Field(min_length=4, max_length=4)
    layout: Literal["NCHW", "NHWC"] = "NCHW"
    colour: Literal["gray", "rgb", "bgr"] = "gray"
    scale: float = 1.0 / 255.0
    mean: list[float] = Field(default_factory=lambda: [0.0])
    std: list[float] = Field(default_factory=lambda: [1.0])


class EventRuleSpec(BaseModel):
    """An event is an episode of `state` (one of the card's classes) lasting at least `min_seconds`."""

    model_config = ConfigDict(extra="forbid")

    kind: str
    state: str
    min_seconds: float = Field(gt=0)


class ModelCardSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    version: str = "0"
    task: Literal["classification"] = "classification"
    description: str = ""
    input: InputSpec
    output: str | None = None  # output tensor name; the first output when absent
    classes: list[str] = Field(min_length=1)
    precision: Literal["fp32", "fp16", "int8"] = "fp32"
    source: str | None = None  # the card of the FP32 model this one was derived from, if any
    calibration: str | None = None  # INT8 only: the calibration set it was quantized with (name@digest)
    # Episode rules for event-level scores; None: hil's DMS rules (eyes_closed >= 1 s is drowsiness,
    # looking_away >= 2 s distraction, phone >= 1 s phone_use) for the states among the classes.
    events: list[EventRuleSpec] | None = None

    @model_validator(mode="after")
    def _event_states_are_classes(self) -> ModelCardSpec:
        for rule in self.events or []:
            if rule.state not in self.classes:
                raise ValueError(f"event {rule.kind!r}: state {rule.state!r} is not one of the classes")
        return self

    def event_rules(self) -> tuple[EventRule, ...]:
        """The rules event scores use for this model (see docs/results.md, "Events")."""
        if self.events is not None:
            return tuple(EventRule(r.kind, r.state, r.min_seconds) for r in self.events)
        return rules_for(self.classes)


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
        where = ".".join(str(p) for p in first["loc"])
        raise ArtifactError(
            f"model card {path}: {where}: {first['msg']}",
            hint="see docs/models.md for the fields of a model card",
        ) from exc


def write_card(model: Path, card: ModelCardSpec) -> Path:
    path = card_path(model)
    path.write_text(yaml.safe_dump(card.model_dump(exclude_none=True), sort_keys=False))
    return path
