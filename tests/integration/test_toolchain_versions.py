"""The rack at the oldest TensorRT hil supports (JetPack 5's 8.5): hil reads the version from the board's
trtexec banner and builds with that version's flag (`--buildOnly`; 8.6 renamed it `--skipInference`, which
the 8.5 trtexec refuses as an unknown option). The newest (10.3) is test_run_orin's default rack."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Hil, needs_sshd, write_sim_inventory

pytestmark = [needs_sshd]


def test_orin_at_tensorrt_8_5_builds_with_build_only(
    hil: Hil, tmp_path: Path, material: tuple[Path, Path]
) -> None:
    model, clip = material
    rack = write_sim_inventory(
        tmp_path / "rack.yaml", {"orin-trt85": "orin"}, extra="sim_toolchain: {tensorrt: 8.5.2}"
    )
    proc = hil("run", "-i", str(rack.inventory), "--model", str(model), "--clip", str(clip), "-p", "fp16",
               "--max-frames", "10", "--warmup", "2", "--json")  # fmt: skip
    assert proc.returncode == 0, proc.stderr + proc.stdout
    [result] = json.loads(proc.stdout)["results"]
    assert result["status"] == "pass" and result["fingerprint"]["tensorrt"] == "8.5.2", result
    show = hil("show", json.loads(proc.stdout)["run_id"], "--log", "convert")
    assert "--buildOnly --fp16" in show.stdout and "--skipInference" not in show.stdout
    assert "[TensorRT v8502]" in show.stdout and "&&&& PASSED" in show.stdout


def test_sim_up_at_an_older_release_then_run_uses_it(
    hil: Hil, tmp_path: Path, material: tuple[Path, Path]
) -> None:
    model, clip = material
    rack = write_sim_inventory(tmp_path / "rack.yaml", {"orin-up": "orin"})
    up = hil("sim", "up", "-i", str(rack.inventory), "--toolchain", "orin=trt8.5")
    assert up.returncode == 0, up.stderr
    try:
        proc = hil("run", "-i", str(rack.inventory), "--model", str(model), "--clip", str(clip), "-p", "fp32",
                   "--max-frames", "6", "--warmup", "2", "--json")  # fmt: skip
        assert proc.returncode == 0, proc.stderr + proc.stdout
        [result] = json.loads(proc.stdout)["results"]
        assert result["fingerprint"]["tensorrt"] == "8.5.2"
    finally:
        hil("sim", "down", "-i", str(rack.inventory))
    bad = hil("sim", "up", "-i", str(rack.inventory), "--toolchain", "orin=trt7")
    assert bad.returncode == 2 and "orin has no simulated release 'trt7'" in bad.stderr
    assert "trt8.5, trt8.6, trt10.3, py3.8" in bad.stderr
