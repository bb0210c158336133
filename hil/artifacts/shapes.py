"""Input shapes: fixing a model's dynamic dimensions on the host, before any board is touched.

Many third-party models (face detectors above all) declare their input as fully dynamic, e.g.
`[N, H, W, 3]`. Every converter needs the shape fixed: trtexec takes `--shapes` (or min/opt/max shapes) and
sets a dynamic dimension it is not told about to 1, snpe-onnx-to-dlc takes `--input_dim NAME DIMS`, TIDL
wants a static-shape model. hil fixes each graph input from, in order: `hil run --input-shape NAME=DIMS`,
the model card's `input.shape` (for the card's input), the graph itself. An input whose only dynamic
dimension is the batch (`[N, 24, 24, 3]`, the commonest export) runs at batch 1, as trtexec runs it, with a
note on every result; an input left with any other dynamic dimension is a ConfigError naming the input and
the flag or card field that fixes it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import onnx

from hil.artifacts.card import ModelCardSpec, card_path
from hil.errors import ArtifactError, ConfigError

_SHAPE = re.compile(r"^([^=]+)=(\d+(?:x\d+)*)$")


@dataclass(frozen=True)
class InputShapes:
    """Every graph input's fixed dims, and which inputs were dynamic in the graph (those need flags)."""

    shapes: dict[str, list[int]]
    dynamic: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what hil chose by itself (a dynamic batch run at 1)

    def dynamic_shapes(self) -> dict[str, list[int]]:
        return {name: self.shapes[name] for name in self.dynamic}


def dims_text(dims: list[int], sep: str = "x") -> str:
    return sep.join(str(d) for d in dims)


def parse_input_shape(text: str) -> tuple[str, list[int]]:
    """`NAME=1x240x320x3` -> ("NAME", [1, 240, 320, 3]); ConfigError naming the flag otherwise."""
    match = _SHAPE.match(text.strip())
    if not match:
        raise ConfigError(
            f"--input-shape {text!r} is not NAME=DIMS",
            hint="write the input's name and every dimension, e.g. --input-shape input=1x240x320x3",
        )
    dims = [int(d) for d in match.group(2).split("x")]
    if any(d < 1 for d in dims):
        raise ConfigError(f"--input-shape {text!r}: every dimension must be 1 or more")
    return match.group(1), dims


def parse_input_shapes(texts: list[str]) -> dict[str, list[int]]:
    shapes: dict[str, list[int]] = {}
    for text in texts:
        name, dims = parse_input_shape(text)
        if name in shapes and shapes[name] != dims:
            raise ConfigError(f"--input-shape gives two shapes for input {name!r}")
        shapes[name] = dims
    return shapes


def graph_inputs(model: onnx.ModelProto) -> dict[str, list[int | str | None]]:
    """Graph inputs that are not initializers -> dims: an int, a symbolic name, or None when unnamed."""
    initializers = {init.name for init in model.graph.initializer}
    found: dict[str, list[int | str | None]] = {}
    for value in model.graph.input:
        if value.name in initializers:
            continue
        dims: list[int | str | None] = []
        for dim in value.type.tensor_type.shape.dim:
            if dim.HasField("dim_value") and dim.dim_value > 0:
                dims.append(int(dim.dim_value))
            else:
                dims.append(dim.dim_param or None)
        found[value.name] = dims
    return found


def _shown(dims: list[int | str | None]) -> str:
    return "[" + ", ".join("?" if d is None else str(d) for d in dims) + "]"


def fix_input_shapes(
    model_path: Path, model: onnx.ModelProto, card: ModelCardSpec | None, given: Mapping[str, list[int]]
) -> InputShapes:
    """Each input's fixed shape (see the module doc); ConfigError for a dynamic dimension left unfixed, a
    given shape of the wrong rank or one that contradicts a static dimension, or a name the graph lacks."""
    inputs = graph_inputs(model)
    unknown = sorted(set(given) - set(inputs))
    if unknown:
        raise ConfigError(
            f"--input-shape names {unknown[0]!r}, which is not an input of {model_path.name} "
            f"(inputs: {', '.join(inputs) or 'none'})"
        )
    shapes: dict[str, list[int]] = {}
    dynamic: list[str] = []
    notes: list[str] = []
    for name, dims in inputs.items():
        source = f"--input-shape {name}=..."
        wanted: list[int] | None = given.get(name)
        if wanted is None and card is not None and card.input.name == name:
            wanted, source = list(card.input.shape), f"the card's input.shape ({card_path(model_path).name})"
        is_dynamic = any(not isinstance(d, int) for d in dims)
        batch_only = (
            len(dims) >= 2 and not isinstance(dims[0], int) and all(isinstance(d, int) for d in dims[1:])
        )
        if wanted is None and batch_only:
            # The commonest export (fixed image, dynamic batch): trtexec runs it at batch 1 and says so; so
            # does hil, in a note on every result. Any other dynamic dimension still needs to be given.
            shapes[name] = [1, *(int(d) for d in dims[1:] if isinstance(d, int))]
            dynamic.append(name)
            notes.append(
                f"input {name!r}: dynamic batch {dims[0] or '?'} run at batch 1 "
                f"(--input-shape {name}={dims_text(shapes[name])} says so explicitly)"
            )
            continue
        if wanted is None:
            if is_dynamic:
                example = "x".join(
                    str(d) if isinstance(d, int) else ("1" if axis == 0 else (d or "?"))
                    for axis, d in enumerate(dims)
                )
                raise ConfigError(
                    f"input {name!r} of {model_path.name} has dynamic dimensions {_shown(dims)}; "
                    "every converter needs them fixed",
                    hint=f"pass --input-shape {name}={example} (every dimension a number) to hil run, or set "
                    f"input.shape in the model card {card_path(model_path).name} (docs/models.md)",
                )
            shapes[name] = [int(d) for d in dims if isinstance(d, int)]
            continue
        if len(wanted) != len(dims):
            raise _mismatch(model_path, name, dims, wanted, source, f"has rank {len(dims)}")
        for axis, (have, want) in enumerate(zip(dims, wanted, strict=True)):
            if isinstance(have, int) and have != want:
                raise _mismatch(
                    model_path, name, dims, wanted, source, f"dimension {axis} is fixed at {have}"
                )
        shapes[name] = list(wanted)
        if is_dynamic:
            dynamic.append(name)
    return InputShapes(shapes, dynamic, notes)


def _mismatch(
    model_path: Path, name: str, dims: list[int | str | None], wanted: list[int], source: str, why: str
) -> ArtifactError:
    return ArtifactError(
        f"{source} gives input {name!r} of {model_path.name} the shape {dims_text(wanted)}, but the graph's "
        f"input is {_shown(dims)}: {why}",
        hint="give a shape of the graph's rank that keeps its fixed dimensions",
    )


def make_static(model: onnx.ModelProto, shapes: Mapping[str, list[int]]) -> onnx.ModelProto:
    """A copy of `model` whose inputs have the given static dims, with shapes inferred anew (TIDL wants a
    model whose every tensor shape is known)."""
    static = onnx.ModelProto()
    static.CopyFrom(model)
    for value in static.graph.input:
        if value.name in shapes:
            shape = value.type.tensor_type.shape
            del shape.dim[:]
            for d in shapes[value.name]:
                shape.dim.add().dim_value = d
    del static.graph.value_info[:]
    for output in static.graph.output:  # stale symbolic output dims would contradict the new inputs
        for dim in output.type.tensor_type.shape.dim:
            if not dim.HasField("dim_value"):
                dim.Clear()
    try:
        return onnx.shape_inference.infer_shapes(static, strict_mode=False)
    except Exception:  # shape inference is a help, not a requirement; the converter checks the rest
        return static


def write_static(src: Path, shapes: Mapping[str, list[int]], folder: Path) -> Path:
    """The static-shape copy of `src` in `folder` (named by the source's and the shapes' digests, so it
    is written once and its content address stays stable)."""
    data = src.read_bytes()
    text = ";".join(f"{n}={dims_text(list(d))}" for n, d in sorted(shapes.items()))
    digest = hashlib.sha256(data + b"\0" + text.encode()).hexdigest()[:16]
    target = folder / f"{src.name.removesuffix('.onnx')}.static-{digest}.onnx"
    if not target.exists():
        folder.mkdir(parents=True, exist_ok=True)
        static = make_static(onnx.load_from_string(data), shapes)
        part = target.with_name(target.name + ".part")
        onnx.save(static, part)
        part.replace(target)
    return target
