"""`--keep` / the card's `keep`: layer names resolved against the FP32 graph before any board is touched."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hil.errors import ConfigError
from hil.runs.suite import load_model
from tests.conftest import REPO

FACE = REPO / "artifacts/models/dms-face.onnx"


def copy_face(tmp_path: Path, card_extra: str = "") -> Path:
    model = tmp_path / "dms-face.onnx"
    shutil.copyfile(FACE, model)
    card = FACE.with_name("dms-face.card.yaml").read_text() + card_extra
    model.with_name("dms-face.card.yaml").write_text(card)
    return model


def test_node_and_tensor_names_resolve_to_layer_outputs_and_int8_becomes_the_fp32_model(
    tmp_path: Path,
) -> None:
    model = copy_face(tmp_path)
    loaded, skipped = load_model(
        model, ["int8"], static_dir=tmp_path, keep=["/Concat_5", "/Concat_4_output_0"]
    )
    assert loaded.keep == ("scores", "/Concat_4_output_0")
    assert loaded.variants["int8"] == model and not skipped  # the converter calibrates the FP32 model itself


def test_the_card_keep_is_used_and_the_command_line_beats_it(tmp_path: Path) -> None:
    model = copy_face(tmp_path, "keep:\n- /Concat_4\n")
    assert load_model(model, ["int8"], static_dir=tmp_path)[0].keep == ("/Concat_4_output_0",)
    assert load_model(model, ["int8"], static_dir=tmp_path, keep=[])[0].keep == ()


def test_without_keep_int8_is_the_qdq_sibling(tmp_path: Path) -> None:
    model = copy_face(tmp_path)
    loaded, skipped = load_model(model, ["int8"], static_dir=tmp_path)
    assert loaded.keep is None and "int8" not in loaded.variants and "no QDQ model" in skipped[0]


def test_an_unknown_layer_is_refused_with_its_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="'/Nope'"):
        load_model(copy_face(tmp_path), ["int8"], static_dir=tmp_path, keep=["/Nope"])


def test_the_set_fix_chose_is_written_to_the_card_and_the_next_load_uses_it(tmp_path: Path) -> None:
    from hil.cli.diagnose import write_card_keep

    model = copy_face(tmp_path)
    path = write_card_keep(model, ["/Concat_4", "/Concat_5"])
    assert (
        path == model.with_name("dms-face.card.yaml")
        and "keep:\n- /Concat_4\n- /Concat_5\n" in path.read_text()
    )
    loaded, _ = load_model(model, ["int8"], static_dir=tmp_path)
    assert loaded.keep == ("/Concat_4_output_0", "scores") and loaded.card is not None
    assert loaded.card.calibration_frames == 60  # the rest of the card is kept


def test_host_keep_leaves_the_named_nodes_in_float_and_wins_the_loss_back(tmp_path: Path) -> None:
    """ONNX Runtime's nodes_to_exclude, on the 2-frame calibration of docs/diagnose.md's QCS8255 example."""
    import onnx

    from hil.artifacts.calibration import expand_clips, sample_calibration
    from hil.artifacts.quantize import to_int8
    from hil.diagnose import host
    from hil.diagnose.diagnosis import frames_for
    from hil.diagnose.metrics import output_error

    model = copy_face(tmp_path)
    clips = expand_clips([REPO / "artifacts/clips"])
    cal = sample_calibration(clips, 2)
    plain = to_int8(model, cal, tmp_path / "plain.onnx").path
    kept = to_int8(model, cal, tmp_path / "kept.onnx", keep=["/Concat_4", "/Concat_5"]).path
    quantized_inputs = {n.input[0] for n in onnx.load(str(kept)).graph.node if n.op_type == "QuantizeLinear"}
    assert "/Concat_4_output_0" not in quantized_inputs  # its output is not re-quantized
    feeds = frames_for(model, clips, 4, plain)  # the frames where the all-int8 model loses most
    reference = host.run_outputs(model, feeds)
    lost = output_error(reference, host.run_outputs(plain, feeds))
    assert output_error(reference, host.run_outputs(kept, feeds)) < lost / 5
    with pytest.raises(ConfigError, match="'/Nope'"):
        to_int8(model, cal, tmp_path / "x.onnx", keep=["/Nope"])
