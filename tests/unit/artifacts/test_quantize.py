from __future__ import annotations

from pathlib import Path

import onnx
import pytest

from hil.artifacts import evaluate
from hil.artifacts.calibration import sample_calibration
from hil.artifacts.card import load_card
from hil.artifacts.labels import labels_path, write_labels
from hil.artifacts.quantize import graph_input_spec, load_onnx, quantize
from hil.errors import ArtifactError, ConfigError

from .conftest import REPO, tiny_cnn


def test_fp16_keeps_float32_io_and_updates_the_card(model: Path) -> None:
    res = quantize(model, "fp16")
    assert res.path.name == "tiny.fp16.onnx" and res.bytes < model.stat().st_size
    proto = onnx.load(str(res.path))
    assert proto.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert any(i.data_type == onnx.TensorProto.FLOAT16 for i in proto.graph.initializer)
    card = load_card(res.path)
    assert card is not None and card.precision == "fp16" and card.source == "tiny.card.yaml"


def test_int8_is_qdq_per_channel_with_calibration_recorded(model: Path, clips: list[Path]) -> None:
    cset = sample_calibration(clips, 16)
    res = quantize(model, "int8", cset, out=model.with_name("q.onnx"))
    ops = [n.op_type for n in onnx.load(str(res.path)).graph.node]
    assert "QuantizeLinear" in ops and "DequantizeLinear" in ops
    card = load_card(res.path)
    assert card is not None and card.precision == "int8" and card.calibration
    assert cset.digest in card.calibration


def test_int8_without_calibration_is_a_config_error(model: Path) -> None:
    with pytest.raises(ConfigError, match="calibration"):
        quantize(model, "int8")


def test_quantizing_a_quantized_model_is_refused(model: Path) -> None:
    fp16 = quantize(model, "fp16").path
    with pytest.raises(ConfigError, match="already fp16"):
        quantize(fp16, "fp16", out=fp16.with_name("again.onnx"))


def test_a_file_that_is_not_onnx_is_an_artifact_error(tmp_path: Path) -> None:
    bogus = tmp_path / "model.onnx"
    bogus.write_text("definitely not protobuf \x00\xff")
    with pytest.raises(ArtifactError, match="not a valid ONNX model"):
        load_onnx(bogus)
    with pytest.raises(ArtifactError, match="does not exist"):
        load_onnx(tmp_path / "missing.onnx")
    with pytest.raises(ArtifactError):
        evaluate.open_session(bogus)


def test_graph_spec_for_a_model_without_card(tmp_path: Path) -> None:
    spec = graph_input_spec(load_onnx(tiny_cnn(tmp_path / "m.onnx", with_card=False)))
    assert spec.name == "input" and spec.shape == [1, 1, 64, 64] and spec.colour == "gray"


def test_compare_scores_every_variant_on_the_same_frames(model: Path, clips: list[Path]) -> None:
    fp16 = quantize(model, "fp16").path
    int8 = quantize(model, "int8", sample_calibration(clips, 16)).path
    report = evaluate.compare({"fp32": model, "fp16": fp16, "int8": int8}, clips)
    assert report["frames"] == 120 and set(report["results"]) == {"fp32", "fp16", "int8"}
    for r in report["results"].values():
        assert 0.0 <= r["accuracy"] <= 1.0 and r["bytes"] > 0
        assert set(r["events"]) == {"drowsiness", "distraction", "phone_use"}
    assert report["results"]["fp32"]["agreement"] == 1.0
    assert report["results"]["fp16"]["agreement"] > 0.9


def test_labels_that_do_not_match_the_clip_are_refused(
    model: Path, clips: list[Path], tmp_path: Path
) -> None:
    clip = tmp_path / "short.mp4"
    clip.write_bytes(clips[0].read_bytes())
    write_labels(clip, ["attentive"] * 59)
    with pytest.raises(ArtifactError, match=r"labels 59 frames but .* has 60"):
        evaluate.compare({"fp32": model}, [clip])
    write_labels(clip, ["asleep"] * 60)
    with pytest.raises(ArtifactError, match="asleep"):
        evaluate.compare({"fp32": model}, [clip])
    labels_path(clip).unlink()
    with pytest.raises(ConfigError, match="no labels"):
        evaluate.compare({"fp32": model}, [clip])


def test_score_counts_events() -> None:
    truth = ["attentive"] * 10 + ["eyes_closed"] * 40 + ["looking_away"] * 70
    pred = ["attentive"] * 12 + ["eyes_closed"] * 38 + ["attentive"] * 70
    s = evaluate.score(truth, pred, ["attentive", "eyes_closed", "looking_away", "phone"])
    assert s["events"]["drowsiness"] == {
        "truth": 1, "predicted": 1, "found": 1, "correct": 1, "recall": 1.0, "precision": 1.0,
        "mean_delay_s": round(2 / 30, 6),  # the model closed the episode's eyes 2 frames late
    }  # fmt: skip
    assert s["events"]["distraction"]["recall"] == 0.0 and s["events"]["distraction"]["precision"] is None
    assert s["per_class"]["looking_away"]["recall"] == 0.0
    assert s["accuracy"] == pytest.approx(48 / 120)


@pytest.mark.skipif(not (REPO / "artifacts/models/dms-small.onnx").exists(), reason="assets not built")
def test_committed_demo_model_reads_an_unseen_clip(tmp_path: Path) -> None:
    from hil.artifacts import clipgen

    clip = tmp_path / "unseen.mp4"
    clipgen.generate_clip(clip, 424242, seconds=8.0)
    report = evaluate.compare({"fp32": REPO / "artifacts/models/dms-small.onnx"}, [clip])
    assert report["results"]["fp32"]["accuracy"] >= 0.85
