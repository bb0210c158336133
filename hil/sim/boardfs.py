"""The files a simulated board shows under $HIL_BOARD_ROOT, where a real board has them under /.

Facts commands read `${HIL_BOARD_ROOT:-}/etc/...`, so the same command line works on a real board (variable
unset) and a simulated one. These files are the emulated board's identity (its software release), not
measurements: no number that a real board would measure is written here.
"""

from __future__ import annotations

from pathlib import Path

# JetPack 6.1 = L4T R36.4.0, the release the emulated trtexec (TensorRT 10.3) belongs to.
ORIN_RELEASE = (
    "# R36 (release), REVISION: 4.0, GCID: 37537400, BOARD: generic, EABI: aarch64, DATE: simulated\n"
)


def populate(root: Path, platform: str) -> None:
    """Create the board's root folders and the platform's release files (kept if they exist)."""
    for sub in ("etc", "run", "home", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    files: dict[str, str] = {}
    if platform == "orin":
        files = {"etc/nv_tegra_release": ORIN_RELEASE, "etc/nvpmodel.mode": "2\n"}
    for rel, text in files.items():
        path = root / rel
        if not path.exists():
            path.write_text(text)
