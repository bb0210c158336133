"""Two runs never share a board: a live lease is respected, an expired one (its holder died) is taken over."""

from __future__ import annotations

import getpass
import json
import time
from pathlib import Path

from tests.conftest import Hil, needs_sshd, write_sim_inventory

pytestmark = [needs_sshd]


def test_live_lease_is_respected_and_expired_one_taken_over(
    hil: Hil, tmp_path: Path, material: tuple[Path, Path]
) -> None:
    model, clip = material
    rack = write_sim_inventory(tmp_path / "rack.yaml", {"orin-l1": "orin"})
    lease = (
        tmp_path / ".hil" / "sim" / "boards" / "orin-l1" / "root" / "home" / getpass.getuser() / ".hil-lease"
    )
    lease.mkdir(parents=True)
    (lease / "holder").write_text("nightly-ci:4242\n")
    (lease / "expires").write_text(f"{int(time.time()) + 600}\n")
    args = ["run", "-i", str(rack.inventory), "--model", str(model), "--clip", str(clip), "-p", "fp32",
            "--max-frames", "12", "--warmup", "2", "--json"]  # fmt: skip

    busy = hil(*args)
    assert busy.returncode == 3, busy.stderr
    result = json.loads(busy.stdout)["results"][0]
    assert result["status"] == "infra_error" and result["stage"] == "lease"
    assert "leased by nightly-ci:4242" in result["error"]
    assert (lease / "holder").read_text().strip() == "nightly-ci:4242"  # untouched

    (lease / "expires").write_text(f"{int(time.time()) - 1}\n")  # the holder died long ago
    taken = hil(*args)
    assert taken.returncode == 0, taken.stderr
    assert not lease.exists()  # released at the end of the run
