"""compare, trend, history --plot, export, store merge and sim fault as a user calls them (subprocess)."""

from __future__ import annotations

import json
from pathlib import Path

from hil.store import Store
from tests.conftest import Hil, write_sim_inventory
from tests.unit.history.test_store_history import _frames, _record, _result


def _history(db: Path) -> None:
    with Store.open(db) as store:
        for i in range(4):
            _record(store, f"r{i}", _result(), _frames(40, 2.0, seed=i))
        _record(store, "r4", _result(fingerprint={"tensorrt": "10.4"}), _frames(40, 2.0, seed=4))
        _record(store, "r5", _result(clip="day"), _frames(40, 2.0, seed=5))
        # What `hil run` does after recording: judge. r4 starts a new series (TensorRT changed).
        store.db.execute("UPDATE results SET status = 'regression' WHERE run_id = 'r3'")


def test_compare_terminal_and_json(hil: Hil, tmp_path: Path) -> None:
    db = tmp_path / "hil.sqlite"
    _history(db)
    proc = hil("compare", "r0", "r4", "--db", str(db), "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    [match] = doc["matched"]
    assert match["fingerprint_change"] == {"tensorrt": ["10.3", "10.4"]}
    latency = next(m for m in match["metrics"] if m["metric"] == "latency")
    assert latency["verdict"] == "ok" and latency["n_baseline"] == 35 and 0 <= latency["p_value"] <= 1
    unmatched = hil("compare", "r0", "r5", "--db", str(db), "--json")
    assert json.loads(unmatched.stdout)["unmatched"]["a"][0]["clip"] == "night"
    text = hil("compare", "r0", "r4", "--db", str(db))
    assert text.returncode == 0 and "latency" in text.stdout and "tensorrt: 10.3 -> 10.4" in text.stdout
    missing = hil("compare", "r0", "nope", "--db", str(db))
    assert missing.returncode == 2 and "no run nope" in missing.stderr


def test_trend_and_history_plot(hil: Hil, tmp_path: Path) -> None:
    db = tmp_path / "hil.sqlite"
    _history(db)
    proc = hil("trend", "-b", "orin-01", "-c", "night", "--db", str(db), "--json")
    assert proc.returncode == 0, proc.stderr
    [series] = json.loads(proc.stdout)["series"]
    assert [p["run_id"] for p in series["points"]] == ["r0", "r1", "r2", "r3", "r4"]
    assert series["boundaries"] == [{"before": 4, "run_id": "r4", "changed": {"tensorrt": ["10.3", "10.4"]}}]
    plot = hil("trend", "-b", "orin-01", "--db", str(db))
    assert plot.returncode == 0, plot.stderr
    assert "regression" in plot.stdout and "new series from run r4: tensorrt 10.3 -> 10.4" in plot.stdout
    assert "orin-01 dms fp16 night" in plot.stdout and "orin-01 dms fp16 day" in plot.stdout  # sparklines
    table = hil("history", "-b", "orin-01", "--db", str(db))
    assert "new baseline series from run r4 (orin-01 dms fp16 night): tensorrt 10.3 -> 10.4" in table.stdout
    hist = hil("history", "-b", "orin-01", "--plot", "--db", str(db))
    assert hist.returncode == 0 and "latency" in hist.stdout, hist.stderr
    bad = hil("trend", "--metric", "speed", "--db", str(db))
    assert bad.returncode == 2 and "--metric" in bad.stderr


def test_export_and_merge(hil: Hil, tmp_path: Path) -> None:
    db = tmp_path / "hil.sqlite"
    _history(db)
    out = tmp_path / "results.csv"
    proc = hil("export", "--format", "csv", "-o", str(out), "--db", str(db))
    assert proc.returncode == 0 and "exported 6 results" in proc.stderr
    assert len(out.read_text().splitlines()) == 7
    lines = hil("export", "-b", "orin-01", "-c", "day", "--db", str(db)).stdout.splitlines()
    assert [json.loads(x)["run_id"] for x in lines] == ["r5"]
    team = tmp_path / "team.sqlite"
    first = hil("store", "merge", str(db), "--db", str(team), "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)[0]["runs_added"] == 6
    again = hil("store", "merge", str(db), "--db", str(team))
    assert again.returncode == 0 and "0 runs (0 results) added, 6 already here" in again.stdout


def test_sim_fault_sets_shows_and_clears(hil: Hil, tmp_path: Path) -> None:
    rack = write_sim_inventory(tmp_path / "rack.yaml", {"orin-sim-01": "orin"})
    inv = str(rack.inventory)
    root = Path(hil.env["HIL_HOME"]) / "sim" / "boards" / "orin-sim-01" / "root"
    proc = hil("sim", "fault", "orin-sim-01", "runtime=slow", "trtexec=crash", "-i", inv)
    assert proc.returncode == 0, proc.stderr
    assert "runtime=slow" in proc.stdout and "trtexec=crash" in proc.stdout
    assert json.loads((root / "sim-faults.json").read_text()) == {"runtime": "slow", "trtexec": "crash"}
    shown = hil("sim", "fault", "orin-sim-01", "-i", inv, "--json")
    assert json.loads(shown.stdout)["faults"] == {"runtime": "slow", "trtexec": "crash"}
    bad = hil("sim", "fault", "orin-sim-01", "runtime=sluggish", "-i", inv)
    assert bad.returncode == 2 and "slow" in bad.stderr
    cleared = hil("sim", "fault", "orin-sim-01", "--clear", "-i", inv)
    assert cleared.returncode == 0 and not (root / "sim-faults.json").exists()
    unknown = hil("sim", "fault", "nope", "runtime=slow", "-i", inv)
    assert unknown.returncode == 2 and "no board 'nope'" in unknown.stderr
