"""TIDL's mixed precision and layer traces on a simulated TDA4VM: the 16-bit names lists really keep the
named layers on a 16-bit grid, and debug_level 4 writes every layer's float trace under TI's names."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

from hil.sim.tidl import TOOLS_VERSION, artifacts

from .conftest import HARNESS, board_python, compile_model

SPEC = {
    "shape": [1, 1, 32, 32],
    "layout": "NCHW",
    "colour": "gray",
    "scale": 1 / 255,
    "mean": [0.0],
    "std": [1.0],
}
TRACE = re.compile(r"^tidl_trace_subgraph_0_(\d{4})_(\d{5})_(\d{5})_(\d{5})x(\d{5})_float\.bin$")


def quantizer_types(folder: Path) -> dict[str, np.dtype]:
    """Activation tensor -> the integer type its QuantizeLinear writes, in the compiled TIDL network."""
    net = onnx.load_from_string(artifacts.read_net(folder, "subgraph_0", TOOLS_VERSION)[1])
    inits = {i.name: numpy_helper.to_array(i) for i in net.graph.initializer}
    return {n.input[0]: inits[n.input[2]].dtype for n in net.graph.node if n.op_type == "QuantizeLinear"}


def compile8(board: Path, model: Path, clip: Path, out: Path, *extra: str) -> None:
    run = compile_model(
        board, model, out, 8, f"--calib-clip={clip}", f"--input-json={json.dumps(SPEC)}", *extra
    )
    assert run.rc == 0, run.both


def traces(board: Path, folder: Path, frames: list[np.ndarray], tmp: Path) -> Path:
    tmp.mkdir(parents=True, exist_ok=True)
    files = []
    for i, frame in enumerate(frames):
        files.append(str(tmp / f"f{i}.npy"))
        np.save(files[-1], frame)
    out = tmp / "traces"
    run = board_python(board, str(HARNESS / "tidl_trace.py"), f"--artifacts={folder}", f"--out={out}", *files)
    assert run.rc == 0, run.both
    return out


def test_output_feature_16bit_names_list_keeps_that_layer_at_16_bit(
    board: Path, material: tuple[Path, Path], tmp_path: Path
) -> None:
    model, clip = material
    compile8(board, model, clip, tmp_path / "all8")
    compile8(board, model, clip, tmp_path / "kept", "--output-feature-16bit-names-list=pooled")
    plain, kept = quantizer_types(tmp_path / "all8"), quantizer_types(tmp_path / "kept")
    assert set(plain.values()) == {np.dtype(np.int8)}
    assert kept["pooled"] == np.dtype(np.int16)  # the named layer's output: int16 Q/DQ
    assert kept["input"] == np.dtype(np.int8)  # the rest stays 8 bit
    # tempDir/*.layer_info.txt: `layerId dataId name`, every layer of the subgraph by its original name
    (info,) = (tmp_path / "kept" / "tempDir").glob("*layer_info.txt")
    rows = [line.split(" ") for line in info.read_text().splitlines()]
    assert [r[2] for r in rows] == ["pooled", "flat", "scores"] and all(r[0] == r[1] for r in rows)


def test_debug_level_4_traces_every_layer_and_the_kept_layer_is_really_more_precise(
    board: Path, material: tuple[Path, Path], tmp_path: Path
) -> None:
    model, clip = material
    rng = np.random.default_rng(3)
    frames = [rng.uniform(0.1, 0.9, (1, 1, 32, 32)).astype(np.float32) for _ in range(2)]
    compile8(board, model, clip, tmp_path / "all8")
    compile8(board, model, clip, tmp_path / "kept", "--output-feature-16bit-names-list=pooled")
    errors = {}
    for name in ("all8", "kept"):
        out = traces(board, tmp_path / name, frames, tmp_path / f"t-{name}")
        assert (out / "subgraph_0_tidl_net.bin.layer_info.txt").is_file()
        per_frame = []
        for i, frame in enumerate(frames):
            found = {m.group(1): (m, p) for p in (out / f"frame_{i}").iterdir() if (m := TRACE.match(p.name))}
            assert sorted(found) == ["0001", "0002", "0003"]  # pooled, flat, scores by dataId
            m, path = found["0001"]
            assert (m.group(2), m.group(3), m.group(4), m.group(5)) == ("00001", "00001", "00001", "00001")
            pooled = np.fromfile(path, dtype=np.float32)
            per_frame.append(float(np.abs(pooled - frame.mean()).max()))  # GlobalAveragePool in float
        errors[name] = max(per_frame)
    # 8 bit: up to half an 8-bit step of the calibrated range. Kept: its output on a 16-bit grid, what is
    # left is the 8-bit input it still reads (measured 27x less than all-8-bit)
    assert errors["all8"] > 0
    assert errors["kept"] < errors["all8"] / 10, errors
