"""`hil run` end to end on a simulated Orin: real sshd, emulated trtexec/tegrastats, real ONNX Runtime."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.conftest import Hil, needs_sshd, write_sim_inventory

pytestmark = [needs_sshd]


def run_json(hil: Hil, inventory: Path, model: Path, clip: Path, *extra: str) -> tuple[int, dict, str]:
    proc = hil(
        "run", "-i", str(inventory), "--model", str(model), "--clip", str(clip),
        "--precision", "fp32,fp16", "--warmup", "5", "--json", *extra,
    )  # fmt: skip
    payload = json.loads(proc.stdout) if proc.stdout.strip().startswith("{") else {}
    return proc.returncode, payload, proc.stderr


def test_run_stores_fp32_and_fp16_and_second_run_pushes_nothing(
    hil: Hil, tmp_path: Path, material: tuple[Path, Path]
) -> None:
    model, clip = material
    rack = write_sim_inventory(tmp_path / "rack.yaml", {"orin-t1": "orin"})
    code, payload, stderr = run_json(hil, rack.inventory, model, clip)
    assert code == 0, (stderr, [(r["error"], r["budgets"], r["power_w"]) for r in payload.get("results", [])])
    results = payload["results"]
    assert {r["precision"] for r in results} == {"fp32", "fp16"}
    for r in results:
        assert r["status"] == "pass", r
        assert r["board"] == "orin-t1" and r["platform"] == "orin"
        assert r["accuracy"] is not None and r["accuracy"] >= 0.95
        assert r["latency_ms"]["n"] == 35  # 40 frames minus 5 warm-up
        assert r["latency_ms"]["p99"] is None and "p99" in r["latency_ms"]["insufficient"]
        assert r["power_source"] == "sim-model" and r["power_w"] > 0
        assert r["memory_peak_mb"] > 0 and r["engine_bytes"] > 0 and r["conversion_s"] > 0
        assert set(r["budgets"]) == {"latency", "power", "memory", "accuracy", "fps", "parity", "loss"}
        # fp16 is judged against the FP32 reference on the same frames; fp32 is that reference.
        assert r["budgets"]["loss"] is (None if r["precision"] == "fp32" else True), r["budgets"]
    assert sum(r["bytes_pushed"] for r in results) > 0

    db = sqlite3.connect(tmp_path / "hil.sqlite")
    assert (
        db.execute("select count(*) from results where run_id = ?", (payload["run_id"],)).fetchone()[0] == 2
    )
    assert db.execute("select sum(n) from sample_packs").fetchone()[0] == 80

    code, again, stderr = run_json(hil, rack.inventory, model, clip)
    assert code == 0, stderr
    assert sum(r["bytes_pushed"] for r in again["results"]) == 0
    history = hil("history", "--json")
    assert history.returncode == 0, history.stderr
    runs = {row["run_id"] for row in json.loads(history.stdout)["results"]}
    assert {payload["run_id"], again["run_id"]} <= runs


def test_fp16_engine_really_differs_from_fp32(hil: Hil, tmp_path: Path, material: tuple[Path, Path]) -> None:
    model, clip = material
    rack = write_sim_inventory(tmp_path / "rack.yaml", {"orin-t2": "orin"})
    code, payload, stderr = run_json(hil, rack.inventory, model, clip)
    assert code == 0, (stderr, [(r["error"], r["budgets"], r["power_w"]) for r in payload.get("results", [])])
    keys = {r["precision"]: r["engine_key"] for r in payload["results"]}
    assert keys["fp32"] != keys["fp16"]
    show = hil("show", payload["run_id"], "--log", "convert")
    assert "--fp16" in show.stdout, show.stderr


def test_converter_rejects_operator_fails_that_job_only(hil: Hil, tmp_path: Path) -> None:
    from tests.fixtures.tiny import make_clip, make_model

    bad = make_model(tmp_path / "custom-op.onnx", extra_op="FancyOp")
    good = make_model(tmp_path / "good.onnx")
    clip = make_clip(tmp_path / "c.mp4", frames=20)
    rack = write_sim_inventory(tmp_path / "rack.yaml", {"orin-t3": "orin"})
    proc = hil(
        "run", "-i", str(rack.inventory), "--model", str(bad), "--model", str(good), "--clip", str(clip),
        "--precision", "fp32", "--warmup", "2", "--json",
    )  # fmt: skip
    payload = json.loads(proc.stdout)
    by_model = {r["model"]: r for r in payload["results"]}
    assert by_model["custom-op"]["status"] == "fail"
    assert by_model["custom-op"]["stage"] == "convert"
    assert "FancyOp" in by_model["custom-op"]["error"]
    assert by_model["good"]["status"] == "pass", by_model["good"]
    assert proc.returncode == 1
