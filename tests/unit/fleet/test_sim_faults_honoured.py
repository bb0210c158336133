"""`hil sim fault` accepts only faults some simulated tool acts out, and its help lists every mode."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hil.sim.faults import FAULT_MODES, HONOURED, FaultFileError, read_faults, set_fault

REPO = Path(__file__).resolve().parents[3]


def test_every_honoured_tool_reads_its_fault_and_every_mode_is_honoured_somewhere() -> None:
    files = [*REPO.glob("hil/sim/**/*.py"), *REPO.glob("hil/harness/*.py")]
    source = "\n".join(p.read_text() for p in files)
    named = set(re.findall(r'fault_for\(\s*"([^"]+)"', source))
    named |= set(re.findall(r'sim_fault\("([^"]+)"', source))
    commands = set(re.findall(r'^COMMAND = "([^"]+)"', source, flags=re.M))
    read = named | commands  # tools that call fault_for(COMMAND)
    assert set(HONOURED) <= read, set(HONOURED) - read
    assert {m for modes in HONOURED.values() for m in modes} == set(FAULT_MODES)


REFUSED = [("runtime", "corrupt"), ("nvpmodel", "disk_full"), ("gpu", "hang")]


@pytest.mark.parametrize(("tool", "mode"), REFUSED)
def test_a_fault_no_tool_acts_out_is_refused(tmp_path: Path, tool: str, mode: str) -> None:
    with pytest.raises(FaultFileError, match="acts out"):
        set_fault(tmp_path, tool, mode)
    assert read_faults(tmp_path) == {}  # nothing written


def test_help_lists_all_nine_modes() -> None:
    env = {**os.environ, "COLUMNS": "100"}
    res = subprocess.run(
        [sys.executable, "-m", "hil.cli.main", "sim", "fault", "--help"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert res.returncode == 0, res.stderr
    for mode in FAULT_MODES:
        assert mode in res.stdout, mode
