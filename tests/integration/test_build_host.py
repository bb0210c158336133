"""Conversion on a build host the inventory names; the engine (a file or a folder) shipped to the board."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Hil, free_endpoint, needs_sshd

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


@pytest.mark.parametrize(("platform", "precision"), [("orin", "fp16"), ("tda4vm", "fp16")])
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
