"""The vehicle-side gate script (playbooks/files/hil_gate.py), run as the vehicle runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from hil.fleet.ansible import PLAYBOOKS

GATE = PLAYBOOKS / "files" / "hil_gate.py"


def frames(path: Path, outputs: list[list[float]], infer_ms: float) -> Path:
    lines = []
    for i, out in enumerate(outputs):
        rec = {"index": i, "warmup": i == 0, "infer_ms": infer_ms, "output": out}
        rec["predicted"] = max(range(len(out)), key=out.__getitem__)
        lines.append(json.dumps(rec))
    lines.append(json.dumps({"summary": {"frames": len(outputs)}}))
    path.write_text("\n".join(lines) + "\n")
    return path


def gate(tmp_path: Path, new: Path, old: Path | None = None, budget: float = 50.0) -> tuple[int, dict]:
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"reference": {"outputs": REF}}))
    argv = [sys.executable, str(GATE), "--manifest", str(manifest), "--new", str(new)]
    argv += ["--latency-budget-ms", str(budget)] + (["--old", str(old)] if old else [])
    res = subprocess.run(argv, capture_output=True, text=True)
    line = next(x for x in res.stdout.splitlines() if x.startswith("HIL_GATE "))
    return res.returncode, json.loads(line.removeprefix("HIL_GATE "))


REF = [[0.1, 0.9], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]]


def test_matching_outputs_within_budget_pass(tmp_path: Path) -> None:
    code, verdict = gate(tmp_path, frames(tmp_path / "n.jsonl", REF, 1.0))
    assert code == 0 and verdict["passed"] and verdict["max_output_error"] == 0


def test_wrong_outputs_fail_the_reference_check(tmp_path: Path) -> None:
    wrong = [[o[1] * 0.5 + 0.1, o[0] * 0.5 + 0.1] for o in REF]
    code, verdict = gate(tmp_path, frames(tmp_path / "n.jsonl", wrong, 1.0))
    assert code == 1 and verdict["checks"]["reference"] is False


def test_latency_over_budget_fails(tmp_path: Path) -> None:
    code, verdict = gate(tmp_path, frames(tmp_path / "n.jsonl", REF, 80.0), budget=50.0)
    assert code == 1 and verdict["checks"] == {"reference": True, "latency": False}


def test_non_inferiority_against_the_incumbent(tmp_path: Path) -> None:
    old = frames(tmp_path / "o.jsonl", REF, 1.0)
    code, verdict = gate(tmp_path, frames(tmp_path / "n.jsonl", REF, 1.2), old)
    assert code == 0 and verdict["agreement"] == 1.0
    code, verdict = gate(tmp_path, frames(tmp_path / "slow.jsonl", REF, 20.0), old)
    assert code == 1 and verdict["checks"]["latency_ni"] is False
