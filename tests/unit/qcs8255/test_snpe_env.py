"""The QCS8255 session environment (SNPE_ENV) run by a real shell over an SDK tree laid out as Qualcomm ships
it: one aarch64 folder for the board's OS (never the Android build), and ADSP_LIBRARY_PATH for --use_dsp.
`uname` is the only stand-in: a script that answers aarch64, as the board would."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from hil.platforms.qcs8255 import SNPE_ENV

FOLDERS = ("aarch64-android", "aarch64-oe-linux-gcc11.2", "aarch64-ubuntu-gcc9.4", "x86_64-linux-clang")


def session(tmp_path: Path, os_id: str | None) -> dict[str, str]:
    sdk = tmp_path / "qairt"
    for folder in FOLDERS:
        (sdk / "bin" / folder).mkdir(parents=True)
        (sdk / "lib" / folder).mkdir(parents=True)
    (sdk / "lib" / "hexagon-v73" / "unsigned").mkdir(parents=True)
    (sdk / "lib" / "hexagon-v75" / "unsigned").mkdir(parents=True)
    board = tmp_path / "board"
    (board / "etc").mkdir(parents=True)
    if os_id is not None:
        (board / "etc" / "os-release").write_text(f"ID={os_id}\nNAME=x\n")
    stub = tmp_path / "stub"
    stub.mkdir()
    (stub / "uname").write_text("#!/bin/sh\necho aarch64\n")
    (stub / "uname").chmod(0o755)
    env = {"PATH": f"{stub}:/usr/bin:/bin", "SNPE_ROOT": str(sdk), "HIL_BOARD_ROOT": str(board)}
    script = f'{SNPE_ENV}; echo "PATH=$PATH"; echo "LD=$LD_LIBRARY_PATH"; echo "ADSP=$ADSP_LIBRARY_PATH"'
    out = subprocess.run(["sh", "-c", script], env=env, capture_output=True, text=True, check=True).stdout
    return dict(line.split("=", 1) for line in out.splitlines())


@pytest.mark.parametrize(
    ("os_id", "folder"), [(None, "aarch64-oe-linux-gcc11.2"), ("ubuntu", "aarch64-ubuntu-gcc9.4")]
)
def test_one_linux_folder_for_the_boards_os_and_never_android(
    tmp_path: Path, os_id: str | None, folder: str
) -> None:
    env = session(tmp_path, os_id)
    sdk = tmp_path / "qairt"
    added = [p for p in env["PATH"].split(":") if p.startswith(str(sdk))]
    assert added == [str(sdk / "bin" / folder)]
    assert env["LD"] == str(sdk / "lib" / folder)
    assert "android" not in env["PATH"] + env["LD"]


def test_adsp_library_path_names_the_v73_skels_first_separated_by_semicolons(tmp_path: Path) -> None:
    env = session(tmp_path, None)
    assert env["ADSP"].split(";") == [
        str(tmp_path / "qairt/lib/hexagon-v73/unsigned"),
        "/usr/lib/rfsa/adsp",
        "/dsp",
    ]
