"""A board too hot to measure is not used (pre-flight), and a job past its own deadline is stopped on the
board and reported as the rack's trouble, not the model's."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Hil, needs_sshd, write_sim_inventory
from tests.fixtures.tiny import make_clip

pytestmark = [needs_sshd]


def test_hot_board_fails_preflight_without_touching_the_others(
    hil: Hil, tmp_path: Path, material: tuple[Path, Path]
) -> None:
    model, clip = material
    rack = write_sim_inventory(tmp_path / "rack.yaml", {"orin-hot": "orin", "orin-cool": "orin"})
    zone = (
        tmp_path
        / ".hil"
        / "sim"
        / "boards"
        / "orin-hot"
        / "root"
        / "sys"
        / "class"
        / "thermal"
        / "thermal_zone0"
    )
    zone.mkdir(parents=True)
    (zone / "temp").write_text("99500\n")  # millidegrees, as sysfs says it
    proc = hil("run", "-i", str(rack.inventory), "--model", str(model), "--clip", str(clip), "-p", "fp32",
               "--max-frames", "6", "--warmup", "2", "--json", timeout=300)  # fmt: skip
    assert proc.returncode == 3, proc.stderr
    by_board = {r["board"]: r for r in json.loads(proc.stdout)["results"]}
    hot = by_board["orin-hot"]
    assert hot["status"] == "infra_error" and hot["stage"] == "preflight"
    assert "too hot: 99.5 °C" in hot["error"]
    assert by_board["orin-cool"]["status"] == "pass"


def test_job_past_its_deadline_is_stopped_as_infra_error(
    hil: Hil, tmp_path: Path, material: tuple[Path, Path]
) -> None:
    model, _ = material
    rack = write_sim_inventory(tmp_path / "rack.yaml", {"orin-slow": "orin"})
    slow = make_clip(tmp_path / "slow.mp4", frames=200)  # 20 s at 10 fps
    proc = hil("run", "-i", str(rack.inventory), "--model", str(model), "--clip", str(slow), "-p", "fp32",
               "--fps", "10", "--warmup", "2", "--job-timeout", "6s", "--json", timeout=300)  # fmt: skip
    assert proc.returncode == 3, proc.stderr
    [result] = json.loads(proc.stdout)["results"]
    assert result["status"] == "infra_error"
    assert "ran past its deadline of 6 s" in result["error"]
