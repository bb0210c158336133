"""Simulated Jetson Orin: the release files its facts commands read."""

from __future__ import annotations

from pathlib import Path

# JetPack 6.1 = L4T R36.4.0, the release the emulated trtexec (TensorRT 10.3) belongs to.
ORIN_RELEASE = (
    "# R36 (release), REVISION: 4.0, GCID: 37537400, BOARD: generic, EABI: aarch64, DATE: simulated\n"
)
FILES = {"etc/nv_tegra_release": ORIN_RELEASE, "etc/nvpmodel.mode": "2\n"}


def populate(root: Path) -> None:
    for rel, text in FILES.items():
        path = root / rel
        if not path.exists():
            path.write_text(text)
