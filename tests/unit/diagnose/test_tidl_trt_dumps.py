"""The TIDL trace and TensorRT debug-tensor readers on hand-made folders in the vendors' layouts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hil.diagnose.dumps import read_tidl_traces, read_trt_debug
from hil.errors import ArtifactError

SHAPES = {"conv": [1, 2, 3, 4], "scores": [1, 5]}


def tidl_folder(tmp_path: Path, frames: int) -> tuple[Path, list[dict[str, np.ndarray]]]:
    rng = np.random.default_rng(0)
    folder = tmp_path / "traces"
    folder.mkdir()
    # layerId dataId name; a row whose layerId is not its dataId is skipped (as TI's inspector does)
    (folder / "subgraph_0_tidl_net.bin.layer_info.txt").write_text("1 1 conv\n2 2 scores\n3 7 other\n")
    values = []
    for i in range(frames):
        d = folder / f"frame_{i}"
        d.mkdir()
        v = {n: rng.standard_normal(s).astype(np.float32) for n, s in SHAPES.items()}
        v["conv"].tofile(d / "tidl_trace_subgraph_0_0001_00001_00002_00004x00003_float.bin")
        v["scores"].tofile(d / "tidl_trace_subgraph_0_0002_00001_00001_00005x00001_float.bin")
        values.append(v)
    return folder, values


def test_tidl_traces_map_data_ids_to_the_original_names(tmp_path: Path) -> None:
    folder, values = tidl_folder(tmp_path, 2)
    read = read_tidl_traces(folder, SHAPES, 2, outputs=["scores"])
    assert set(read) == {"conv", "scores"}
    for i in range(2):
        np.testing.assert_array_equal(read["conv"][i], values[i]["conv"].ravel())


def test_tidl_traces_without_layer_info_or_a_frame_are_refused(tmp_path: Path) -> None:
    folder, _ = tidl_folder(tmp_path, 1)
    with pytest.raises(ArtifactError, match="frame_1"):
        read_tidl_traces(folder, SHAPES, 2)
    (folder / "subgraph_0_tidl_net.bin.layer_info.txt").unlink()
    with pytest.raises(ArtifactError, match="layer_info"):
        read_tidl_traces(folder, SHAPES, 1)


def test_trt_debug_files_by_mark_index_and_a_wrong_size_is_not_compared(tmp_path: Path) -> None:
    marks = {"conv": "conv", "scores_QuantizeLinear_Input": "scores"}
    conv = np.arange(24, dtype=np.float32)
    for i in range(2):
        d = tmp_path / f"frame_{i}"
        d.mkdir()
        conv.tofile(d / "0.raw")
        np.zeros(4, dtype=np.float32).tofile(d / "1.raw")  # 4 values for a [1, 5] tensor
    read = read_trt_debug(tmp_path, marks, SHAPES, 2)
    assert set(read) == {"conv"} and read["conv"][1].tolist() == conv.tolist()
    with pytest.raises(ArtifactError, match="no debug tensor"):
        read_trt_debug(tmp_path, {"x": "scores"}, SHAPES, 2)
