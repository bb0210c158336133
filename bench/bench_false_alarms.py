"""Regression verdicts on a real simulated rack: how many unchanged runs fail, how many slowdowns are caught.

    .venv/bin/python bench/bench_false_alarms.py [--quick | --full] [--unchanged N] [--slowed M] [--json]
    .venv/bin/python bench/run.py false_alarms --json --quick

Starts one simulated Orin on a free loopback endpoint in a private HIL_HOME, runs `hil run` N times
unchanged (dms-small fp32, one clip, 300 frames), then sets `hil sim fault BOARD runtime=slow` and runs M
times, clears the fault, stops the board, and counts the stored verdicts. By default N = 20 and M = 5, so that
`make bench` stays within minutes; --full runs 60 and 10 (the series in docs/benchmarks.md), --quick 8 and 2.
A count is no ratio: the false alarms stand beside the count expected (none), the slowed runs found beside
the number slowed (each should be found: the ratio is the detection rate). Nothing here is a pass/fail
test (tests/integration/test_history_regression.py is).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

from benchlib import Result, figure, main  # noqa: E402

BOARD = "orin-sim-01"


def _endpoint() -> tuple[str, int]:
    host = f"127.0.{random.randint(1, 250)}.{random.randint(2, 250)}"
    with socket.socket() as sock:
        sock.bind((host, 0))
        return host, int(sock.getsockname()[1])


def _inventory(path: Path) -> None:
    host, port = _endpoint()
    path.write_text(
        "all:\n  vars:\n    budgets: {latency_ms: 5000, power_w: 50}\n  children:\n    rack:\n"
        f"      vars:\n        sim: true\n      hosts:\n        {BOARD}:\n          platform: orin\n"
        f"          ansible_host: {host}\n          ansible_port: {port}\n"
    )


def run(
    quick: bool = False, unchanged: int | None = None, slowed: int | None = None, full: bool = False
) -> Result:
    n_unchanged = unchanged or (60 if full else 8 if quick else 20)
    n_slowed = slowed or (10 if full else 2 if quick else 5)
    with tempfile.TemporaryDirectory(prefix="hil-bench-fa-") as tmp:
        home = Path(tmp)
        env = {**os.environ, "HIL_HOME": str(home / ".hil"), "COLUMNS": "200"}
        env.pop("HIL_REGRESSION", None)
        inv, db = home / "rack.yaml", home / "hil.sqlite"
        _inventory(inv)

        def hil(*args: str) -> int:
            cmd = [sys.executable, "-m", "hil.cli.main", *args]
            return subprocess.run(cmd, env=env, cwd=home, capture_output=True, check=False).returncode

        replay = ["run", "-i", str(inv), "--model", str(REPO / "artifacts/models/dms-small.onnx"),
                  "--clip", str(REPO / "artifacts/clips/cabin-01.mp4"), "-p", "fp32", "--warmup", "10",
                  "--max-frames", "310", "--db", str(db), "--json"]  # fmt: skip
        hil("sim", "up", "-i", str(inv))
        try:
            for _ in range(n_unchanged):
                hil(*replay)
            hil("sim", "fault", BOARD, "runtime=slow", "-i", str(inv))
            for _ in range(n_slowed):
                hil(*replay)
        finally:
            hil("sim", "fault", BOARD, "--clear", "-i", str(inv))
            hil("sim", "down", "-i", str(inv))
        with sqlite3.connect(db) as conn:
            rows = conn.execute("SELECT status, verdict FROM results ORDER BY id").fetchall()
    if len(rows) != n_unchanged + n_slowed:
        raise RuntimeError(
            f"{len(rows)} results stored for {n_unchanged + n_slowed} runs: a `hil run` failed"
        )
    verdicts = [(status, json.loads(v) if v else {}) for status, v in rows]
    judged = [v for v in verdicts[:n_unchanged] if v[1].get("outcome") not in (None, "no_baseline")]
    false_alarms = sum(status == "regression" for status, _ in judged)
    caught = sum(status == "regression" for status, _ in verdicts[n_unchanged:])
    noisy = sum("noisy:latency" in v.get("flags", []) for _, v in judged)
    slowed_runs = len(verdicts) - n_unchanged
    details = {
        "unchanged_runs": n_unchanged,
        "unchanged_judged": len(judged),
        "false_alarms": false_alarms,
        "false_alarm_rate": false_alarms / len(judged) if judged else None,
        "unchanged_flagged_noisy": noisy,
        "slowed_runs": slowed_runs,
        "slowed_caught": caught,
        "detection_rate": caught / max(1, slowed_runs),
        "load_average": os.getloadavg()[0],
    }
    return {
        "name": "false_alarms",
        "title": "Regression verdicts: false alarms and detection (`hil run` on the simulated rack)",
        "figures": [
            figure(
                f"unchanged runs judged a regression (of {len(judged)} judged)",
                "runs",
                false_alarms,
                "expected: none",
                0,
            ),
            figure(
                "slowed runs judged a regression",
                "runs",
                caught,
                "runs slowed (each should be found)",
                slowed_runs,
            ),
        ],
        "notes": [
            f"one simulated Orin, dms-small fp32, cabin-01.mp4, 300 frames per run after 10 warm-up, default "
            f"thresholds; {n_unchanged} unchanged runs (the first three of a series have no baseline and are "
            f"not judged), then {slowed_runs} under `hil sim fault {BOARD} runtime=slow`",
            f"{noisy} unchanged runs flagged `noisy:latency`; load average {details['load_average']:.1f}",
            "the false-alarm ratio has no meaning (its anchor is 0); the slowed runs' ratio is the detection "
            "rate",
            *([] if full else ["a smaller series than `--full` (60 unchanged, then 10 slowed)"]),
        ],
        "details": details,
    }


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--full", action="store_true", help="60 unchanged and 10 slowed runs")
    parser.add_argument("--unchanged", type=int, help="unchanged runs (default 20; --full 60; --quick 8)")
    parser.add_argument(
        "--slowed", type=int, help="runs under runtime=slow (default 5; --full 10; --quick 2)"
    )


if __name__ == "__main__":
    main(run, __doc__, options, quick_help="8 unchanged and 2 slowed runs")
