"""The small files a vehicle gets beside an engine travel as one reproducible, content-addressed tar."""

from __future__ import annotations

import tarfile
from pathlib import Path

from hil.fleet.bundle import MTIME, delivery_bundle


def files(tmp: Path, clip: bytes) -> dict[str, Path]:
    (tmp / "m.json").write_text('{"engine_sha256":"ab"}')
    (tmp / "clip.mp4").write_bytes(clip)
    (tmp / "h.py").write_text("print(1)\n")
    return {
        "engines/ab/manifest.json": tmp / "m.json",
        "selftest/clip.mp4": tmp / "clip.mp4",
        "harness/0123/hil/measure/decoders.py": tmp / "h.py",
    }


def test_same_content_same_bytes_other_content_other_name(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = delivery_bundle(tmp_path / "out1", files(tmp_path / "a", b"clip"))
    second = delivery_bundle(tmp_path / "out2", files(tmp_path / "b", b"clip"))
    assert first.name == second.name and first.read_bytes() == second.read_bytes()
    other = delivery_bundle(tmp_path / "out1", files(tmp_path / "a", b"another clip"))
    assert other.name != first.name and first.exists()


def test_members_land_at_their_paths_with_folders_first(tmp_path: Path) -> None:
    path = delivery_bundle(tmp_path / "out", files(tmp_path, b"clip"))
    with tarfile.open(path) as tar:
        members = tar.getmembers()
        names = [m.name for m in members]
        assert {m.mtime for m in members} == {MTIME}
        for folder in ("engines", "engines/ab", "harness/0123/hil/measure", "selftest"):
            assert names.index(folder) < names.index(next(n for n in names if n.startswith(folder + "/")))
        tar.extractall(tmp_path / "x", filter="data")
    assert (tmp_path / "x" / "selftest" / "clip.mp4").read_bytes() == b"clip"
    assert (tmp_path / "x" / "harness/0123/hil/measure/decoders.py").read_text() == "print(1)\n"
