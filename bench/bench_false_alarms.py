"""Regression verdicts on a real simulated rack: how many unchanged runs fail, how many slowdowns are caught.

    .venv/bin/python bench/bench_false_alarms.py [--quick] [--unchanged N] [--slowed M] [--json]

Starts one simulated Orin on a free loopback endpoint in a private HIL_HOME, runs `hil run` N times
unchanged (dms-small fp32, one clip, 300 frames), then sets `hil sim fault BOARD runtime=slow` and runs M
times, clears the fault, stops the board, and counts the stored verdicts. Figures are counts and rates;
the anchor of the detection rate is the false-alarm rate measured on the same rack in the same run.
Nothing here is a pass/fail test (tests/integration/test_history_regression.py is).
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


def run(quick: bool = False, unchanged: int | None = None, slowed: int | None = None) -> dict[str, object]:
    n_unchanged = unchanged or (8 if quick else 60)
    n_slowed = slowed or (2 if quick else 10)
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
    verdicts = [(status, json.loads(v) if v else {}) for status, v in rows]
    judged = [v for v in verdicts[:n_unchanged] if v[1].get("outcome") not in (None, "no_baseline")]
    false_alarms = sum(status == "regression" for status, _ in judged)
    caught = sum(status == "regression" for status, _ in verdicts[n_unchanged:])
    noisy = sum("noisy:latency" in v.get("flags", []) for _, v in judged)
    return {
        "unchanged_judged": len(judged),
        "false_alarms": false_alarms,
        "false_alarm_rate": false_alarms / len(judged) if judged else None,
        "unchanged_flagged_noisy": noisy,
        "slowed_runs": len(verdicts) - n_unchanged,
        "slowed_caught": caught,
        "detection_rate": caught / max(1, len(verdicts) - n_unchanged),
        "load_average": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="8 unchanged and 2 slowed runs")
    parser.add_argument("--unchanged", type=int, help="unchanged runs (default 60)")
    parser.add_argument("--slowed", type=int, help="runs under runtime=slow (default 10)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    figures = run(args.quick, args.unchanged, args.slowed)
    print(
        json.dumps(figures, indent=2) if args.json else "\n".join(f"{k:26} {v}" for k, v in figures.items())
    )


if __name__ == "__main__":
    main()
