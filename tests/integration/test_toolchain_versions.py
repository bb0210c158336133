"""The rack at the oldest and newest toolchain release of each platform that a vendor conformance file
describes (hil/sim/conformance/): `hil sim up --toolchain ...`, then `hil run` passes on one board each, and
the result names the release the board reported. The oldest TensorRT (JetPack 5's 8.5) also builds with that
version's flag (`--buildOnly`; 8.6 renamed it `--skipInference`, which the 8.5 trtexec refuses)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hil.sim.toolchains import releases
from tests.conftest import Hil, needs_sshd, write_sim_inventory

pytestmark = [needs_sshd]

PLATFORMS = ("orin", "qcs8255", "tda4vm")
# What each result's fingerprint calls the release (hil's facts, read from the board over SSH).
FINGERPRINT = {"orin": "tensorrt", "qcs8255": "snpe", "tda4vm": "tidl_tools"}


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


@pytest.mark.parametrize("end", ["oldest", "newest"])
def test_sim_up_at_each_end_of_the_table_then_run_passes(
    hil: Hil, tmp_path: Path, material: tuple[Path, Path], end: str
) -> None:
    model, clip = material
    rack = write_sim_inventory(tmp_path / "rack.yaml", {f"{p}-{end}": p for p in PLATFORMS})
    chosen = {p: list(releases(p))[0 if end == "oldest" else -1] for p in PLATFORMS}
    up = hil("sim", "up", "-i", str(rack.inventory), *(f"--toolchain={p}={r}" for p, r in chosen.items()))
    assert up.returncode == 0, up.stderr
    # JetPack 5's python3 is 3.8 (orin-trt8.5.yaml): the rack says how to run the harness under it
    assert ("note: orin=trt8.5: a real board has Python 3.8" in up.stderr) == (end == "oldest"), up.stderr
    try:
        proc = hil("run", "-i", str(rack.inventory), "--model", str(model), "--clip", str(clip),
                   "-p", "fp16,int16", "--max-frames", "6", "--warmup", "2", "--json")  # fmt: skip
        assert proc.returncode == 0, proc.stderr + proc.stdout
        ran = [r for r in json.loads(proc.stdout)["results"] if r["status"] != "skipped"]  # fp16 or int16
        results = {r["board"]: r for r in ran}
        assert len(ran) == len(results) == len(PLATFORMS), ran
    finally:
        hil("sim", "down", "-i", str(rack.inventory))
    for platform, release in chosen.items():
        result = results[f"{platform}-{end}"]
        [version] = releases(platform)[release].values()
        assert result["status"] == "pass", result
        assert result["fingerprint"][FINGERPRINT[platform]] == version, (release, result["fingerprint"])


def test_an_unknown_release_is_refused_with_the_known_ones(hil: Hil, tmp_path: Path) -> None:
    rack = write_sim_inventory(tmp_path / "rack.yaml", {"orin-up": "orin"})
    bad = hil("sim", "up", "-i", str(rack.inventory), "--toolchain", "orin=trt7")
    assert bad.returncode == 2 and "orin has no simulated release 'trt7'" in bad.stderr
    assert "trt8.5, trt8.6, trt10.3, py3.8" in bad.stderr
