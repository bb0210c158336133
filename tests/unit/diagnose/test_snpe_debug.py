"""`snpe-net-run --debug` on the emulated QCS8255 tools, read back, judged against host FP32 and host QDQ."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from hil.artifacts.calibration import sample_calibration
from hil.artifacts.card import load_card
from hil.artifacts.frames import preprocess
from hil.diagnose import host
from hil.diagnose.dumps import read_snpe_debug, tensor_shapes
from hil.diagnose.metrics import compare_layers, verdict
from hil.errors import ArtifactError
from hil.sim import dlc
from tests.unit.qcs8255.conftest import run_tool

ROOT = Path(__file__).resolve().parents[3]
FP32 = ROOT / "artifacts/models/dms-face.onnx"
INT8 = ROOT / "artifacts/models/dms-face.int8.onnx"
CONV3 = "/features/features.3/features.3.0/Conv"


@pytest.fixture
def board(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "board"
    (root / "run").mkdir(parents=True)
    monkeypatch.setenv("HIL_BOARD_ROOT", str(root))
    monkeypatch.setenv("HIL_SIM_BOARD", f"qcs-diag-{os.getpid()}-{tmp_path.name}")
    return root


@pytest.fixture(scope="module")
def feeds():
    card = load_card(FP32)
    assert card is not None
    frames = sample_calibration(sorted((ROOT / "artifacts/clips").glob("*.mp4")), 3).frames
    return [{card.input.name: preprocess(f, card.input)} for f in frames]


def _inputs(folder: Path, feeds) -> Path:
    folder.mkdir(parents=True)
    paths = []
    for i, feed in enumerate(feeds):
        path = folder / f"in_{i}.raw"
        dlc.onnx_to_nhwc(next(iter(feed.values()))).astype(np.float32).tofile(path)
        paths.append(str(path))
    (folder / "input_list.txt").write_text("\n".join(paths) + "\n")
    return folder / "input_list.txt"


def _dsp_debug(source: Path, tmp: Path, feeds, break_layer: bool = False) -> Path:
    """QDQ ONNX -> DLC -> snpe-dlc-quantize --override_params -> snpe-net-run --use_dsp --debug."""
    dims = ["--input_dim", "image", "1,64,64,1"]
    assert run_tool("snpe_onnx_to_dlc", "-i", source, "-o", tmp / "f.dlc", *dims).rc == 0
    listing = _inputs(tmp / "in", feeds)
    quantize = ["--input_dlc", tmp / "f.dlc", "--input_list", listing, "--override_params"]
    done = run_tool("snpe_dlc_quantize", *quantize, "--output_dlc", tmp / "q.dlc")
    assert done.rc == 0, done.both
    if break_layer:  # a converter that mis-scales one layer's weights (3x): the board-only fault
        model = dlc.read_dlc(tmp / "q.dlc")
        net = model.model()
        init = next(t for t in net.graph.initializer if t.name == "onnx::Conv_228_scale")
        init.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(init) * 3, init.name))
        model.network = net.SerializeToString()
        model.write(tmp / "q.dlc")
    out = tmp / "out"
    run = ["--container", tmp / "q.dlc", "--input_list", listing, "--output_dir", out, "--use_dsp", "--debug"]
    done = run_tool("snpe_net_run", *run)
    assert done.rc == 0, done.both
    return out


def _board_errors(out: Path, feeds, reference):
    fp32 = onnx.load(str(FP32))
    board = read_snpe_debug(out, tensor_shapes(fp32, feeds[0]), len(feeds))
    return compare_layers(host.layers(fp32), reference, board), board


def test_debug_dump_lists_every_layer_and_tracks_the_host_qdq_model(board, tmp_path, feeds):
    reference = host.reference_tensors(FP32, feeds)
    errors, tensors = _board_errors(_dsp_debug(INT8, tmp_path, feeds), feeds, reference)
    names = [e.name for e in errors]
    assert [n for n in names if n.startswith("/features/")] == [
        layer.name for layer in host.layers(onnx.load(str(FP32))) if layer.name.startswith("/features/")
    ]
    assert "boxes" in tensors and "scores" in tensors  # the network outputs are in the dump too
    host_errors = host.host_qdq_errors(FP32, INT8, feeds, reference)
    v = verdict(host_errors, errors)
    # the board follows the host QDQ model; both lose most at the box offsets sliced from the head conv
    # (one int8 scale for score logits and box offsets): a real finding about the shipped model
    assert (v.source, v.layer) == ("quantization", "/Slice_1"), v.reason
    by_name = {e.name: e for e in host_errors}
    assert abs(errors[3].snr_db - by_name[errors[3].name].snr_db) < 3  # the same QDQ arithmetic


def test_a_layer_the_converter_breaks_is_blamed_on_the_converter(board, tmp_path, feeds):
    reference = host.reference_tensors(FP32, feeds)
    errors, _ = _board_errors(_dsp_debug(INT8, tmp_path, feeds, break_layer=True), feeds, reference)
    v = verdict(host.host_qdq_errors(FP32, INT8, feeds, reference), errors)
    assert (v.source, v.layer) == ("converter", CONV3), v.reason


def test_a_layer_broken_by_quantization_is_blamed_on_quantization(board, tmp_path, feeds):
    proto = onnx.load(str(INT8))
    init = next(t for t in proto.graph.initializer if t.name == "onnx::Conv_228_scale")
    init.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(init) * 3, init.name))
    broken = tmp_path / "broken.int8.onnx"
    onnx.save(proto, str(broken))
    reference = host.reference_tensors(FP32, feeds)
    board_dir = tmp_path / "b"
    board_dir.mkdir()
    errors, _ = _board_errors(_dsp_debug(broken, board_dir, feeds), feeds, reference)
    v = verdict(host.host_qdq_errors(FP32, broken, feeds, reference), errors)
    assert (v.source, v.layer) == ("quantization", CONV3), v.reason


def test_an_output_folder_without_debug_layers_is_refused(tmp_path):
    (tmp_path / "Result_0").mkdir()
    with pytest.raises(ArtifactError, match="--debug"):
        read_snpe_debug(tmp_path, {"/x": [1, 2]}, 1)
    with pytest.raises(ArtifactError, match="Result_1"):
        read_snpe_debug(tmp_path, {"/x": [1, 2]}, 2)
    np.zeros(2, np.float32).tofile(tmp_path / "Result_0" / "scores.raw")  # what a run without --debug writes
    with pytest.raises(ArtifactError, match="--debug"):
        read_snpe_debug(tmp_path, {"/x": [1, 2], "scores": [1, 2]}, 1, outputs=["scores"])
    assert set(read_snpe_debug(tmp_path, {"scores": [1, 2]}, 1)) == {"scores"}
