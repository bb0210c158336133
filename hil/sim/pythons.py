"""The interpreter a simulated board runs as its `python3`.

By default hil's own (numpy, OpenCV and ONNX Runtime installed). A board whose inventory says
`sim_toolchain: {python: "3.8"}` gets a real Python 3.8 interpreter of this machine instead, as it is (a
bare one has no numpy: what a fresh JetPack 5 image without pip packages looks like), so the harness and
hil's pre-flight meet the board's real Python rules rather than an imitation of them. Found as
$HIL_PYTHON<major><minor> (e.g. HIL_PYTHON38), `python3.8` on PATH, or pyenv's; none: a clear error.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys

from hil.errors import ConfigError, InventoryError


def find_python(version: str) -> str | None:
    """An interpreter of this machine whose version is `version` (major.minor), or None."""
    parts = version.split(".")
    if len(parts) < 2 or not all(p.isdigit() for p in parts[:2]):
        raise InventoryError(
            f"sim_toolchain python {version!r} is not a version", hint="write major.minor, e.g. python: '3.8'"
        )
    major, minor = parts[0], parts[1]
    if (int(major), int(minor)) == sys.version_info[:2]:
        return sys.executable
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    candidates = [
        os.environ.get(f"HIL_PYTHON{major}{minor}", ""),
        shutil.which(f"python{major}.{minor}") or "",
        *sorted(glob.glob(f"{root}/versions/{major}.{minor}.*/bin/python{major}.{minor}")),
        f"/usr/bin/python{major}.{minor}",
    ]
    probe = "import sys; print('%d.%d' % sys.version_info[:2])"
    for exe in candidates:
        if not exe or not os.access(exe, os.X_OK):
            continue
        res = subprocess.run([exe, "-c", probe], capture_output=True, text=True, check=False)
        if res.returncode == 0 and res.stdout.strip() == f"{major}.{minor}":
            return os.path.abspath(exe)
    return None


def board_python(toolchain: dict[str, str]) -> str:
    """The interpreter for a simulated board's python3 (its `python` override, else hil's own)."""
    wanted = toolchain.get("python")
    if not wanted:
        return sys.executable
    exe = find_python(wanted)
    var = "HIL_PYTHON" + "".join(wanted.split(".")[:2])
    if exe is None:
        raise ConfigError(
            f"a simulated board asks for Python {wanted} (sim_toolchain) and this machine has none",
            hint=f"install python{wanted} (apt, pyenv or uv) or point {var} at one",
        )
    return exe
