"""History verdicts end to end on a simulated Orin: unchanged runs never regress, a real `slow` fault does.

The `slow` fault makes the board's runtime run every inference three times, so the measured latency really
rises; clearing it brings the next run back to its baseline. `hil compare` and `hil trend` read that history.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import REPO, Hil, needs_sshd, write_sim_inventory

pytestmark = [needs_sshd]

MODEL = REPO / "artifacts/models/dms-small.onnx"
CLIP = REPO / "artifacts/clips/cabin-01.mp4"
BOARD = "orin-sim-01"


def _run(hil: Hil, inventory: Path) -> tuple[int, dict]:
    proc = hil(
        "run", "-i", str(inventory), "--model", str(MODEL), "--clip", str(CLIP), "--precision", "fp32",
        "--warmup", "10", "--max-frames", "310", "--json",
    )  # fmt: skip
    assert proc.stdout.strip().startswith("{"), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def test_unchanged_runs_pass_slow_fault_regresses_and_clearing_recovers(hil: Hil, tmp_path: Path) -> None:
    rack = write_sim_inventory(tmp_path / "rack.yaml", {BOARD: "orin"})
    inv = str(rack.inventory)
    runs = []
    for i in range(5):
        code, payload = _run(hil, rack.inventory)
        [result] = payload["results"]
        assert code == 0 and result["status"] == "pass", (i, result)
        assert result["regressions"] == []
        if i < 3:
            assert "no_baseline" in result["regression_flags"], (i, result["regression_flags"])
        runs.append((payload["run_id"], result["regression_flags"]))

    set_fault = hil("sim", "fault", BOARD, "runtime=slow", "-i", inv, "--json")
    assert set_fault.returncode == 0, set_fault.stderr
    assert json.loads(set_fault.stdout) == {"board": BOARD, "faults": {"runtime": "slow"}}
    # A host busy enough to slow decoding as much as the model may only let hil say `noisy:latency` (the
    # documented guard, docs/results.md); such a run is never a baseline, so the next try faces the same one.
    slowed_runs = 0
    for _ in range(3):
        code, payload = _run(hil, rack.inventory)
        slowed_runs += 1
        [slow] = payload["results"]
        if payload["status"] == "regression":
            break
        assert code == 0 and "noisy:latency" in slow["regression_flags"], (slow["regression_flags"], slow)
    slow_run = payload["run_id"]
    assert code == 1 and payload["status"] == "regression", (slow["regression_flags"], slow["latency"])
    assert slow["status"] == "regression"
    [evidence] = [r for r in slow["regressions"] if r["metric"] == "latency"]
    assert evidence["new"] > evidence["baseline"] and evidence["ratio"] >= 1.1
    assert evidence["p_value"] < 0.01
    # Up to five unchanged runs of 300 frames; fewer where a run was too noisy to be a baseline (suspect).
    assert evidence["n"]["new"] == 300 and evidence["n"]["baseline"] in (900, 1200, 1500)
    text = hil("history", "-b", BOARD)
    assert text.returncode == 0 and "regression" in text.stdout

    cleared = hil("sim", "fault", BOARD, "--clear", "-i", inv)
    assert cleared.returncode == 0, cleared.stderr
    code, payload = _run(hil, rack.inventory)
    [after] = payload["results"]
    assert code == 0 and after["status"] == "pass" and after["regressions"] == [], after

    # Compared with the last unchanged run that was not itself too noisy to be a baseline: on a busy host
    # one run's decoding can be as slow as the slowed model, which hil flags `noisy:latency` (suspect).
    clean = [run_id for run_id, flags in runs if "noisy:latency" not in flags]
    compare = hil("compare", clean[-1], slow_run, "--json")
    assert compare.returncode == 0, compare.stderr
    doc = json.loads(compare.stdout)
    [match] = doc["matched"]
    assert match["key"]["board"] == BOARD and doc["unmatched"] == {"a": [], "b": []}
    latency = next(m for m in match["metrics"] if m["metric"] == "latency")
    assert latency["ratio"] > 1.1 and latency["p_value"] < 0.01, latency
    text = hil("compare", clean[-1], slow_run)
    assert text.returncode == 0 and "latency" in text.stdout, text.stderr

    trend = hil("trend", "-b", BOARD, "--json")
    assert trend.returncode == 0, trend.stderr
    [series] = json.loads(trend.stdout)["series"]
    assert len(series["points"]) == 5 + slowed_runs + 1
    assert [p["status"] for p in series["points"]].count("regression") == 1
    plot = hil("trend", "-b", BOARD)
    assert plot.returncode == 0 and BOARD in plot.stdout, plot.stderr
