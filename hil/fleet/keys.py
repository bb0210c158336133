"""The ed25519 key that signs engine manifests (`hil keys init`), and the signatures themselves.

The private key stays on the controller (`$HIL_HOME/keys/manifest_ed25519.pem`, mode 600); vehicles get the
public key as PEM and check a manifest with the tool a vehicle has:
    openssl pkeyutl -verify -pubin -inkey PUB.pem -rawin -in manifest.json -sigfile manifest.sig
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hil.errors import ConfigError

PRIVATE_NAME = "manifest_ed25519.pem"
PUBLIC_NAME = "manifest_ed25519.pub.pem"


@dataclass(frozen=True)
class SigningKey:
    private: Path
    public: Path

    def sign(self, data: bytes) -> bytes:
        key = serialization.load_pem_private_key(self.private.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ConfigError(f"{self.private} is not an ed25519 key", hint="make one: hil keys init --force")
        return key.sign(data)

    def public_pem(self) -> bytes:
        return self.public.read_bytes()


def key_paths(home: Path) -> SigningKey:
    folder = home / "keys"
    return SigningKey(folder / PRIVATE_NAME, folder / PUBLIC_NAME)


def init_key(home: Path, force: bool = False) -> tuple[SigningKey, bool]:
    """Create the signing key unless it exists (or `force`). Returns the key and whether it was made now."""
    paths = key_paths(home)
    if paths.private.exists() and not force:
        return paths, False
    paths.private.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    tmp = paths.private.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    os.replace(tmp, paths.private)
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    paths.public.write_bytes(public)
    return paths, True


def load_key(home: Path) -> SigningKey:
    paths = key_paths(home)
    if not paths.private.exists() or not paths.public.exists():
        raise ConfigError(
            f"no manifest signing key in {paths.private.parent}",
            hint="create one with: hil keys init (vehicles check every manifest against its public key)",
        )
    return paths


def verify(public_pem: bytes, data: bytes, signature: bytes) -> bool:
    key = serialization.load_pem_public_key(public_pem)
    if not isinstance(key, Ed25519PublicKey):
        return False
    try:
        key.verify(signature, data)
    except InvalidSignature:
        return False
    return True
