"""A board whose python3 is a bare Python 3.8 (JetPack 5 before any pip install: no numpy) fails pre-flight
with the exact line to install, exit 3, and nothing is pushed to it. The simulated board runs a real 3.8
interpreter of this machine (hil.sim.pythons), skipped where the machine has none."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from hil.sim.pythons import find_python
from tests.conftest import Hil, needs_sshd, write_sim_inventory

PY38 = find_python("3.8")
BARE = (
    PY38 is not None
    and subprocess.run([PY38, "-c", "import numpy"], capture_output=True, check=False).returncode != 0
)
pytestmark = [
    needs_sshd,
    pytest.mark.skipif(not BARE, reason="needs a Python 3.8 without numpy on this machine (pyenv, apt)"),
]


def test_python38_without_numpy_fails_preflight_with_the_install_line(
    hil: Hil, tmp_path: Path, material: tuple[Path, Path]
) -> None:
    model, clip = material
    rack = write_sim_inventory(
        tmp_path / "rack.yaml", {"orin-jp5": "orin"}, extra='sim_toolchain: {python: "3.8"}'
    )
    proc = hil("run", "-i", str(rack.inventory), "--model", str(model), "--clip", str(clip), "-p", "fp32",
               "--max-frames", "6", "--warmup", "2", "--json", timeout=300)  # fmt: skip
    assert proc.returncode == 3, proc.stderr
    [result] = json.loads(proc.stdout)["results"]
    assert result["status"] == "infra_error" and result["stage"] == "preflight", result
    assert "numpy is missing" in result["error"]
    assert "install: python3 -m pip install 'numpy>=1.17'" in result["error"]
    assert "OpenCV (cv2) is missing" in result["error"]
    assert "Traceback" not in proc.stdout + proc.stderr
    print(result["error"])
    # Nothing pushed: no harness, model or clip on the board.
    root = tmp_path / ".hil" / "sim" / "boards" / "orin-jp5" / "root"
    pushed = [p for p in root.rglob("*") if p.suffix in {".onnx", ".mp4", ".py", ".engine"}]
    assert pushed == []
