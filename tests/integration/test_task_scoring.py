"""Detection and landmark models scored in board runs on all three simulated platforms: the boards decode
with hil.measure.decoders (pushed beside the harness), the host scores against the clip's object labels.
A deliberately wrong detector and landmark model score low, and the map50_min / nme_max budgets fail them."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Hil, needs_sshd, write_sim_inventory
from tests.fixtures.tasks import make_detector, make_landmarker, make_object_clip

pytestmark = [needs_sshd]


def rack(path: Path) -> Path:
    boards = {"orin-t1": "orin", "qcs-t1": "qcs8255", "tda-t1": "tda4vm"}
    budgets = "latency_ms: 5000, power_w: 50, map50_min: 0.9, nme_max: 0.05"
    return write_sim_inventory(path, boards, budgets=budgets).inventory


def test_detection_and_landmarks_are_scored_on_every_platform(hil: Hil, tmp_path: Path) -> None:
    inventory = rack(tmp_path / "rack.yaml")
    clip = make_object_clip(tmp_path / "cabin.mp4", frames=24)
    models = {
        "det": make_detector(tmp_path / "det.onnx"),
        "det-wrong": make_detector(tmp_path / "det-wrong.onnx", wrong=True),
        "marks": make_landmarker(tmp_path / "marks.onnx"),
        "marks-wrong": make_landmarker(tmp_path / "marks-wrong.onnx", wrong=True),
    }
    db = tmp_path / "r.db"
    argv = ["run", "-i", str(inventory), "--db", str(db), "--clip", str(clip)]
    for path in models.values():
        argv += ["--model", str(path)]
    junit = tmp_path / "junit.xml"
    # fp16 on Orin and QCS8255, TIDL's 16-bit (int16) on the TDA4VM; each board skips the other name.
    proc = hil(*argv, "--precision", "fp16,int16", "--warmup", "2", "--junit", str(junit), "--json")
    assert proc.returncode == 1, proc.stderr + proc.stdout  # the wrong models fail their budgets
    results = [r for r in json.loads(proc.stdout)["results"] if r["status"] != "skipped"]
    assert {(r["board"], r["model"]) for r in results} == {
        (b, m) for b in ("orin-t1", "qcs-t1", "tda-t1") for m in models
    }
    for r in results:
        where = f"{r['board']} {r['model']}"
        assert r["accuracy"] is None and r["frames"] == 24, where  # not a classifier: no frame accuracy
        metrics = r["task_metrics"]
        if r["model"].startswith("det"):
            assert r["task"] == "detection", where
            truth = {k: v["truth"] for k, v in metrics["per_class"].items()}
            assert truth == {"face": 24, "phone": 12}, where
            boxes = r["parity"]["boxes"]
            assert boxes["pairs"] > 0 and boxes["mean_iou"] > 0.99, (where, boxes)  # fp16 vs host fp32
        else:
            assert r["task"] == "landmarks", where
            assert metrics["frames"] == 24 and metrics["skipped_frames"] == 0, where
            assert r["parity"]["boxes"] is None, where
        if r["model"] == "det":
            assert metrics["map50"] > 0.95 and metrics["f1"] > 0.95, (where, metrics)
        if r["model"] == "det-wrong":
            assert metrics["map50"] < 0.5 and metrics["f1"] < 0.5, (where, metrics)
        if r["model"] == "marks":
            assert metrics["nme"] < 0.02 and metrics["failure_rate"] == 0.0, (where, metrics)
        if r["model"] == "marks-wrong":
            assert metrics["nme"] > 0.3 and metrics["failure_rate"] > 0.5, (where, metrics)
        wrong = r["model"].endswith("-wrong")
        assert r["budgets"]["accuracy"] is (not wrong), (where, r["budgets"], r["error"])
        assert r["status"] == ("fail" if wrong else "pass"), (where, r["error"])
        if wrong:
            assert ("AP50" if r["task"] == "detection" else "NME") in r["error"], r["error"]

    report = junit.read_text()
    assert "task=detection" in report and "map50=" in report and "task=landmarks" in report
    assert "nme=" in report and "map50=None" not in report

    # Stored: `hil show` labels each kind's headline figure, --result N has the task's metrics.
    shown = hil("show", "last", "--db", str(db))
    assert shown.returncode == 0, shown.stderr
    assert "AP50 1.000" in shown.stdout and "NME 0.0" in shown.stdout, shown.stdout
    stored = hil("show", "last", "--db", str(db), "--json")
    assert stored.returncode == 0, stored.stderr
    stored_results = json.loads(stored.stdout)["results"]
    again = {(r["board"], r["model"]): r for r in stored_results if r["status"] != "skipped"}
    for r in results:
        back = again[(r["board"], r["model"])]
        assert back["task"] == r["task"] and back["task_metrics"] == r["task_metrics"]
        assert back["parity"]["boxes"] == r["parity"]["boxes"]
    history = hil("history", "--db", str(db), "--json")
    assert history.returncode == 0, history.stderr
    rows = json.loads(history.stdout)["results"]
    assert {row["task"] for row in rows if row["status"] != "skipped"} == {"detection", "landmarks"}
