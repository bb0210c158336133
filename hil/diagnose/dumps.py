"""Board layer dumps read back into the host's form ({FP32 tensor name: [one flat array per frame]}).

    tensor_shapes(fp32, feed) -> {tensor: ONNX shape}       concrete shapes for the frames fed
    read_snpe_debug(output_dir, shapes, frames) -> Tensors
    read_tidl_traces(folder, shapes, frames) -> Tensors
    read_trt_debug(folder, marks, shapes, frames) -> Tensors

SNPE: `snpe-net-run --debug` saves every layer's output as `<output_dir>/Result_<i>/<tensor>.raw`
(float32), one `Result_<i>` per line of the input list. SNPE's help: "output from all layers of the network
will be saved"; the SDK's C++ sample saves each tensor of the output map as OutputDir + "/Result_N/" + name +
".raw", so a `/` in a tensor name is a sub-folder and a leading one collapses into the separator. A DLC keeps
4-D tensors channel-last, so a 4-D layer whose ONNX shape is [N, C, H, W] is stored [N, H, W, C] and is
transposed back here. A layer with no file (fused by the converter, or renamed) is absent, and not compared.

TIDL: with the inference option `debug_level` 4, every run writes each layer's output as float32 to
`/tmp/tidl_trace_<subgraph>_<dataId:04d>_<batch:05d>_<channels:05d>_<width:05d>x<height:05d>_float.bin`
(TI's docs/tidl_osr_debug.md; its scripts/tidl_debug_scripts/layer_trace_inspector.py globs
`tidl_trace_subgraph_0_<dataId:04d>*_float.bin`), and the artifacts' `tempDir/*layer_info.txt` maps dataId
to the name in the original model (`layerId dataId name`; rows whose layerId is not their dataId are
skipped, as TI's inspector does). hil's tidl_trace.py moves each frame's traces to `frame_<i>/` and copies the
layer_info files beside them. The layout is ONNX's (channel-first): nothing is transposed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import onnx

from hil.errors import ArtifactError

Tensors = dict[str, list[npt.NDArray[Any]]]


def tensor_shapes(fp32: onnx.ModelProto, feed: Mapping[str, npt.NDArray[Any]]) -> dict[str, list[int]]:
    """Every tensor's shape when the graph inputs have the feed's shapes (ONNX shape inference)."""
    model = onnx.ModelProto()
    model.CopyFrom(fp32)
    for value in model.graph.input:
        if value.name in feed:
            dims = value.type.tensor_type.shape.dim
            for dim, size in zip(dims, feed[value.name].shape, strict=True):
                dim.Clear()
                dim.dim_value = int(size)
    inferred = onnx.shape_inference.infer_shapes(model, data_prop=True)
    shapes: dict[str, list[int]] = {}
    for value in [*inferred.graph.value_info, *inferred.graph.output]:
        dims = [d.dim_value if d.HasField("dim_value") else -1 for d in value.type.tensor_type.shape.dim]
        if dims and min(dims) >= 0:
            shapes[value.name] = dims
    return shapes


def read_snpe_debug(
    output_dir: Path, shapes: Mapping[str, list[int]], frames: int, outputs: Sequence[str] = ()
) -> Tensors:
    """`outputs`: the graph outputs, which a run without --debug writes too (they alone are refused)."""
    results = [output_dir / f"Result_{i}" for i in range(frames)]
    missing = [r.name for r in results if not r.is_dir()]
    if missing:
        raise ArtifactError(
            f"{output_dir} has no {', '.join(missing)}: not a complete snpe-net-run output folder",
            hint="run snpe-net-run --debug with one input-list line per frame, and pass its --output_dir",
        )
    out: Tensors = {}
    for name, shape in shapes.items():
        files = [r / f"{name.lstrip('/')}.raw" for r in results]  # "Result_N/" + "/a/b" collapses
        if not all(f.is_file() for f in files):
            continue
        arrays = [np.fromfile(f, dtype=np.float32) for f in files]
        if any(a.size != int(np.prod(shape)) for a in arrays):
            continue  # a layer SNPE reshaped differently: not comparable element by element
        if len(shape) == 4:
            n, c, h, w = shape
            arrays = [a.reshape(n, h, w, c).transpose(0, 3, 1, 2).ravel() for a in arrays]
        out[name] = arrays
    if not set(out) - set(outputs):
        raise ArtifactError(
            f"{output_dir} holds no layer of the model (only network outputs, or another model's layers)",
            hint="run snpe-net-run with --debug so that every layer's output is saved",
        )
    return out


LAYER_INFO = "_tidl_net.bin.layer_info.txt"


def read_tidl_traces(
    folder: Path, shapes: Mapping[str, list[int]], frames: int, outputs: Sequence[str] = ()
) -> Tensors:
    """`folder`: tidl_trace.py's --out (frame_<i>/ trace folders and the layer_info files)."""
    results = [folder / f"frame_{i}" for i in range(frames)]
    missing = [r.name for r in results if not r.is_dir()]
    infos = sorted(folder.glob("*layer_info.txt"))
    if missing or not infos:
        what = ", ".join(missing) if missing else "*layer_info.txt"
        raise ArtifactError(
            f"{folder} has no {what}: not a complete TIDL trace folder",
            hint="run with debug_level 4, one frame_<i>/ of traces per frame, and copy the artifacts' "
            "tempDir/*layer_info.txt beside them",
        )
    out: Tensors = {}
    for info in infos:
        subgraph = info.name.split("_tidl_")[0]
        for line in info.read_text().splitlines():
            parts = line.split(" ")
            if len(parts) < 3 or parts[0] != parts[1] or not parts[1].isdigit():
                continue
            name, shape = parts[-1], shapes.get(parts[-1])
            if shape is None:
                continue
            pattern = f"tidl_trace_{subgraph}_{int(parts[1]):04d}_*_float.bin"
            files = [sorted(r.glob(pattern)) for r in results]
            if not all(files):
                continue
            arrays = [np.fromfile(f[0], dtype=np.float32) for f in files]
            if any(a.size != int(np.prod(shape)) for a in arrays):
                continue
            out[name] = arrays
    if not set(out) - set(outputs):
        raise ArtifactError(
            f"{folder} holds no layer of the model (only network outputs, or another model's layers)",
            hint="trace the artifacts compiled from this model, with debug_level 4",
        )
    return out


def read_trt_debug(
    folder: Path, marks: Mapping[str, str], shapes: Mapping[str, list[int]], frames: int
) -> Tensors:
    """trtexec `--saveDebugTensors` files: `folder/frame_<i>/<k>.raw`, k the index of the marked tensor in
    `marks` (marked name -> FP32 tensor name); raw float32 in the network's (ONNX) layout."""
    out: Tensors = {}
    for k, (_marked, name) in enumerate(marks.items()):
        shape = shapes.get(name)
        files = [folder / f"frame_{i}" / f"{k}.raw" for i in range(frames)]
        if shape is None or not all(f.is_file() for f in files):
            continue
        arrays = [np.fromfile(f, dtype=np.float32) for f in files]
        if all(a.size == int(np.prod(shape)) for a in arrays):
            out[name] = arrays
    if not out:
        raise ArtifactError(
            f"{folder} holds no debug tensor of the model",
            hint="build with trtexec --markDebug and run with --saveDebugTensors (TensorRT 10)",
        )
    return out
