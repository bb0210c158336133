"""The committed demo detector and landmark model reach the quality artifacts/README.md states, host side."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import typer
import yaml
from typer.testing import CliRunner

from hil.artifacts import evaluate
from hil.artifacts.card import check_card_against_graph, load_card
from hil.artifacts.labels import labels_path
from hil.artifacts.quantize import load_onnx
from hil.cli import assets
from hil.errors import ConfigError

REPO = Path(__file__).resolve().parents[3]
MODELS = REPO / "artifacts" / "models"
CLIP = REPO / "artifacts" / "clips" / "cabin-01.mp4"


@pytest.mark.parametrize("stem", ["dms-face", "dms-face.fp16", "dms-face.int8", "dms-eyes", "dms-eyes.fp16",
                                  "dms-eyes.int8"])  # fmt: skip
def test_every_variant_has_a_card_that_matches_its_graph(stem: str) -> None:
    model = MODELS / f"{stem}.onnx"
    card = load_card(model)
    assert card is not None
    proto = load_onnx(model)
    initializers = {t.name for t in proto.graph.initializer}
    inputs = [i.name for i in proto.graph.input if i.name not in initializers]
    check_card_against_graph(model, card, inputs, [o.name for o in proto.graph.output])
    assert card.precision == (stem.split(".")[1] if "." in stem else "fp32")


def test_the_face_model_input_is_dynamic_nhwc_and_the_card_fixes_it() -> None:
    proto = load_onnx(MODELS / "dms-face.onnx")
    dims = [d.dim_param or d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim]
    assert dims == ["N", "H", "W", 1]
    card = load_card(MODELS / "dms-face.onnx")
    assert card is not None and card.input.layout == "NHWC" and card.input.shape == [1, 64, 64, 1]


def test_dms_face_finds_faces_and_phones_on_a_demo_clip() -> None:
    report = evaluate.compare({"fp32": MODELS / "dms-face.onnx"}, [CLIP])
    result = report["results"]["fp32"]
    assert report["task"] == "detection" and report["frames"] == 720
    assert result["per_class"]["face"]["ap50"] >= 0.95
    assert result["per_class"]["phone"]["truth"] > 0
    assert result["map50"] >= 0.9 and result["f1"] >= 0.9


def test_dms_eyes_places_the_eye_points_on_a_demo_clip() -> None:
    report = evaluate.compare({"fp32": MODELS / "dms-eyes.onnx"}, [CLIP])
    result = report["results"]["fp32"]
    assert report["task"] == "landmarks" and result["frames"] >= 700
    assert result["nme"] <= 0.08
    assert result["failure_rate"] <= 0.1
    assert result["eye_closed"]["frames"] == 720 and result["eye_closed"]["recall"] is not None


@pytest.mark.parametrize("stem", ["dms-face", "dms-eyes"])
def test_docs_models_shows_the_committed_card_as_the_example(stem: str) -> None:
    """docs/models.md's complete detection and landmarks examples are the demo cards, field for field."""
    text = (REPO / "docs" / "models.md").read_text()
    blocks = [b.split("```", 1)[0] for b in text.split("```yaml\n")[1:]]
    shown = [yaml.safe_load(b) for b in blocks if b.startswith(f"name: {stem}\n")]
    assert len(shown) == 1, f"docs/models.md has no example card named {stem}"
    assert shown[0] == yaml.safe_load((MODELS / f"{stem}.card.yaml").read_text())


def test_hil_quantize_evaluates_a_detector_and_prints_its_table(tmp_path: Path, clips: list[Path]) -> None:
    """`hil quantize --evaluate` scores a detection card by AP/F1 (not by class accuracy), JSON and table."""
    app = typer.Typer()
    assets.register(app)
    model = tmp_path / "dms-face.onnx"
    shutil.copy(MODELS / "dms-face.onnx", model)
    shutil.copy(MODELS / "dms-face.card.yaml", tmp_path / "dms-face.card.yaml")
    args = ["quantize", str(model), "-p", "fp16", "--evaluate", str(clips[0])]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.exception
    report = json.loads(result.stdout)
    assert report["task"] == "detection" and report["frames"] == 60
    assert set(report["results"]) == {"fp32", "fp16"}
    assert report["results"]["fp16"]["parity"]["pairs"] > 0
    assert report["results"]["fp32"]["per_class"]["face"]["truth"] == 60
    table = CliRunner().invoke(app, args)
    assert table.exit_code == 0, table.exception
    assert "mAP50" in table.stdout and "box IoU vs fp32" in table.stdout


def test_a_clip_without_object_labels_cannot_score_a_detector(tmp_path: Path, clips: list[Path]) -> None:
    clip = tmp_path / "plain.mp4"
    shutil.copy(clips[0], clip)
    shutil.copy(labels_path(clips[0]), labels_path(clip))  # states only: no boxes or points anywhere
    with pytest.raises(ConfigError, match="no object labels"):
        evaluate.compare({"fp32": MODELS / "dms-face.onnx"}, [clip])


def test_the_demo_int8_engines_lose_a_measurable_amount_inside_the_default_allowance() -> None:
    """What the loss gate has to judge in `make run`: the face detector's INT8 (QDQ, the file every board
    builds its int8 engine from) loses between 0.5 and 2 points of AP50 on cabin-03, inside the 2-point
    default; the landmark model's INT8 NME rises, by less than the 10 % default."""
    clip = REPO / "artifacts" / "clips" / "cabin-03.mp4"
    face = evaluate.compare({"fp32": MODELS / "dms-face.onnx", "int8": MODELS / "dms-face.int8.onnx"}, [clip])
    lost = (face["results"]["fp32"]["map50"] - face["results"]["int8"]["map50"]) * 100
    assert 0.5 <= lost <= 2.0, lost
    eyes = evaluate.compare({"fp32": MODELS / "dms-eyes.onnx", "int8": MODELS / "dms-eyes.int8.onnx"}, [clip])
    rise = eyes["results"]["int8"]["nme"] / eyes["results"]["fp32"]["nme"] - 1
    assert 0 < rise < 0.10, rise
