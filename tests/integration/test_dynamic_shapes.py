"""A face-detector-like model with a fully dynamic NHWC input through the simulated rack: refused on the host
(exit 2, nothing stored) until its shape is given; then built by each platform's converter with its own
shape flags (trtexec min/opt/max shapes, snpe-onnx-to-dlc --input_dim, a static-shape model for TIDL)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import yaml

from hil.runs.suite import int8_sibling
from hil.store.codec import decode_text
from tests.conftest import Hil, needs_sshd, write_sim_inventory
from tests.fixtures.faces import INPUT, make_face_model
from tests.fixtures.tiny import make_clip

pytestmark = [needs_sshd]


def three_boards(path: Path) -> Path:
    return write_sim_inventory(path, {"orin-d1": "orin", "qcs-d1": "qcs8255", "tda-d1": "tda4vm"}).inventory


def unlabelled_clip(path: Path) -> Path:
    clip = make_clip(path, frames=16)  # 64x48 frames
    clip.with_name(clip.stem + ".labels.csv").unlink()
    return clip


def convert_logs(db: Path) -> dict[str, list[str]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT r.board, l.command, l.body FROM logs l JOIN results r ON r.id = l.result_id "
            "WHERE l.kind = 'convert'"
        ).fetchall()
    logs: dict[str, list[str]] = {}
    for board, command, body in rows:
        logs.setdefault(board, []).append(f"{command}\n{decode_text(body)}")  # stored compressed
    return logs


def test_dynamic_nhwc_model_needs_its_shape_then_runs_on_all_three_platforms(
    hil: Hil, tmp_path: Path
) -> None:
    model = make_face_model(tmp_path / "face.onnx")
    clip = unlabelled_clip(tmp_path / "cabin.mp4")
    inventory = three_boards(tmp_path / "rack.yaml")
    db = tmp_path / "results.db"
    base = ("run", "-i", str(inventory), "--db", str(db), "--model", str(model), "--clip", str(clip))

    refused = hil(*base, "--json")
    assert refused.returncode == 2, refused.stderr
    assert f"input '{INPUT}' of face.onnx has dynamic dimensions [N, H, W, 3]" in refused.stderr
    assert f"--input-shape {INPUT}=" in refused.stderr and "input.shape" in refused.stderr
    assert not db.exists()  # refused before any board was touched: no run stored
    assert not refused.stdout.strip()

    proc = hil(
        *base, "--input-shape", f"{INPUT}=1x48x64x3", "--precision", "fp32,fp16,int16", "--warmup", "2",
        "--json",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr + proc.stdout
    everything = json.loads(proc.stdout)["results"]
    unoffered = {(r["board"], r["precision"]) for r in everything if r["status"] == "skipped"}
    assert unoffered == {("tda-d1", "fp32"), ("tda-d1", "fp16"), ("orin-d1", "int16"), ("qcs-d1", "int16")}
    results = [r for r in everything if r["status"] != "skipped"]
    seen = {(r["board"], r["precision"]) for r in results}
    assert seen == {
        ("orin-d1", "fp32"), ("orin-d1", "fp16"), ("qcs-d1", "fp32"), ("qcs-d1", "fp16"), ("tda-d1", "int16")
    }  # fmt: skip
    for r in results:
        assert r["status"] == "pass", r
        assert r["latency_ms"]["n"] == 14 and r["frames"] == 16
        assert r["accuracy"] is None  # no card, no labels: nothing to score, nothing invented
    logs = convert_logs(db)
    orin = "\n".join(logs["orin-d1"])
    assert f"--optShapes={INPUT}:1x48x64x3" in orin and f"--minShapes={INPUT}:1x48x64x3" in orin
    assert "Dynamic dimensions required" not in orin  # trtexec was told the shape
    assert f"Set shape of input tensor {INPUT} for optimization profile 0 to: MIN=1x48x64x3" in orin
    assert f"--input_dim {INPUT} 1,48,64,3" in "\n".join(logs["qcs-d1"])
    assert "static-" in "\n".join(logs["tda-d1"])  # TIDL compiled the host's static-shape copy


def test_the_cards_input_shape_fixes_the_dynamic_input(hil: Hil, tmp_path: Path) -> None:
    model = make_face_model(tmp_path / "face.onnx")
    card = {
        "name": "face-dyn",
        "version": "1",
        "task": "classification",
        "input": {"name": INPUT, "shape": [1, 48, 64, 3], "layout": "NHWC", "colour": "rgb"},
        "classes": ["a", "b", "c", "d"],
    }
    (tmp_path / "face.card.yaml").write_text(yaml.safe_dump(card))
    clip = unlabelled_clip(tmp_path / "cabin.mp4")
    inventory = three_boards(tmp_path / "rack.yaml")
    db = tmp_path / "results.db"
    proc = hil(
        "run", "-i", str(inventory), "--db", str(db), "--model", str(model), "--clip", str(clip),
        "--precision", "fp16,int16", "--warmup", "2", "--json",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr + proc.stdout
    results = [r for r in json.loads(proc.stdout)["results"] if r["status"] != "skipped"]
    assert {r["board"] for r in results} == {"orin-d1", "qcs-d1", "tda-d1"}
    assert all(r["status"] == "pass" and r["model"] == "face-dyn" for r in results), results


def test_a_dynamic_qdq_int8_model_runs_on_all_three_platforms(hil: Hil, tmp_path: Path) -> None:
    """The host's QDQ model of a dynamic model is dynamic too: its shape reaches trtexec, the SNPE
    converter and calibration list, and TIDL's static copy the same way."""
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static

    model = make_face_model(tmp_path / "face.onnx")
    rng = np.random.default_rng(0)
    batches = iter([{INPUT: rng.uniform(0, 1, (1, 48, 64, 3)).astype(np.float32)} for _ in range(4)])

    class Reader:
        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(batches, None)

    quantize_static(
        str(model), str(int8_sibling(model)), Reader(), quant_format=QuantFormat.QDQ,
        activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
    )  # fmt: skip
    clip = unlabelled_clip(tmp_path / "cabin.mp4")
    inventory = three_boards(tmp_path / "rack.yaml")
    proc = hil(
        "run", "-i", str(inventory), "--db", str(tmp_path / "r.db"), "--model", str(model),
        "--clip", str(clip),
        "--input-shape", f"{INPUT}=1x48x64x3", "--precision", "int8", "--warmup", "2", "--json",
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr + proc.stdout
    results = json.loads(proc.stdout)["results"]
    assert {(r["board"], r["precision"]) for r in results} == {
        ("orin-d1", "int8"), ("qcs-d1", "int8"), ("tda-d1", "int8")
    }  # fmt: skip
    for r in results:
        assert r["latency_ms"]["n"] == 14, r  # built and run at the host's shape on every board
        # Parity against the FP32 reference on the same 1x48x64x3 frames (a 1x1 image before the reference
        # used the given shape, when parity was silently absent). This QDQ model, calibrated on noise, may
        # swap the top one of its four near-equal scores: only that may fail it, never a shape.
        parity = r["parity"]
        assert parity["frames"] == 16 and parity["outputs"]["heat"]["cosine"] > 0.9, parity  # every frame
        assert r["status"] == "pass" or (r["stage"] == "score" and "parity top-1 agreement" in r["error"]), r


def test_detection_and_landmark_cards_run_and_never_score_state_labels_as_classes(
    hil: Hil, tmp_path: Path
) -> None:
    """Task cards load, pass the card-vs-graph checks and replay on a board; their accuracy stays null (it
    is a classifier's figure) even when the clip's state labels share a name with a class, and without
    object labels their task metrics are null too (tests/integration/test_task_scoring.py scores them)."""
    rack_inventory = three_boards(tmp_path / "rack.yaml")
    clip = make_clip(tmp_path / "cabin.mp4", frames=16)  # state labels, one of them "phone"
    image = {"name": INPUT, "shape": [1, 48, 64, 3], "layout": "NHWC", "colour": "rgb"}
    cards = {
        "det": {
            "name": "face-det", "task": "detection", "input": image,
            "classes": ["face", "hand", "phone", "attentive"],
            "detection": {"boxes": "peaks", "scores": "scores", "box_format": "cxcywh"},
        },
        "marks": {
            "name": "eye-points", "task": "landmarks", "input": image,
            "landmarks": {"output": "peaks", "points": ["l", "r"], "left_eye": ["l"], "right_eye": ["r"]},
        },
    }  # fmt: skip
    models = []
    for stem, card in cards.items():
        models += ["--model", str(make_face_model(tmp_path / f"{stem}.onnx"))]
        (tmp_path / f"{stem}.card.yaml").write_text(yaml.safe_dump(card))
    proc = hil(
        "run", "-i", str(rack_inventory), "--where", "platform=orin", "--db", str(tmp_path / "r.db"), *models,
        "--clip", str(clip), "--precision", "fp32", "--warmup", "2", "--json",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr + proc.stdout
    results = json.loads(proc.stdout)["results"]
    assert {r["model"] for r in results} == {"face-det", "eye-points"}
    for r in results:
        assert r["status"] == "pass" and r["accuracy"] is None and not r["per_class"], r
        assert r["task"] in ("detection", "landmarks") and r["task_metrics"] is None, r
