"""Stopping a run from outside, as an operator or a CI server does: SIGINT, SIGTERM, SIGKILL then --resume.

Real `hil run` subprocesses, real signals, real sshd boards: the run stops within 15 s, keeps every finished
result, skips the rest as `interrupted`, stops the simulated boards it started, and `--resume` finishes the
very same run with exactly one result per job.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hil.sim.rack import SimRack
from tests.conftest import Hil, needs_sshd, sim_board_processes, write_sim_inventory
from tests.fixtures.tiny import make_clip

pytestmark = [needs_sshd]


def _start(hil: Hil, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "hil.cli.main", *args], cwd=hil.cwd, env=hil.env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def _rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    if not db.exists():
        return []
    with sqlite3.connect(db) as conn:
        try:
            return list(conn.execute(sql))
        except sqlite3.OperationalError:  # not created yet
            return []


def _wait_for_results(db: Path, n: int, proc: subprocess.Popen[str], limit_s: float = 240) -> None:
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        if len(_rows(db, "SELECT id FROM results WHERE status = 'pass'")) >= n:
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.2)
    pytest.fail("the run produced no result in time")


def _setup(hil: Hil, tmp_path: Path, model: Path) -> tuple[list[str], Path, SimRack, list[str]]:
    rack = write_sim_inventory(tmp_path / "rack.yaml", {"orin-s1": "orin", "orin-s2": "orin"})
    # Camera-paced clips: each job takes a few seconds, so the signal lands mid-run.
    clips = [make_clip(tmp_path / f"c{i}.mp4", frames=30) for i in range(3)]
    db = tmp_path / "runs.sqlite"
    args = ["run", "-i", str(rack.inventory), "--model", str(model), "-p", "fp32", "--warmup", "2",
            "--fps", "10", "--db", str(db)]  # fmt: skip
    for c in clips:
        args += ["--clip", str(c)]
    sim = SimRack(tmp_path / ".hil" / "sim", tmp_path / ".hil" / "known_hosts")
    return args, db, sim, list(rack.boards)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_stops_run_keeps_results_and_resume_finishes_it(
    hil: Hil, tmp_path: Path, material: tuple[Path, Path], sig: signal.Signals
) -> None:
    model, _ = material
    args, db, sim, boards = _setup(hil, tmp_path, model)
    proc = _start(hil, *args, "--json")
    _wait_for_results(db, 1, proc)
    sent = time.monotonic()
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=30)
    assert time.monotonic() - sent < 15, stderr
    assert proc.returncode == 128 + sig, stderr
    payload = json.loads(stdout)
    assert payload["stopped"] == "interrupted"
    statuses = [r["status"] for r in payload["results"]]
    assert len(statuses) == 6 and "pass" in statuses and "skipped" in statuses
    assert {r["error"] for r in payload["results"] if r["status"] == "skipped"} == {"interrupted"}
    assert set(statuses) <= {"pass", "skipped"}  # a killed harness is no model failure
    assert payload["counts"]["pass"] + payload["counts"]["skipped"] == 6
    run_id = payload["run_id"]
    stored = _rows(db, f"SELECT status FROM results WHERE run_id = '{run_id}'")
    assert sorted(s for (s,) in stored) == sorted(statuses)  # every finished result was committed
    assert _rows(db, f"SELECT status FROM runs WHERE run_id = '{run_id}'") == [("interrupted",)]
    assert all(sim.pid(b) is None for b in boards)  # the run's simulated boards were stopped
    assert "hil run --resume" in stderr

    resumed = hil(*args, "--resume", "last", "--json", timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    again = json.loads(resumed.stdout)
    assert again["run_id"] == run_id
    assert [r["status"] for r in again["results"]] == ["pass"] * 6
    keys = _rows(db, f"SELECT board, clip, count(*) FROM results WHERE run_id = '{run_id}' GROUP BY 1, 2")
    assert len(keys) == 6 and all(n == 1 for *_, n in keys)  # no duplicate rows
    assert _rows(db, f"SELECT status FROM runs WHERE run_id = '{run_id}'") == [("pass",)]


def test_sigkill_then_resume_breaks_dead_lease_and_finishes(
    hil: Hil, tmp_path: Path, material: tuple[Path, Path]
) -> None:
    model, _ = material
    args, db, sim, boards = _setup(hil, tmp_path, model)
    proc = _start(hil, *args, "--json")
    _wait_for_results(db, 1, proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    user = next((tmp_path / ".hil" / "sim" / "boards").glob("*/root/home/*"))
    assert (user / ".hil-lease").exists()  # the dead run's lease is still on the board

    resumed = hil(*args, "--resume", "last", "--json", timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    payload = json.loads(resumed.stdout)
    assert [r["status"] for r in payload["results"]] == ["pass"] * 6  # no infra_error from leases
    run_id = payload["run_id"]
    assert len(_rows(db, f"SELECT id FROM results WHERE run_id = '{run_id}'")) == 6
    broken = _rows(
        db, f"SELECT board, detail FROM run_events WHERE run_id = '{run_id}' AND kind = 'lease_broken'"
    )
    assert broken and all(f"pid={proc.pid}" in str(detail) for _, detail in broken)
    assert all(sim.pid(b) is None for b in boards)  # the resumed run stopped what it started (left over)


def test_second_ctrl_c_exits_at_once_and_the_store_stays_whole(
    hil: Hil, tmp_path: Path, material: tuple[Path, Path]
) -> None:
    model, _ = material
    args, db, _, _ = _setup(hil, tmp_path, model)
    proc = _start(hil, *args, "--json")
    _wait_for_results(db, 1, proc)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.3)
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=30)
    assert time.monotonic() - sent < 5
    assert proc.returncode == 130
    assert _rows(db, "PRAGMA integrity_check") == [("ok",)]
    resumed = hil(*args, "--resume", "last", "--json", timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert [r["status"] for r in json.loads(resumed.stdout)["results"]] == ["pass"] * 6


def test_board_that_cannot_start_fails_alone(hil: Hil, tmp_path: Path, material: tuple[Path, Path]) -> None:
    model, clip = material
    rack = write_sim_inventory(tmp_path / "rack.yaml", {"orin-busy": "orin", "orin-fine": "orin"},
                               extra="connect_timeout_s: 3")  # fmt: skip
    host, port = rack.boards["orin-busy"]
    with socket.socket() as squatter:  # something else holds the board's port: its sshd cannot start
        squatter.bind((host, port))
        squatter.listen()
        proc = hil("run", "-i", str(rack.inventory), "--model", str(model), "--clip", str(clip), "-p", "fp32",
                   "--max-frames", "6", "--warmup", "2", "--json", timeout=300)  # fmt: skip
    assert proc.returncode == 3, proc.stderr
    by_board = {r["board"]: r for r in json.loads(proc.stdout)["results"]}
    assert by_board["orin-busy"]["status"] == "infra_error"
    assert by_board["orin-fine"]["status"] == "pass"
    shown = hil("show", "last", "--json")
    assert shown.returncode == 0, shown.stderr  # the run row was finished, not left 'running'


def _samplers(roots: list[Path]) -> list[int]:
    """Pids of power samplers (hil's power_log.py) running on the simulated boards with these roots."""
    return sim_board_processes(roots, b"power_log.py")


def test_a_stopped_job_stops_its_power_sampler_on_the_board(
    hil: Hil, tmp_path: Path, material: tuple[Path, Path]
) -> None:
    model, _ = material
    args, _, _, boards = _setup(hil, tmp_path, model)
    inventory = args[args.index("-i") + 1]
    assert hil("sim", "up", "-i", inventory).returncode == 0  # boards stay up after the run: nothing else
    try:  # ends what ran on them
        roots = [(tmp_path / ".hil" / "sim" / "boards" / b / "root").resolve() for b in boards]
        proc = _start(hil, *args, "--json")
        deadline = time.monotonic() + 240
        while not _samplers(roots):
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=30)
        assert proc.returncode == 130, stderr
        deadline = time.monotonic() + 5
        while _samplers(roots) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _samplers(roots) == []  # not left sampling until its own time limit
    finally:
        hil("sim", "down", "-i", inventory)
