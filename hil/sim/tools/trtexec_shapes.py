"""The emulated trtexec's dynamic shapes: optimization profiles from --shapes or --minShapes/--optShapes/
--maxShapes, checked as TensorRT checks them, and the inference-time check against an engine's profile.

An input whose profile is one shape (min = opt = max, what `--shapes` alone gives a build) is built static,
as TensorRT specialises the engine for it; an input with a range stays dynamic within it.
"""

from __future__ import annotations

from dataclasses import dataclass

import onnx

from hil.sim import engine
from hil.sim.tools.trtexec_log import Log, Options


@dataclass(frozen=True)
class ShapeRange:
    """One input's optimization profile: the engine accepts any shape from min to max, tuned for opt."""

    min: list[int]
    opt: list[int]
    max: list[int]

    def text(self) -> str:
        return " ".join(
            f"{k}={'x'.join(map(str, v))}"
            for k, v in (("MIN", self.min), ("OPT", self.opt), ("MAX", self.max))
        )

    @property
    def fixed(self) -> bool:
        return self.min == self.max


def parse_shape_spec(text: str) -> dict[str, list[int]]:
    """`in0:1x3x224x224,'in:1':2x8` -> {name: dims}, as trtexec reads --shapes and the profile flags."""
    shapes: dict[str, list[int]] = {}
    for item in filter(None, text.split(",")):
        name, sep, dims = item.rpartition(":")
        if not sep or not name:
            raise ValueError(f"Invalid shape spec: {item} (expected name:NxCxHxW)")
        try:
            shapes[name.strip("'\"")] = [int(d) for d in dims.split("x")]
        except ValueError as exc:
            raise ValueError(f"Invalid shape spec: {item} (dimensions must be integers)") from exc
    return shapes


def build_profile(log: Log, opts: Options, model: onnx.ModelProto) -> dict[str, ShapeRange] | None:
    """The optimization profile of the dynamic inputs from --minShapes/--optShapes/--maxShapes, or --shapes
    alone (min = opt = max), as trtexec builds it; None after printing trtexec's error."""
    given = {
        k: parse_shape_spec(opts.get(k)) for k in ("--minShapes", "--optShapes", "--maxShapes", "--shapes")
    }
    explicit = any(given[k] for k in ("--minShapes", "--optShapes", "--maxShapes"))
    if explicit and not all(given[k] for k in ("--minShapes", "--optShapes", "--maxShapes")):
        log.e(
            "When any of --minShapes, --optShapes, or --maxShapes is specified, all three must be specified."
        )
        return None
    inputs = engine.graph_input_dims(model)
    names = set(given["--optShapes"] if explicit else given["--shapes"]) | set(given["--minShapes"])
    for name in sorted(names | set(given["--maxShapes"])):
        if name not in inputs:
            log.e(
                f'Cannot find input tensor with name "{name}" in the network inputs! '
                "Please make sure the input tensor names are correct."
            )
            return None
    profile: dict[str, ShapeRange] = {}
    for name, dims in inputs.items():
        if explicit:
            if name not in given["--optShapes"]:
                continue
            low = given["--minShapes"].get(name, given["--optShapes"][name])
            high = given["--maxShapes"].get(name, given["--optShapes"][name])
            shape = ShapeRange(low, given["--optShapes"][name], high)
        elif name in given["--shapes"]:
            fixed = given["--shapes"][name]
            shape = ShapeRange(fixed, fixed, fixed)
        else:
            continue
        if all(d > 0 for d in dims):
            log.w(
                f"Static model does not take explicit shapes since the shape of inference tensors will be "
                f"determined by the model itself (input {name})"
            )
            continue
        problem = _profile_problem(name, dims, shape)
        if problem:
            log.e(f"[TRT] IOptimizationProfile::setDimensions: Error Code 3: API Usage Error ({problem})")
            return None
        profile[name] = shape
    return profile


def _profile_problem(name: str, dims: list[int], shape: ShapeRange) -> str:
    for kind, value in (("MIN", shape.min), ("OPT", shape.opt), ("MAX", shape.max)):
        if len(value) != len(dims):
            return f"{name}: {kind} dimensions have rank {len(value)}, the network input has rank {len(dims)}"
        for axis, (have, want) in enumerate(zip(dims, value, strict=True)):
            if have > 0 and have != want:
                return f"{name}: {kind} dimension {axis} is {want}, but the network fixes it at {have}"
            if want < 1:
                return f"{name}: {kind} dimension {axis} must be positive"
    if not all(a <= b <= c for a, b, c in zip(shape.min, shape.opt, shape.max, strict=True)):
        return f"{name}: the profile needs MIN <= OPT <= MAX in every dimension ({shape.text()})"
    return ""


def check_in_profile(name: str, shape: list[int], profile: list[list[int]] | None) -> None:
    """ValueError with TensorRT's words when an inference shape lies outside the engine's profile."""
    if profile is None:
        return
    low, _opt, high = profile
    shown, lows, highs = (",".join(map(str, x)) for x in (shape, low, high))
    api = (
        "IExecutionContext::setInputShape: Error Code 3: API Usage Error (Parameter check failed, condition:"
    )
    if low == high and shape != low:
        raise ValueError(
            f"{api} engineDims.d[i] == dims.d[i]. Static dimension mismatch while setting input shape for "
            f"{name}. Set dimensions are [{shown}]. Expected dimensions are [{lows}].)"
        )
    if len(shape) != len(low) or not all(a <= d <= b for a, d, b in zip(low, shape, high, strict=True)):
        raise ValueError(
            f"{api} satisfyProfile. Set dimension [{shown}] for tensor {name} does not satisfy any "
            f"optimization profiles. Valid range for profile 0: [{lows}]..[{highs}].)"
        )


def fix_static_inputs(model: onnx.ModelProto, fixed: dict[str, list[int]]) -> onnx.ModelProto:
    """The network with these inputs made static (a profile of one shape: TensorRT specialises for it); an
    input with a range stays dynamic, so any shape in the profile runs."""
    if not fixed:
        return model
    out = onnx.ModelProto()
    out.CopyFrom(model)
    for value in out.graph.input:
        if value.name in fixed:
            shape = value.type.tensor_type.shape
            del shape.dim[:]
            for d in fixed[value.name]:
                shape.dim.add().dim_value = d
    return out
