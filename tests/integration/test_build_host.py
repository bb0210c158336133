"""Conversion on a build host the inventory names; the engine (a file or a folder) shipped to the board."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import Hil, free_endpoint, needs_sshd, sim_board_processes

pytestmark = [needs_sshd]


def rack_with_builder(path: Path, platform: str) -> Path:
    (bh, bp), (th, tp) = free_endpoint(), free_endpoint()
    power = "tegrastats" if platform == "orin" else "hwmon"
    path.write_text(
        f"""all:
  vars:
    budgets: {{latency_ms: 5000, power_w: 50}}
  children:
    rack:
      vars: {{sim: true, platform: {platform}}}
      hosts:
        builder:
          ansible_host: {bh}
          ansible_port: {bp}
        target:
          ansible_host: {th}
          ansible_port: {tp}
          build_host: builder
          power: {{source: {power}}}
"""
    )
    return path


@pytest.mark.parametrize(("platform", "precision"), [("orin", "fp16"), ("tda4vm", "int16")])
def test_engine_built_on_build_host_runs_on_board(
    hil: Hil, tmp_path: Path, material: tuple[Path, Path], platform: str, precision: str
) -> None:
    model, clip = material
    inv = rack_with_builder(tmp_path / "rack.yaml", platform)
    args = ["run", "-i", str(inv), "--where", "name=target", "--model", str(model), "--clip", str(clip),
            "-p", precision, "--warmup", "2", "--json"]  # fmt: skip
    proc = hil(*args)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)["results"][0]
    assert result["board"] == "target" and result["status"] == "pass", result
    sim = tmp_path / ".hil" / "sim" / "boards"
    built = list((sim / "builder" / "root").rglob("engines/*"))
    shipped = list((sim / "target" / "root").rglob("engines/*"))
    assert built, "nothing was converted on the build host"
    assert shipped, "the engine never reached the board"
    assert not any(
        p.name.endswith(".log") for p in shipped
    )  # the board got the engine, not the build's files
    show = hil("show", "last", "--log", "convert")
    assert "built on builder" in show.stdout
    # A second run reuses the build host's cached engine and ships nothing new.
    again = json.loads(hil(*args).stdout)["results"][0]
    assert again["status"] == "pass" and again["bytes_pushed"] == 0


def _converters_on(root: Path) -> list[int]:
    """Pids of emulated trtexec processes running for the simulated machine whose root is `root`."""
    return sim_board_processes([root], b"trtexec")


def test_ctrl_c_during_a_build_stops_the_converter_on_the_build_host(
    hil: Hil, tmp_path: Path, material: tuple[Path, Path]
) -> None:
    model, clip = material
    inv = rack_with_builder(tmp_path / "rack.yaml", "orin")
    root = tmp_path / ".hil" / "sim" / "boards" / "builder" / "root"
    root.mkdir(parents=True)
    (root / "sim-faults.json").write_text(json.dumps({"trtexec": "hang"}))  # a conversion that never ends
    proc = subprocess.Popen(
        [sys.executable, "-m", "hil.cli.main", "run", "-i", str(inv), "--where", "name=target", "--model",
         str(model), "--clip", str(clip), "-p", "fp16", "--json"],
        cwd=hil.cwd, env=hil.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 180
        while not _converters_on(root.resolve()):
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        sent = time.monotonic()
        _, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 130, stderr
        # The converter was killed on the build host at once, so the job ended by itself: hil did not wait
        # out the stop's grace period for a wedged worker (which it records), and nothing is left running.
        # (No tighter bound on the wall time: on a loaded 2-core host, exiting alone can take 10 s.)
        assert time.monotonic() - sent < 30, stderr
        assert _converters_on(root.resolve()) == []
        with sqlite3.connect(tmp_path / "hil.sqlite") as db:
            kinds = [k for (k,) in db.execute("SELECT kind FROM run_events")]
        assert "stop_grace_expired" not in kinds, kinds
    finally:
        if proc.poll() is None:
            proc.kill()
        hil("sim", "down", "-i", str(inv))
