"""The artifacts folder the emulated TIDLCompilationProvider writes and the TIDLExecutionProvider reads.

File names follow edgeai-tidl-tools; the contents are the emulation's own (TI's are binary and closed):

    allowedNode.txt                 number of delegated nodes, then one delegated node name per line
    onnxrtMetaData.txt              JSON: format, tools version, tensor_bits, the source model's sha256 and
                                    node count, and every segment (TIDL subgraph or ARM part) in execution
                                    order with its node indices and boundary tensor names
    subgraph_<k>_tidl_net.bin       b"HILSIM-TIDL-NET\\n", one JSON header line (tools version, tensor_bits,
                                    subgraph, inputs, outputs), then the quantized (QDQ) ONNX subgraph
    subgraph_<k>_tidl_io_1.bin      JSON: the subgraph's inputs, outputs and power-of-2 activation scales
    tempDir/subgraph_<k>_tidl_io_.qunat_stats_config.txt   per activation: `tensor range scale` (the
                                    range its power-of-2 scale covers)
    tempDir/subgraph_<k>_tidl_net.bin.layer_info.txt   one line per layer: `layerId dataId name`, the name
                                    as in the original model. TI (docs/tidl_osr_debug.md): "the mapping of
                                    DataId to the layerId ... inside the artifacts directory under tempDir
                                    with file name ending with *.layer_info.txt ... The first column in this
                                    file is the layerId and second is dataId and third is the name in
                                    original model"; only that suffix is documented, the stem is the
                                    emulation's. Ids start at 1 (TIDL's data layer, the input, is 0).

The compile script (hil/harness/tidl_compile.py) adds what gen_param_yaml adds in TI's examples: the
source model and param.yaml.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hil.sim.tidl.partition import Segment

FORMAT = "hil-sim-tidl/1"
NET_MAGIC = b"HILSIM-TIDL-NET\n"
META = "onnxrtMetaData.txt"
ALLOWED = "allowedNode.txt"


class ArtifactsError(RuntimeError):
    """Artifacts the emulated TIDL runtime cannot use; the message is what TIDL prints."""


@dataclass(frozen=True)
class Meta:
    tools_version: str
    tensor_bits: int
    prequantized: bool
    model_sha256: str
    num_graph_nodes: int
    segments: list[Segment]


def net_path(folder: Path, name: str) -> Path:
    return folder / f"{name}_tidl_net.bin"


def io_path(folder: Path, name: str) -> Path:
    return folder / f"{name}_tidl_io_1.bin"


def stats_path(folder: Path, name: str) -> Path:
    return folder / "tempDir" / f"{name}_tidl_io_.qunat_stats_config.txt"


def write_meta(folder: Path, meta: Meta, delegated_names: list[str]) -> None:
    segments = [
        {"name": s.name, "tidl": s.tidl, "nodes": s.nodes, "inputs": s.inputs, "outputs": s.outputs}
        for s in meta.segments
    ]
    doc = {
        "format": FORMAT,
        "tidl_tools_version": meta.tools_version,
        "tensor_bits": meta.tensor_bits,
        "prequantized": meta.prequantized,
        "model_sha256": meta.model_sha256,
        "num_graph_nodes": meta.num_graph_nodes,
        "segments": segments,
    }
    (folder / META).write_text(json.dumps(doc, indent=1) + "\n")
    (folder / ALLOWED).write_text("\n".join([str(len(delegated_names)), *delegated_names]) + "\n")


def read_meta(folder: Path) -> Meta:
    path = folder / META
    try:
        doc = json.loads(path.read_text())
        segments = [
            Segment(bool(s["tidl"]), list(s["nodes"]), s["name"], list(s["inputs"]), list(s["outputs"]))
            for s in doc["segments"]
        ]
        return Meta(
            doc["tidl_tools_version"],
            int(doc["tensor_bits"]),
            bool(doc["prequantized"]),
            doc["model_sha256"],
            int(doc["num_graph_nodes"]),
            segments,
        )
    except FileNotFoundError:
        raise ArtifactsError(
            f"TIDL_RT: ERROR: {path} not found: compile the model into {folder} first"
        ) from None
    except (ValueError, KeyError, TypeError) as exc:
        raise ArtifactsError(f"TIDL_RT: ERROR: {path} is damaged ({exc})") from None


def write_net(folder: Path, seg: Segment, header: dict[str, Any], onnx_bytes: bytes) -> bytes:
    line = json.dumps({**header, "subgraph": seg.name, "inputs": seg.inputs, "outputs": seg.outputs})
    data = NET_MAGIC + line.encode() + b"\n" + onnx_bytes
    net_path(folder, seg.name).write_bytes(data)
    return data


def read_net(folder: Path, name: str, tools_version: str) -> tuple[dict[str, Any], bytes]:
    path = net_path(folder, name)
    try:
        data = path.read_bytes()
    except OSError:
        raise ArtifactsError(f"TIDL_RT_OVX: ERROR: Unable to open network file {path}") from None
    line, _, body = data.removeprefix(NET_MAGIC).partition(b"\n")
    try:
        if not data.startswith(NET_MAGIC):
            raise ValueError("bad magic")
        header: dict[str, Any] = json.loads(line)
    except ValueError:
        raise ArtifactsError(f"TIDL_RT_OVX: ERROR: Network file {path} is not a TIDL network") from None
    if header.get("tidl_tools_version") != tools_version:
        raise ArtifactsError(
            f"TIDL_RT_OVX: ERROR: {path} was compiled by tidl_tools {header.get('tidl_tools_version')}, "
            f"this runtime is {tools_version}: recompile the model with matching tools"
        )
    return header, body


def write_io(folder: Path, seg: Segment, tensor_bits: int, scales: dict[str, float]) -> None:
    doc = {"tensor_bits": tensor_bits, "inputs": seg.inputs, "outputs": seg.outputs, "scales": scales}
    io_path(folder, seg.name).write_text(json.dumps(doc) + "\n")
    stats = stats_path(folder, seg.name)
    stats.parent.mkdir(parents=True, exist_ok=True)
    qmax = 2 ** (tensor_bits - 1) - 1
    stats.write_text(
        "".join(f"{name} {scale * qmax:.9g} {scale:.9g}\n" for name, scale in sorted(scales.items()))
    )


def check_io(folder: Path, name: str) -> None:
    path = io_path(folder, name)
    try:
        size = path.stat().st_size
        json.loads(path.read_text())
    except FileNotFoundError:
        raise ArtifactsError(f"TIDL_RT_OVX: ERROR: Unable to open config file {path}") from None
    except (ValueError, UnicodeDecodeError):
        raise ArtifactsError(
            f"TIDL_RT_OVX: ERROR: Config file {path} ({size} bytes) is not a TIDL IO buffer descriptor"
        ) from None


def layer_info_path(folder: Path, name: str) -> Path:
    return folder / "tempDir" / f"{name}_tidl_net.bin.layer_info.txt"


RENAMED_OUTPUT = "_QuantizeLinear_Input"  # ONNX Runtime's quantizer renames a graph output's producer so


def original_name(layer: str) -> str:
    """A layer of the quantized network by its name in the original model."""
    return layer.removesuffix(RENAMED_OUTPUT)


def write_layer_info(folder: Path, name: str, layers: Mapping[str, str]) -> None:
    """`layers`: the subgraph's layer output names (hil.sim.layer_dump.LayerDump.layers), in order."""
    lines = [f"{i} {i} {original_name(layer)}\n" for i, layer in enumerate(layers, start=1)]
    layer_info_path(folder, name).write_text("".join(lines))


def read_layer_info(folder: Path, name: str) -> list[tuple[int, str]]:
    """(dataId, name) of every layer of a subgraph whose layerId is its dataId, as TI's trace inspector
    (scripts/tidl_debug_scripts/layer_trace_inspector.py) reads the file."""
    out = []
    for line in layer_info_path(folder, name).read_text().splitlines():
        parts = line.split(" ")
        if len(parts) >= 3 and parts[0] == parts[1]:
            out.append((int(parts[1]), parts[-1]))
    return out
