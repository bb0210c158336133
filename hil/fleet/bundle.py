"""The small files a vehicle needs beside an engine, as one tar: the signed manifest, its signature, the
public key, the gate and its measure bundle, the reference clip and the harness (what `hil run` pushes to a
rig). One copy instead of a dozen: each file Ansible copies costs a stat, a transfer and a module run on
the vehicle. Content-addressed and byte-for-byte reproducible (fixed times, owners and modes), so an
unchanged bundle has an unchanged name and checksum and Ansible's copy leaves a vehicle's copy alone.
The deploy playbook unpacks it into the vehicle's fleet folder and then checks the signature (task
"Verify"): nothing in it is trusted before that check.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path

MTIME = 1577836800  # 2020-01-01: every member's time, so the same content gives the same bytes


def delivery_bundle(folder: Path, files: dict[str, Path]) -> Path:
    """A tar in `folder` of `files` (path inside the vehicle's fleet folder -> local file), named by its
    content; written once."""
    items = sorted((rel, path.read_bytes()) for rel, path in files.items())
    digest = hashlib.sha256()
    for rel, data in items:
        digest.update(rel.encode() + b"\0" + hashlib.sha256(data).digest())
    path = folder / f"bundle-{digest.hexdigest()[:20]}.tar"
    if path.exists():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        dirs = sorted({str(parent) for rel, _ in items for parent in Path(rel).parents if str(parent) != "."})
        for name in dirs:
            info = tarfile.TarInfo(name)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, MTIME
            tar.addfile(info)
        for rel, data in items:
            info = tarfile.TarInfo(rel)
            info.size, info.mode, info.mtime = len(data), 0o644, MTIME
            tar.addfile(info, io.BytesIO(data))
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(buf.getvalue())
    tmp.replace(path)
    return path
