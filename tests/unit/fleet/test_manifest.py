"""Signed manifests: what the controller signs, the vehicle's openssl verifies; tampering is caught."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from hil.errors import ArtifactError
from hil.fleet.artifacts import ArtifactStore, Manifest, Reference, sha256_bytes
from hil.fleet.keys import init_key, load_key


def manifest(engine: bytes) -> Manifest:
    return Manifest(
        engine_sha256=sha256_bytes(engine),
        engine_file="engine.engine",
        engine_bytes=len(engine),
        model="m",
        model_sha256="0" * 64,
        precision="fp16",
        platform="orin",
        toolchain={"l4t": "36.4.0", "tensorrt": "10.3.0"},
        reference=Reference(
            clip="c.mp4",
            clip_sha256="1" * 64,
            frames=1,
            outputs=[[0.5]],
            predicted=[0],
            latency_p99_ms=1.0,
            board="b",
        ),
        created_at="2026-01-01T00:00:00+00:00",
    )


def test_init_key_keeps_an_existing_key(tmp_path: Path) -> None:
    first, made = init_key(tmp_path)
    again, made_again = init_key(tmp_path)
    assert made and not made_again
    assert first.private.read_bytes() == again.private.read_bytes()
    assert first.private.stat().st_mode & 0o077 == 0


def test_missing_key_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="no manifest signing key") as info:
        load_key(tmp_path)
    assert "hil keys init" in str(getattr(info.value, "hint", ""))


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")
def test_openssl_verifies_the_signature_and_refuses_a_changed_manifest(tmp_path: Path) -> None:
    key, _ = init_key(tmp_path)
    engine = b"HILSIM-TRT-ENGINE\n{}\nbytes"
    art = ArtifactStore(tmp_path).add(engine, manifest(engine), key)
    ArtifactStore(tmp_path).check(art, key.public_pem())
    argv = ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", str(key.public), "-rawin"]
    argv += ["-in", str(art.manifest_path), "-sigfile", str(art.signature_path)]
    assert subprocess.run(argv, capture_output=True).returncode == 0
    art.manifest_path.write_bytes(art.manifest_path.read_bytes().replace(b'"fp16"', b'"int8"'))
    assert subprocess.run(argv, capture_output=True).returncode != 0
    with pytest.raises(ArtifactError, match="signature"):
        ArtifactStore(tmp_path).check(art, key.public_pem())


def test_a_damaged_engine_file_is_refused(tmp_path: Path) -> None:
    key, _ = init_key(tmp_path)
    engine = b"engine bytes"
    art = ArtifactStore(tmp_path).add(engine, manifest(engine), key)
    art.engine.write_bytes(b"engine bytez")
    with pytest.raises(ArtifactError, match="damaged"):
        ArtifactStore(tmp_path).check(art, key.public_pem())


def test_find_matches_platform_and_toolchain_exactly(tmp_path: Path) -> None:
    key, _ = init_key(tmp_path)
    engine = b"e"
    ArtifactStore(tmp_path).add(engine, manifest(engine), key)
    store = ArtifactStore(tmp_path)
    assert store.find("0" * 64, "fp16", "orin", {"l4t": "36.4.0", "tensorrt": "10.3.0"}) is not None
    assert store.find("0" * 64, "fp16", "orin", {"l4t": "36.3.0", "tensorrt": "8.6.2"}) is None
