"""The host side on the real demo detector and its shipped INT8 QDQ model, with real ONNX Runtime."""

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from hil.artifacts.calibration import sample_calibration
from hil.artifacts.card import load_card
from hil.artifacts.frames import preprocess
from hil.diagnose import host
from hil.diagnose.metrics import compare_layers, first_jump

ROOT = Path(__file__).resolve().parents[3]
FP32 = ROOT / "artifacts/models/dms-face.onnx"
INT8 = ROOT / "artifacts/models/dms-face.int8.onnx"
CONV3 = "/features/features.3/features.3.0/Conv"


@pytest.fixture(scope="module")
def feeds():
    card = load_card(FP32)
    assert card is not None
    frames = sample_calibration(sorted((ROOT / "artifacts/clips").glob("*.mp4")), 3).frames
    return [{card.input.name: preprocess(f, card.input)} for f in frames]


@pytest.fixture(scope="module")
def reference(feeds):
    return host.reference_tensors(FP32, feeds)


def test_layers_follow_the_fp32_graph_and_skip_constants():
    names = [layer.name for layer in host.layers(onnx.load(str(FP32)))]
    assert names[:3] == [
        "/Transpose",
        "/features/features.0/features.0.0/Conv",
        "/features/features.0/features.0.2/Relu",
    ]
    assert not any(layer.op == "Constant" for layer in host.layers(onnx.load(str(FP32))))


def test_the_shipped_int8_model_tracks_fp32_through_the_backbone(feeds, reference):
    errors = host.host_qdq_errors(FP32, INT8, feeds, reference)
    backbone = [e for e in errors if e.name.startswith("/features/")]
    assert len(backbone) == 10  # 5 Conv + 5 Relu, every one compared
    assert all(e.snr_db > 20 and e.cosine > 0.99 for e in backbone)
    # quantization noise grows with depth (the first conv cleaner than the last)
    assert backbone[0].snr_db > backbone[-2].snr_db


def _break_weight_scale(tmp_path: Path) -> Path:
    """One conv's weights dequantized 3x too large: a fault in one layer of the quantized graph."""
    proto = onnx.load(str(INT8))
    name = "onnx::Conv_228_scale"
    init = next(t for t in proto.graph.initializer if t.name == name)
    init.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(init) * 3, name))
    out = tmp_path / "broken.int8.onnx"
    onnx.save(proto, str(out))
    return out


def test_a_layer_broken_in_the_quantized_graph_is_found_and_ranked_first(tmp_path, feeds, reference):
    broken = _break_weight_scale(tmp_path)
    errors = host.host_qdq_errors(FP32, broken, feeds, reference)
    jump = first_jump(errors)
    assert jump is not None and jump.name == CONV3
    full, ranking = host.rank_layers(FP32, broken, feeds, host.run_outputs(FP32, feeds))
    assert ranking[0].name == CONV3 and ranking[0].share > 0.5
    healthy_full, _ = host.rank_layers(FP32, INT8, feeds, host.run_outputs(FP32, feeds), nodes=[CONV3])
    assert full > 3 * healthy_full


def test_removing_a_layers_quantization_runs_it_in_float(feeds, reference):
    fp32, qdq = onnx.load(str(FP32)), onnx.load(str(INT8))
    model = host.without_quantization(qdq, fp32, CONV3)
    onnx.checker.check_model(model)
    tensors = host.run_outputs(model, feeds)
    assert set(tensors) == {"boxes", "scores"}
    with pytest.raises(ValueError, match="not in the FP32 model"):
        host.without_quantization(qdq, fp32, "/no/such/Conv")


def test_compare_layers_accepts_the_board_tensors_in_the_same_form(reference):
    same = compare_layers(host.layers(onnx.load(str(FP32))), reference, reference)
    assert {e.cosine for e in same} == {1.0}
    assert all(np.isfinite(e.snr_db) for e in same)
