"""Content-addressed push: copy only what the board lacks, under a temp name, verified, renamed atomically.

The caller names each destination by content (e.g. `<workdir>/blobs/<sha256>/<name>`), so a destination
whose sha256 on the board matches is already there and is skipped. One round trip checks every file.
"""

from __future__ import annotations

import hashlib
import posixpath
import shlex
import uuid
from dataclasses import dataclass
from pathlib import Path

from hil.errors import InfraError
from hil.transport.ssh import BoardConnection

CHECK_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class PushItem:
    local: Path
    remote: str
    sha256: str


@dataclass(frozen=True)
class PushResult:
    bytes_pushed: int
    pushed: list[str]
    skipped: list[str]


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def item(local: Path, remote_dir: str) -> PushItem:
    """A push of `local` to `<remote_dir>/<sha256>/<file name>`."""
    sha = sha256_file(local)
    return PushItem(local, posixpath.join(remote_dir, sha, local.name), sha)


def present(conn: BoardConnection, items: list[PushItem]) -> set[str]:
    """The destinations that exist on the board with the right content."""
    if not items:
        return set()
    paths = " ".join(shlex.quote(i.remote) for i in items)
    res = conn.run_script(f"sha256sum -- {paths} 2>/dev/null; true", CHECK_TIMEOUT_S)
    have: dict[str, str] = {}
    for line in res.stdout.splitlines():
        digest, _, name = line.partition("  ")
        have[name] = digest
    return {i.remote for i in items if have.get(i.remote) == i.sha256}


def push(conn: BoardConnection, items: list[PushItem]) -> PushResult:
    already = present(conn, items)
    missing = [i for i in items if i.remote not in already]
    if missing:
        dirs = sorted({posixpath.dirname(i.remote) for i in missing})
        conn.run(["mkdir", "-p", *dirs], CHECK_TIMEOUT_S)
    staged: list[tuple[PushItem, str]] = []
    for i in missing:
        tmp = f"{i.remote}.part-{uuid.uuid4().hex[:8]}"
        conn.put(i.local, tmp)
        staged.append((i, tmp))
    if staged:
        _verify_and_rename(conn, staged)
    return PushResult(
        bytes_pushed=sum(i.local.stat().st_size for i in missing),
        pushed=[i.remote for i in missing],
        skipped=[i.remote for i in items if i.remote in already],
    )


def _verify_and_rename(conn: BoardConnection, staged: list[tuple[PushItem, str]]) -> None:
    # A file is renamed into place only after its hash checks out on the board.
    steps = []
    for i, tmp in staged:
        check = f"echo {shlex.quote(f'{i.sha256}  {tmp}')} | sha256sum -c --status"
        steps.append(
            f"if {check}; then mv -f {shlex.quote(tmp)} {shlex.quote(i.remote)}; "
            f"else rm -f {shlex.quote(tmp)}; echo BAD {shlex.quote(i.remote)}; fi"
        )
    res = conn.run_script("; ".join(steps), CHECK_TIMEOUT_S)
    bad = [line[4:] for line in res.stdout.splitlines() if line.startswith("BAD ")]
    if bad:
        raise InfraError(
            f"{conn.endpoint.name}: copies arrived corrupted (sha256 mismatch): {', '.join(bad)}",
            hint="check the board's disk and the link; the corrupted copies were removed",
        )
