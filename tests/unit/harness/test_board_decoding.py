"""The board decodes detection and landmark outputs with hil.measure's own decoders, pushed in the harness
bundle: the real harness, run from a copy of the bundle as it lies on a board, writes per frame exactly what
the host's decode_task makes of the same outputs, and scoring those frames gives the host's metrics."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from hil.artifacts.card import load_card
from hil.artifacts.labels import read_objects
from hil.harness import SHARED, board_harness, bundle, bundle_sha256
from hil.measure.decoders import decode_frame, rounded
from hil.measure.tasks import decode_task, score_decoded, score_task, task_spec
from tests.fixtures.tasks import make_detector, make_landmarker, make_object_clip

ALLOWED = {"__future__", "collections.abc", "dataclasses", "typing", "numpy", "hil.measure.detection",
           "hil.measure.landmarks"}  # fmt: skip


def test_the_bundle_carries_the_shared_decoders_and_they_import_only_numpy() -> None:
    remote = [rel for _, rel in bundle()]
    assert "board_harness.py" in remote and "hil/measure/decoders.py" in remote
    assert set(SHARED) <= set(remote)
    for local, rel in bundle():
        if not rel.startswith("hil/"):
            continue
        imported: set[str] = set()
        for node in ast.walk(ast.parse(local.read_text())):
            if isinstance(node, ast.Import):
                imported |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                imported.add(str(node.module))
        assert imported <= ALLOWED, (rel, imported)
    assert len(bundle_sha256()) == 64


def _board_copy(tmp_path: Path) -> Path:
    """The bundle laid out as on a board: board_harness.py beside hil/measure/*.py."""
    folder = tmp_path / "board" / "harness"
    for local, rel in bundle():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(local, folder / rel)
    return folder


def _host_outputs(model: Path, clip: Path) -> list[dict[str, np.ndarray]]:
    card = load_card(model)
    assert card is not None
    session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    outputs = []
    for frame, _ in board_harness.frames_from_clip(str(clip)):
        tensor = board_harness.preprocess(frame, card.input.model_dump())
        outputs.append(dict(zip(names, session.run(None, {"input": tensor}), strict=True)))
    return outputs


@pytest.mark.parametrize("maker", [make_detector, make_landmarker])
def test_the_board_harness_decodes_as_the_host_does(tmp_path: Path, maker: object) -> None:
    model = maker(tmp_path / "m.onnx")  # type: ignore[operator]
    card = load_card(model)
    assert card is not None
    clip = make_object_clip(tmp_path / "cabin.mp4", frames=12)
    harness = _board_copy(tmp_path) / "board_harness.py"
    out = tmp_path / "frames.jsonl"
    argv = [sys.executable, str(harness), "--engine", str(model), "--clip", str(clip), "--out", str(out),
            "--warmup", "2", "--input-json", json.dumps(card.input.model_dump()),
            "--task-json", json.dumps(task_spec(card))]  # fmt: skip
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in out.read_text().splitlines()]
    frames = [r for r in records if "summary" not in r]
    assert len(frames) == 12
    host = _host_outputs(model, clip)
    for record, outputs in zip(frames, host, strict=True):
        assert record["frame_size"] == [64, 64]
        assert record["decoded"] == rounded(decode_task(card, outputs, (64, 64)))
    truth = read_objects(clip, 12)
    assert truth is not None
    on_board = score_decoded(card, [r["decoded"] for r in frames], list(truth))
    on_host = score_task(card, host, list(truth), (64, 64))
    on_board.pop("detections", None)
    on_host.pop("detections", None)
    # The board's coordinates are rounded to 1e-4 pixel for transport: the same metrics, to that precision.
    assert on_board.keys() == on_host.keys()
    for key, value in on_host.items():
        assert on_board[key] == (pytest.approx(value, abs=1e-5) if isinstance(value, float) else value), key


def test_decode_frame_knows_each_task_and_refuses_others() -> None:
    spec = {"task": "regression", "classes": [], "input_size": [4, 4],
            "regression": {"output": "g", "targets": ["yaw", "pitch"]}}  # fmt: skip
    assert decode_frame(spec, {"g": np.array([[1.5, -2.0]])}, (8, 8)) == {"values": [1.5, -2.0]}
    with pytest.raises(ValueError, match="the card names 2"):
        decode_frame(spec, {"g": np.zeros(3)}, (8, 8))
    with pytest.raises(ValueError, match="no decoder for task 'classification'"):
        decode_frame({"task": "classification", "input_size": [1, 1]}, {}, (1, 1))


def test_a_card_that_does_not_fit_the_outputs_stops_the_harness_with_a_clear_error(tmp_path: Path) -> None:
    model = make_landmarker(tmp_path / "m.onnx")
    card = load_card(model)
    assert card is not None and card.landmarks is not None
    spec = task_spec(card)
    spec["landmarks"]["points"] = spec["landmarks"]["points"][:4]  # the model has 12 points
    clip = make_object_clip(tmp_path / "cabin.mp4", frames=3)
    harness = _board_copy(tmp_path) / "board_harness.py"
    argv = [sys.executable, str(harness), "--engine", str(model), "--clip", str(clip),
            "--out", str(tmp_path / "f.jsonl"), "--task-json", json.dumps(spec)]  # fmt: skip
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "model card's landmarks section does not fit the outputs (points)" in proc.stderr
    assert "24 values; the card names 4 points" in proc.stderr
