"""The same file serves Ansible: `ansible-inventory --list` reads the example without warnings and
resolves the variables hil resolves (budgets aside: hil merges them key by key, Ansible replaces)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hil.inventory import load_inventory
from tests.unit.inventory.inventory_helpers import EXAMPLE, PLATFORMS, WriteInventory

VENV_BIN = Path("/tmp/venv0/bin/ansible-inventory")


def ansible_inventory() -> str:
    for candidate in (Path(sys.executable).with_name("ansible-inventory"), VENV_BIN):
        if candidate.exists():
            return str(candidate)
    found = shutil.which("ansible-inventory")
    if found is None:
        pytest.skip("ansible-inventory is not installed")
    return found


def ansible_list(path: Path, home: Path) -> tuple[dict[str, Any], str]:
    """`ansible-inventory --list` as JSON, and its stderr. Ansible writes ~/.ansible: keep it in `home`."""
    done = subprocess.run(
        [ansible_inventory(), "-i", str(path), "--list"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={"PATH": "/usr/bin:/bin", "ANSIBLE_NOCOLOR": "1", "HOME": str(home)},
    )
    return json.loads(done.stdout), done.stderr


def test_ansible_reads_the_example_without_warnings(tmp_path: Path) -> None:
    listing, stderr = ansible_list(EXAMPLE, tmp_path)
    hostvars = listing["_meta"]["hostvars"]
    assert set(hostvars) == {
        "orin-01",
        "orin-02",
        "qcs-01",
        "tda4-01",
        "car-017",
        "car-021",
        "car-022",
        "car-023",
        "snpe-host",
        "tidl-host",
    }
    assert listing["canary"]["hosts"] == ["car-017"]
    assert listing["vehicles"]["children"] == ["canary", "wave_eu"]
    assert "WARNING" not in stderr  # in particular no "reserved name" warning: hence board_tags


def test_ansible_and_hil_resolve_the_same_variables(write_inventory: WriteInventory, tmp_path: Path) -> None:
    # The example plus sibling groups at equal and different depths that disagree, to pin the order.
    path = write_inventory(
        EXAMPLE.read_text()
        + """
    zz_late:
      vars: {workdir: from-zz, command_timeout_s: 30}
      hosts: {orin-01: }
    aa_early:
      vars: {workdir: from-aa}
      hosts: {orin-01: }
      children:
        deeper:
          vars: {command_timeout_s: 40}
          hosts: {orin-02: }
"""
    )
    listing, _ = ansible_list(path, tmp_path)
    inv = load_inventory(path, PLATFORMS)
    for name, board in inv.boards.items():
        theirs = listing["_meta"]["hostvars"][name]
        ours = board.model_dump(by_alias=True, exclude={"name", "budgets", "jump_host", "ansible_vars"})
        for key, value in theirs.items():
            if key in ("budgets", "budget_profiles", "jump_host"):  # hil merges or parses them
                continue
            if isinstance(value, dict):  # power: the keys Ansible saw; hil adds the defaults
                assert {sub: ours[key][sub] for sub in value} == value, (name, key)
            elif key in ours:
                expected = Path(value).expanduser() if key.endswith(("_file", "known_hosts")) else value
                assert ours[key] == expected, (name, key)
            else:
                assert board.ansible_vars[key] == value, (name, key)
    assert inv.board("orin-01").workdir == "from-zz"
    assert inv.board("orin-02").command_timeout_s == 40
