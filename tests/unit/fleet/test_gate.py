"""The vehicle-side gate script (playbooks/files/hil_gate.py), run as the vehicle runs it."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

from hil.fleet.ansible import PLAYBOOKS

GATE = PLAYBOOKS / "files" / "hil_gate.py"


def frames(path: Path, outputs: list[list[float]], infer_ms: float | list[float]) -> Path:
    lines = []
    for i, out in enumerate(outputs):
        ms = infer_ms if isinstance(infer_ms, float) else infer_ms[i % len(infer_ms)]
        rec = {"index": i, "warmup": i == 0, "infer_ms": ms, "output": out}
        rec["predicted"] = max(range(len(out)), key=out.__getitem__)
        lines.append(json.dumps(rec))
    lines.append(json.dumps({"summary": {"frames": len(outputs)}}))
    path.write_text("\n".join(lines) + "\n")
    return path


def gate(
    tmp_path: Path,
    new: Path | list[Path],
    old: Path | list[Path] | None = None,
    budget: float = 50.0,
    more: list[list[str]] | None = None,
) -> tuple[int, dict]:
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"reference": {"outputs": REF}}))
    argv = [sys.executable, str(GATE), "--manifest", str(manifest), "--latency-budget-ms", str(budget)]
    for path in new if isinstance(new, list) else [new]:
        argv += ["--new", str(path)]
    for path in old if isinstance(old, list) else ([old] if old else []):
        argv += ["--old", str(path)]
    if more is not None:
        argv += ["--more", json.dumps(more)]
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


def rounds(tmp_path: Path, tag: str, count: int, median_ms: float, seed: int, frames_per_round: int = 21):
    """`count` rounds of one engine: warm frames log-normally spread around `median_ms`, as a loaded host
    gives; every round its own file, as the self-tests write them."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        shift = rng.lognormvariate(0, 0.15)  # the host's load differs between rounds
        times = [median_ms * shift * rng.lognormvariate(0, 0.3) for _ in range(frames_per_round)]
        outputs = [REF[j % len(REF)] for j in range(frames_per_round)]
        out.append(frames(tmp_path / f"{tag}-{seed}-{i}.jsonl", outputs, times))
    return out


def test_equal_engines_pass_the_latency_gate_every_time(tmp_path: Path) -> None:
    # 20 gates of two engines of the same speed, each measured in 3 alternating rounds of 20 warm frames
    for seed in range(20):
        new = rounds(tmp_path, "new", 3, 0.3, seed)
        old = rounds(tmp_path, "old", 3, 0.3, 1000 + seed)
        code, verdict = gate(tmp_path, new, old)
        assert code == 0, verdict["latency_ni"]
        assert verdict["latency_ni"]["new_frames"] == 60 and verdict["latency_ni"]["incumbent_frames"] == 60


def test_a_three_times_slower_engine_fails_non_inferiority(tmp_path: Path) -> None:
    for seed in range(5):
        new = rounds(tmp_path, "new", 3, 0.9, seed)
        old = rounds(tmp_path, "old", 3, 0.3, 1000 + seed)
        code, verdict = gate(tmp_path, new, old)
        assert code == 1 and verdict["checks"]["latency_ni"] is False, verdict
        assert verdict["latency_ni"]["verdict"] == "regression" and verdict["latency_ni"]["p_value"] < 0.01
        assert verdict["agreement"] == 1.0  # the same predictions: only latency fails


def test_inconclusive_measures_again_before_judging(tmp_path: Path) -> None:
    outputs = [REF[j % len(REF)] for j in range(21)]
    # incumbent rounds that disagree (1, 2, 3 ms): a 3.2 ms new engine is slower, but not surely
    old = [frames(tmp_path / f"o{i}.jsonl", outputs, float(ms)) for i, ms in enumerate((1, 2, 3))]
    new = [frames(tmp_path / f"n{i}.jsonl", outputs, 3.2) for i in range(3)]
    code, first = gate(tmp_path, new, old)
    assert code == 1 and first["latency_ni"]["outcome"] == "inconclusive"
    assert first["latency_ni"]["rounds"] == 3
    # further rounds: the incumbent settles at 2.5 ms, and the new engine is within the margin of it
    src_old = frames(tmp_path / "o-more.jsonl", outputs, 2.5)
    src_new = frames(tmp_path / "n-more.jsonl", outputs, 3.2)
    more = [
        [f"cp {src_new} {tmp_path}/n{i}.jsonl", f"{tmp_path}/n{i}.jsonl",
         f"cp {src_old} {tmp_path}/o{i}.jsonl", f"{tmp_path}/o{i}.jsonl"]
        for i in (3, 4)
    ]  # fmt: skip
    code, again = gate(tmp_path, new, old, more=more)
    assert (tmp_path / "n3.jsonl").exists() and (tmp_path / "o3.jsonl").exists()  # it really measured
    assert again["latency_ni"]["rounds"] in (4, 5) and again["latency_ni"]["outcome"] == "pass", again
    assert code == 0


def test_without_the_incumbent_only_the_budget_judges_latency(tmp_path: Path) -> None:
    code, verdict = gate(tmp_path, frames(tmp_path / "n.jsonl", REF, 20.0))
    assert code == 0 and "latency_ni" not in verdict["checks"]


def test_the_gate_judges_with_the_shipped_bundle_alone(tmp_path: Path) -> None:
    """On a vehicle there is no hil: the gate imports hil.measure from the zip beside it."""
    import shutil

    from hil.fleet.vehicle import measure_bundle

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shutil.copy(GATE, bin_dir / "hil_gate.py")
    shutil.copy(measure_bundle(tmp_path / "cache"), bin_dir / "hil_measure.zip")
    assert measure_bundle(tmp_path / "cache") == measure_bundle(tmp_path / "cache")  # one per content
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"reference": {"outputs": REF}}))
    argv = [sys.executable, "-S", "-I", str(bin_dir / "hil_gate.py"), "--manifest", str(manifest)]
    argv += ["--latency-budget-ms", "50"]
    for path in rounds(tmp_path, "new", 3, 0.9, 1):
        argv += ["--new", str(path)]
    for path in rounds(tmp_path, "old", 3, 0.3, 2):
        argv += ["--old", str(path)]
    res = subprocess.run(argv, capture_output=True, text=True)
    assert res.returncode == 1, res.stderr
    assert '"verdict": "regression"' in res.stdout
    bare = subprocess.run([sys.executable, "-S", "-I", "-c", "import hil"], capture_output=True)
    assert bare.returncode != 0  # so it really was the bundle
