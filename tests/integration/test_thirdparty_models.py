"""Models nobody here wrote, tried as a new user would (no card): the commonest export, a fixed image with a
dynamic batch only, runs at batch 1 on all three boards without --input-shape and says so in every result;
a fully dynamic channels-last one runs with the shape and layout given, and the host reference is computed
on exactly what the board ran; a bug in hil met on the way exits 4 with what to report, never blamed on a
board."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper
from typer.testing import CliRunner

from hil.cli.main import _register, app
from hil.runs import job
from tests.conftest import Hil, needs_sshd, write_sim_inventory
from tests.fixtures.tiny import make_clip

pytestmark = [needs_sshd]


def face_like(path: Path, dims: list[int | str]) -> Path:
    """A channels-last (NHWC) RGB model with the given input dims: transpose, 3x3 conv, mean per channel."""
    rng = np.random.default_rng(11)
    weight = rng.normal(0.0, 0.3, (4, 3, 3, 3)).astype(np.float32)
    nodes = [
        helper.make_node("Transpose", ["image"], ["nchw"], perm=[0, 3, 1, 2]),
        helper.make_node("Conv", ["nchw", "W"], ["conv"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("GlobalAveragePool", ["conv"], ["pooled"]),
        helper.make_node("Flatten", ["pooled"], ["scores"]),
    ]
    graph = helper.make_graph(
        nodes,
        "third-party-face",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, dims)],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, [dims[0], 4])],
        initializer=[helper.make_tensor("W", TensorProto.FLOAT, [4, 3, 3, 3], weight.flatten().tolist())],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="someone")
    model.ir_version = 8
    onnx.save(model, path)
    return path


def rack(tmp_path: Path) -> Path:
    boards = {"orin-t": "orin", "qcs-t": "qcs8255", "tda-t": "tda4vm"}
    return write_sim_inventory(tmp_path / "rack.yaml", boards).inventory


def clip_without_labels(path: Path) -> Path:
    clip = make_clip(path, frames=12)
    clip.with_name(clip.stem + ".labels.csv").unlink()
    return clip


def test_dynamic_batch_runs_at_1_and_a_fully_dynamic_nhwc_model_runs_as_given(
    hil: Hil, tmp_path: Path
) -> None:
    inventory = rack(tmp_path)
    clip = clip_without_labels(tmp_path / "cabin.mp4")
    batch = face_like(tmp_path / "face-batch.onnx", ["N", 24, 24, 3])
    # fp16 on Orin and QCS8255, TIDL's 16-bit fixed point (int16) on the TDA4VM; each board skips the other.
    proc = hil("run", "-i", str(inventory), "--model", str(batch), "--clip", str(clip), "-p", "fp16,int16",
               "--warmup", "2", "--json")  # fmt: skip
    assert proc.returncode == 0, proc.stderr + proc.stdout
    results = [r for r in json.loads(proc.stdout)["results"] if r["status"] != "skipped"]
    assert {r["board"] for r in results} == {"orin-t", "qcs-t", "tda-t"}
    for r in results:
        assert r["status"] == "pass", r
        assert "input 'image': dynamic batch N run at batch 1" in " ".join(r["budget_notes"])
        assert r["parity"]["outputs"]["scores"]["cosine"] > 0.999

    full = face_like(tmp_path / "face-dyn.onnx", ["N", "H", "W", "C"])  # even the channels are dynamic
    refused = hil("run", "-i", str(inventory), "--model", str(full), "--clip", str(clip), "--json")
    assert refused.returncode == 2 and "--input-shape image=1xHxWxC" in refused.stderr
    proc = hil("run", "-i", str(inventory), "--model", str(full), "--clip", str(clip), "-p", "fp16,int16",
               "--input-shape", "image=1x128x128x3", "--warmup", "2", "--json")  # fmt: skip
    assert proc.returncode == 0, proc.stderr + proc.stdout
    ran = [r for r in json.loads(proc.stdout)["results"] if r["status"] != "skipped"]
    assert {r["board"] for r in ran} == {"orin-t", "qcs-t", "tda-t"}
    for r in ran:
        assert r["status"] == "pass", r  # not "internal error in hil: InvalidArgument" (a 1x1 reference)
        notes = r["budget_notes"]
        assert "power modelled, not judged" in notes
        assert not any("run at batch" in n for n in notes), (
            notes
        )  # the shape was given: nothing chosen by hil
        # No card: nothing scores the frames, so the loss gate says why it did not judge (never silently).
        assert any(n.startswith("loss not judged: no fp32 reference") for n in notes), notes
        assert r["parity"]["frames"] == 12 and r["parity"]["outputs"]["scores"]["cosine"] > 0.999


def test_a_bug_in_hil_exits_4_and_is_never_blamed_on_the_board(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_convert(*_: object) -> None:
        raise RuntimeError("a bug in hil's conversion step")

    monkeypatch.setattr(job._BoardRun, "convert", broken_convert)  # the real run, up to a real exception
    monkeypatch.setenv("HIL_HOME", str(tmp_path / ".hil"))
    monkeypatch.delenv("HIL_INVENTORY", raising=False)
    inventory = write_sim_inventory(tmp_path / "rack.yaml", {"orin-b": "orin"}).inventory
    model = face_like(tmp_path / "face-batch.onnx", ["N", 24, 24, 3])
    clip = clip_without_labels(tmp_path / "cabin.mp4")
    db = tmp_path / "results.db"
    args = ["run", "-i", str(inventory), "--db", str(db), "--model", str(model), "--clip", str(clip),
            "-p", "fp32", "--json"]  # fmt: skip
    _register()
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = CliRunner().invoke(app, args)
    finally:
        os.chdir(cwd)
    assert result.exit_code == 4, result.output
    payload = json.loads(result.stdout)
    [r] = payload["results"]
    assert r["status"] == "skipped" and r["stage"] == "convert"
    assert 'internal error in hil (RuntimeError("a bug in hil\'s conversion step"))' in r["error"]
    assert "not this board" in r["error"] and payload["internal_errors"] == 1
    assert "Please report it to hil's maintainers" in result.stderr
    [saved] = (tmp_path / "internal-errors").glob("*.txt")
    assert "RuntimeError: a bug in hil's conversion step" in saved.read_text()
    health = CliRunner().invoke(app, ["boards", "health", "-i", str(inventory), "--db", str(db), "--json"])
    [board] = json.loads(health.stdout)
    assert (board["name"], board["state"], board["consecutive_infra"]) == ("orin-b", "good", 0)
