"""tidl_backend.py: hil's harness through the emulated TIDLExecutionProvider, and TIDL's times merged in."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hil.parsers.tidl import parse_tidl_log
from hil.sim.tidl import artifacts
from hil.sim.tidl.pipeline import make_session
from hil.sim.tidl.runtime import RuntimeSession
from tests.fixtures.tiny import make_model

from .conftest import HARNESS, Run, board_python, compile_model
from .material import qdq_sibling


def replay(board: Path, engine: Path, clip: Path, rundir: Path) -> Run:
    rundir.mkdir(parents=True, exist_ok=True)
    stats, out = rundir / "tidl_stats.jsonl", rundir / "frames.jsonl"
    harness = [
        str(HARNESS / "board_harness.py"),
        "--engine",
        str(engine),
        "--clip",
        str(clip),
        "--out",
        str(out),
    ]
    harness += [
        "--warmup",
        "2",
        "--backend",
        "tidl_backend",
        "--backend-options",
        json.dumps({"stats": str(stats)}),
    ]
    run = board_python(board, *harness)
    if run.rc != 0:
        return run
    merged = board_python(
        board, str(HARNESS / "tidl_backend.py"), "--merge-stats", str(stats), "--frames", str(out)
    )
    return Run(merged.rc, run.out + merged.out, run.err + merged.err)


def records(rundir: Path) -> tuple[list[dict], dict]:
    lines = [json.loads(x) for x in (rundir / "frames.jsonl").read_text().splitlines()]
    return [r for r in lines if "summary" not in r], lines[-1]["summary"]


def test_replay_times_frames_with_tidls_own_statistics(
    board: Path, material: tuple[Path, Path], tmp_path: Path
) -> None:
    model, clip = material
    assert compile_model(board, model, tmp_path / "art", 16).rc == 0
    run = replay(board, tmp_path / "art", clip, tmp_path / "run")
    assert run.rc == 0, run.both
    assert "libtidl_onnxrt_EP loaded" in run.out
    frames, summary = records(tmp_path / "run")
    assert len(frames) == 24 and summary["timing"] == "tidl-stats"
    assert summary["runtime"] == "onnxruntime + TIDLExecutionProvider"
    for f in frames:
        assert 0 < f["tidl_proc_ms"] <= f["infer_ms"] and f["host_infer_ms"] > 0
        assert f["total_ms"] >= f["decode_ms"] + f["preprocess_ms"]
    (completed,) = parse_tidl_log(run.out).models
    assert completed.completed and completed.ddr_rw_mbs is None
    assert completed.total_time_ms == pytest.approx(summary["tidl"]["run_ms"], abs=0.01)
    assert (completed.subgraphs, completed.nodes_delegated) == (1, 3)


def test_16_and_8_bit_really_compute_at_their_precision(
    board: Path, material: tuple[Path, Path], tmp_path: Path
) -> None:
    model, clip = material
    assert compile_model(board, model, tmp_path / "a16", 16).rc == 0
    assert compile_model(board, qdq_sibling(model, clip), tmp_path / "a8", 8, "--prequantized").rc == 0
    x = np.random.default_rng(1).uniform(0.1, 0.9, (1, 1, 32, 32)).astype(np.float32)
    (ref,) = make_session(model.read_bytes()).run(None, {"input": x})
    err = {}
    for bits, folder, source in ((16, "a16", model), (8, "a8", model.with_name("bright.int8.onnx"))):
        session = RuntimeSession(source.read_bytes(), {"artifacts_folder": str(tmp_path / folder)}, None)
        (got,) = session.run(None, {"input": x})
        err[bits] = float(np.abs(got - ref).max())
    assert 0 < err[16] < 1e-3 < err[8] < 0.05


def test_artifacts_from_another_model_or_damaged_are_refused(
    board: Path, material: tuple[Path, Path], tmp_path: Path
) -> None:
    model, _ = material
    (board / "sim-faults.json").write_text(json.dumps({"tidl_compile": "corrupt"}))
    assert compile_model(board, model, tmp_path / "art", 16).rc == 0  # a damaged write reports success
    other = make_model(tmp_path / "other.onnx", side=16, with_card=False)
    options = {"artifacts_folder": str(tmp_path / "art")}
    with pytest.raises(artifacts.ArtifactsError, match="not the one the artifacts"):
        RuntimeSession(other.read_bytes(), options, None)
    with pytest.raises(
        artifacts.ArtifactsError, match=r"TIDL_RT_OVX: ERROR: Config file .* is not a TIDL IO"
    ):
        RuntimeSession(model.read_bytes(), options, None)


def test_a_runtime_crash_fails_the_replay(board: Path, material: tuple[Path, Path], tmp_path: Path) -> None:
    model, clip = material
    assert compile_model(board, model, tmp_path / "art", 16).rc == 0
    (board / "sim-faults.json").write_text(json.dumps({"tidl_run": "crash"}))
    run = replay(board, tmp_path / "art", clip, tmp_path / "run")
    assert run.rc == 139


def test_merge_refuses_statistics_that_do_not_match_the_frames(tmp_path: Path, board: Path) -> None:
    (tmp_path / "frames.jsonl").write_text('{"index": 0, "infer_ms": 1.0}\n{"summary": {}}\n')
    (tmp_path / "stats.jsonl").write_text("")
    args = ["--merge-stats", str(tmp_path / "stats.jsonl"), "--frames", str(tmp_path / "frames.jsonl")]
    run = board_python(board, str(HARNESS / "tidl_backend.py"), *args)
    assert run.rc != 0 and "0 TIDL statistics for 1 frames" in run.err


def test_frame_stats_add_up_subgraphs_and_ddr_counters_when_the_runtime_has_them() -> None:
    import sys

    sys.path.insert(0, str(HARNESS))
    try:
        from tidl_backend import frame_stats
    finally:
        sys.path.remove(str(HARNESS))
    stats = {"ts:run_start": 0, "ts:run_end": 5_000_000, "ddr:read_start": 0, "ddr:read_end": 3_000_000}
    stats |= {"ddr:write_start": 0, "ddr:write_end": 1_000_000}
    for name, base in (("subgraph_0", 0), ("subgraph_1", 2_000_000)):
        stats |= {f"ts:{name}_copy_in_start": base, f"ts:{name}_copy_in_end": base + 100_000}
        stats |= {f"ts:{name}_proc_start": base + 100_000, f"ts:{name}_proc_end": base + 1_100_000}
        stats |= {f"ts:{name}_copy_out_start": base + 1_100_000, f"ts:{name}_copy_out_end": base + 1_200_000}
    got = frame_stats(stats)
    assert got == {
        "run_ms": 5.0,
        "proc_ms": 2.0,
        "copy_ms": pytest.approx(0.4),
        "subgraphs": 2,
        "ddr_mb": 4.0,
    }
    assert frame_stats({})["run_ms"] is None
