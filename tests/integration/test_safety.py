"""Refusals a user relies on: changed host keys, inventory typos, shell metacharacters in names."""

from __future__ import annotations

import json
from pathlib import Path

from hil.sim.keys import generate_key
from tests.conftest import Hil, needs_sshd, write_sim_inventory

pytestmark = [needs_sshd]


def test_changed_host_key_is_refused_until_trusted(
    hil: Hil, tmp_path: Path, material: tuple[Path, Path]
) -> None:
    model, clip = material
    rack = write_sim_inventory(tmp_path / "rack.yaml", {"orin-k1": "orin"})
    args = ["run", "-i", str(rack.inventory), "--model", str(model), "--clip", str(clip), "-p", "fp32"]
    first = hil(*args, "--max-frames", "12", "--warmup", "2")
    assert first.returncode == 0, first.stderr

    # The board is "re-imaged": a new host key behind the same address.
    host_key = tmp_path / ".hil" / "sim" / "boards" / "orin-k1" / "host_ed25519"
    host_key.unlink()
    Path(str(host_key) + ".pub").unlink()
    generate_key(host_key, "re-imaged")

    refused = hil(*args, "--json")
    assert refused.returncode == 3, refused.stderr
    result = json.loads(refused.stdout)["results"][0]
    assert result["status"] == "infra_error" and result["stage"] == "connect"
    assert "orin-k1" in result["error"] and "CHANGED" in result["error"]

    trust = hil("boards", "trust", "orin-k1", "-i", str(rack.inventory), "--yes")
    assert trust.returncode != 0  # the board is down again after the run: nothing to fetch a key from
    up = hil("sim", "up", "-i", str(rack.inventory))
    assert up.returncode == 0, up.stderr
    try:
        trust = hil("boards", "trust", "orin-k1", "-i", str(rack.inventory), "--yes")
        assert trust.returncode == 0, trust.stderr
        again = hil(*args, "--max-frames", "12", "--warmup", "2")
        assert again.returncode == 0, again.stderr
    finally:
        hil("sim", "down", "-i", str(rack.inventory))


def test_changed_host_key_message_says_how_to_trust(hil: Hil, tmp_path: Path) -> None:
    rack = write_sim_inventory(tmp_path / "rack.yaml", {"orin-k2": "orin"})
    assert hil("sim", "up", "-i", str(rack.inventory)).returncode == 0
    try:
        known = tmp_path / ".hil" / "known_hosts"
        other = tmp_path / "other_key"
        generate_key(other, "someone else")
        host, port = rack.boards["orin-k2"]
        known.write_text(
            f"[{host}]:{port} " + " ".join(Path(str(other) + ".pub").read_text().split()[:2]) + "\n"
        )
        proc = hil("boards", "check", "orin-k2", "-i", str(rack.inventory))
        assert proc.returncode == 3
        assert "orin-k2" in proc.stderr and "hil boards trust orin-k2" in proc.stderr
    finally:
        hil("sim", "down", "-i", str(rack.inventory))


def test_inventory_typo_names_key_file_and_line(hil: Hil, tmp_path: Path) -> None:
    inv = tmp_path / "lab.yaml"
    inv.write_text(
        "all:\n  children:\n    rack:\n      hosts:\n        orin-01:\n"
        "          platform: orin\n          ansible_host: 10.0.0.2\n          workdri: /tmp/x\n"
    )
    proc = hil("boards", "list", "-i", str(inv))
    assert proc.returncode == 2
    assert "workdri" in proc.stderr and "lab.yaml" in proc.stderr and ":8" in proc.stderr


def test_shell_metacharacters_in_board_name_run_nothing(hil: Hil, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    inv = tmp_path / "evil.yaml"
    inv.write_text(
        "all:\n  children:\n    rack:\n      hosts:\n"
        f"        'x; touch {marker}':\n          platform: orin\n          ansible_host: 127.0.0.1\n"
        "          sim: true\n"
    )
    proc = hil("run", "-i", str(inv), "--precision", "fp32")
    assert proc.returncode == 2
    assert "touch" in proc.stderr  # the offending name is quoted back
    assert not marker.exists()
    assert not (tmp_path / ".hil" / "sim" / "boards").exists()
