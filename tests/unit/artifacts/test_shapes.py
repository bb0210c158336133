"""Fixing dynamic input dimensions on the host: --input-shape, the card's input.shape, clear errors."""

from __future__ import annotations

from pathlib import Path

import onnx
import pytest

from hil.artifacts.card import InputSpec, ModelCardSpec, write_card
from hil.artifacts.shapes import (
    fix_input_shapes,
    make_static,
    parse_input_shape,
    parse_input_shapes,
    write_static,
)
from hil.errors import ArtifactError, ConfigError
from hil.runs.suite import build_suite, load_model
from tests.fixtures.faces import INPUT, make_face_model
from tests.fixtures.tiny import make_clip, make_model


def test_parse_input_shape_flags() -> None:
    assert parse_input_shape("image=1x240x320x3") == ("image", [1, 240, 320, 3])
    assert parse_input_shape("input:0=1x3") == ("input:0", [1, 3])
    for bad in ("image", "image=1x240xWx3", "=1x2", "image=1,240"):
        with pytest.raises(ConfigError, match="is not NAME=DIMS"):
            parse_input_shape(bad)
    with pytest.raises(ConfigError, match="1 or more"):
        parse_input_shape("image=0x240x320x3")
    with pytest.raises(ConfigError, match="two shapes"):
        parse_input_shapes(["a=1x2", "a=1x3"])


def test_a_dynamic_input_left_unfixed_names_the_input_flag_and_card_field(tmp_path: Path) -> None:
    path = make_face_model(tmp_path / "face.onnx")
    with pytest.raises(ConfigError) as caught:
        fix_input_shapes(path, onnx.load(str(path)), None, {})
    assert f"input '{INPUT}' of face.onnx has dynamic dimensions [N, H, W, 3]" in caught.value.message
    assert f"--input-shape {INPUT}=1xHxWx3" in str(caught.value.hint)
    assert "input.shape in the model card face.card.yaml" in str(caught.value.hint)


def test_given_shapes_beat_the_card_and_must_fit_the_graph(tmp_path: Path) -> None:
    path = make_face_model(tmp_path / "face.onnx")
    graph = onnx.load(str(path))
    card = ModelCardSpec(
        name="face",
        input=InputSpec(name=INPUT, shape=[1, 48, 64, 3], layout="NHWC", colour="rgb"),
        classes=["a", "b", "c", "d"],
    )
    assert fix_input_shapes(path, graph, card, {}).shapes == {INPUT: [1, 48, 64, 3]}
    fixed = fix_input_shapes(path, graph, card, {INPUT: [2, 96, 128, 3]})
    assert fixed.shapes == {INPUT: [2, 96, 128, 3]} and fixed.dynamic == [INPUT]
    with pytest.raises(ArtifactError, match="dimension 3 is fixed at 3"):
        fix_input_shapes(path, graph, None, {INPUT: [1, 48, 64, 1]})
    with pytest.raises(ArtifactError, match="has rank 4"):
        fix_input_shapes(path, graph, None, {INPUT: [1, 48, 64]})
    with pytest.raises(ConfigError, match=r"'img', which is not an input of face\.onnx"):
        fix_input_shapes(path, graph, None, {"img": [1, 2, 3, 3]})


def test_a_static_model_needs_nothing_and_has_no_dynamic_inputs(tmp_path: Path) -> None:
    path = make_model(tmp_path / "bright.onnx")
    fixed = fix_input_shapes(path, onnx.load(str(path)), None, {})
    assert fixed.shapes == {"input": [1, 1, 32, 32]} and fixed.dynamic == []


def test_static_copy_has_fixed_inputs_and_inferred_outputs(tmp_path: Path) -> None:
    path = make_face_model(tmp_path / "face.onnx")
    static = make_static(onnx.load(str(path)), {INPUT: [1, 48, 64, 3]})
    outs = {o.name: [d.dim_value for d in o.type.tensor_type.shape.dim] for o in static.graph.output}
    assert outs == {"scores": [1, 4], "peaks": [1, 4], "heat": [1, 4, 24, 32]}
    first = write_static(path, {INPUT: [1, 48, 64, 3]}, tmp_path / "s")
    again = write_static(path, {INPUT: [1, 48, 64, 3]}, tmp_path / "s")
    other = write_static(path, {INPUT: [1, 96, 128, 3]}, tmp_path / "s")
    assert first == again != other and first.read_bytes() == again.read_bytes()


def test_suite_refuses_an_unfixed_model_and_keeps_static_copies_for_tidl(tmp_path: Path) -> None:
    path = make_face_model(tmp_path / "face.onnx")
    clip = make_clip(tmp_path / "c.mp4", frames=4)
    with pytest.raises(ConfigError, match="dynamic dimensions"):
        build_suite([path], [clip], ["fp32"])
    with pytest.raises(ConfigError, match="not an input of any model"):
        build_suite([path], [clip], ["fp32"], input_shapes={INPUT: [1, 48, 64, 3], "other": [1]})
    model, _ = load_model(path, ["fp32", "fp16"], {INPUT: [1, 48, 64, 3]}, static_dir=tmp_path / "s")
    assert model.shapes.dynamic_shapes() == {INPUT: [1, 48, 64, 3]}
    assert model.pushed("fp32", static=False) == (path, model.sha256["fp32"])
    static, sha = model.pushed("fp16", static=True)
    assert static.parent == tmp_path / "s" and sha != model.sha256["fp16"]
    spec = model.input_spec()  # no card: the harness gets the given shape, NHWC rgb
    assert spec is not None and spec["shape"] == [1, 48, 64, 3] and spec["layout"] == "NHWC"
    assert spec["colour"] == "rgb"


def test_card_input_spec_takes_the_fixed_shape(tmp_path: Path) -> None:
    path = make_face_model(tmp_path / "face.onnx")
    card = ModelCardSpec(
        name="face",
        input=InputSpec(name=INPUT, shape=[1, 48, 64, 3], layout="NHWC", colour="rgb"),
        classes=["a", "b", "c", "d"],
    )
    write_card(path, card)
    model, _ = load_model(path, ["fp32"], {INPUT: [1, 96, 128, 3]}, static_dir=tmp_path / "s")
    spec = model.input_spec()
    assert spec is not None and spec["shape"] == [1, 96, 128, 3] and spec["colour"] == "rgb"


def test_a_card_naming_tensors_the_graph_lacks_is_refused_on_the_host(tmp_path: Path) -> None:
    path = make_face_model(tmp_path / "face.onnx")
    spec = InputSpec(name=INPUT, shape=[1, 48, 64, 3], layout="NHWC", colour="rgb")
    write_card(path, ModelCardSpec(name="f", input=spec, classes=["a"], output="logits"))
    with pytest.raises(ArtifactError, match=r"output 'logits' is not an output of face\.onnx"):
        load_model(path, ["fp32"], static_dir=tmp_path / "s")
    wrong_input = spec.model_copy(update={"name": "input"})
    write_card(path, ModelCardSpec(name="f", input=wrong_input, classes=["a"]))
    with pytest.raises(
        ArtifactError, match=r"input\.name 'input' is not an input of face\.onnx \(inputs: image\)"
    ):
        load_model(path, ["fp32"], static_dir=tmp_path / "s")


def test_a_dynamic_batch_only_runs_at_1_with_a_note_and_nothing_else_is_guessed(tmp_path: Path) -> None:
    path = make_face_model(tmp_path / "face.onnx")
    model = onnx.load(str(path))
    dims = model.graph.input[0].type.tensor_type.shape.dim
    dims[1].dim_value, dims[2].dim_value = 24, 32  # [N, 24, 32, 3]: only the batch is dynamic
    shapes = fix_input_shapes(path, model, None, {})
    assert shapes.shapes[INPUT] == [1, 24, 32, 3] and shapes.dynamic == [INPUT]
    note = f"input '{INPUT}': dynamic batch N run at batch 1 (--input-shape {INPUT}=1x24x32x3 says so "
    note += "explicitly)"
    assert shapes.notes == [note]
    given = fix_input_shapes(path, model, None, {INPUT: [4, 24, 32, 3]})
    assert given.shapes[INPUT] == [4, 24, 32, 3] and given.notes == []  # the user's batch wins, no note
    dims[1].dim_param = "H"  # a dynamic height is never guessed
    with pytest.raises(ConfigError, match="has dynamic dimensions"):
        fix_input_shapes(path, model, None, {})
