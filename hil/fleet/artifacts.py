"""The controller's content-addressed engine store, each engine with a signed manifest.

Layout under `$HIL_HOME/artifacts/engines/<sha256 of the engine>/`:
    engine<suffix>   the engine exactly as the HIL rig's converter built it (.engine, .gpu.dlc, ...)
    manifest.json    provenance (canonical JSON: sorted keys, no spaces), see `Manifest`
    manifest.sig     ed25519 signature of manifest.json's bytes (raw 64 bytes), checked on the vehicle
A vehicle receives the same three files under `engines/<sha256>/` in its fleet folder, plus the public key.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from hil.errors import ArtifactError
from hil.fleet.keys import SigningKey, verify


class Reference(BaseModel):
    """The engine's outputs on a short reference clip, recorded on the HIL rig board that built it."""

    model_config = ConfigDict(extra="forbid")

    clip: str
    clip_sha256: str
    frames: int
    outputs: list[list[float]]  # per frame, the first raw output values the harness kept
    predicted: list[int | None]
    latency_p99_ms: float
    board: str


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    engine_sha256: str
    engine_file: str  # the file name inside engines/<sha>/
    engine_bytes: int
    model: str
    model_sha256: str
    calibration_sha256: str | None = None
    precision: str
    platform: str
    toolchain: dict[str, str]
    evidence: list[dict[str, Any]] = Field(default_factory=list)  # the passing HIL results
    reference: Reference
    created_at: str

    def canonical(self) -> bytes:
        return json.dumps(self.model_dump(), sort_keys=True, separators=(",", ":")).encode()


@dataclass(frozen=True)
class EngineArtifact:
    folder: Path
    manifest: Manifest

    @property
    def sha256(self) -> str:
        return self.manifest.engine_sha256

    @property
    def engine(self) -> Path:
        return self.folder / self.manifest.engine_file

    @property
    def manifest_path(self) -> Path:
        return self.folder / "manifest.json"

    @property
    def signature_path(self) -> Path:
        return self.folder / "manifest.sig"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ArtifactStore:
    def __init__(self, home: Path) -> None:
        self.root = home / "artifacts" / "engines"

    def add(self, engine: bytes, manifest: Manifest, key: SigningKey) -> EngineArtifact:
        """Store the engine and its signed manifest (atomically, by rename); an existing sha is re-signed."""
        sha = sha256_bytes(engine)
        if sha != manifest.engine_sha256:
            raise ArtifactError(
                f"manifest names engine {manifest.engine_sha256[:12]}, the bytes are {sha[:12]}"
            )
        folder = self.root / sha
        folder.mkdir(parents=True, exist_ok=True)
        body = manifest.canonical()
        for name, data in (
            (manifest.engine_file, engine),
            ("manifest.json", body),
            ("manifest.sig", key.sign(body)),
        ):
            tmp = folder / f".{name}.part"
            tmp.write_bytes(data)
            os.replace(tmp, folder / name)
        return EngineArtifact(folder, manifest)

    def all(self) -> list[EngineArtifact]:
        found: list[EngineArtifact] = []
        if not self.root.is_dir():
            return found
        for folder in sorted(self.root.iterdir()):
            path = folder / "manifest.json"
            if path.is_file():
                found.append(EngineArtifact(folder, Manifest.model_validate_json(path.read_bytes())))
        return found

    def find(
        self, model_sha256: str, precision: str, platform: str, toolchain: dict[str, str]
    ) -> EngineArtifact | None:
        for art in self.all():
            m = art.manifest
            if (m.model_sha256, m.precision, m.platform, m.toolchain) == (
                model_sha256,
                precision,
                platform,
                toolchain,
            ):
                return art
        return None

    def check(self, art: EngineArtifact, public_pem: bytes) -> None:
        """The engine hashes to its folder name and the manifest's signature holds; else ArtifactError."""
        body = art.manifest_path.read_bytes()
        if not verify(public_pem, body, art.signature_path.read_bytes()):
            raise ArtifactError(
                f"engine {art.sha256[:12]}: manifest signature does not verify",
                hint="the manifest was changed or signed by another key; rebuild it (hil deploy --build)",
            )
        actual = sha256_bytes(art.engine.read_bytes())
        if actual != art.sha256 or art.folder.name != art.sha256:
            raise ArtifactError(f"engine {art.sha256[:12]}: its file hashes to {actual[:12]} (damaged)")
