"""SSH keys of the simulated rack: one client key for hil, one host key per board, and known_hosts lines."""

from __future__ import annotations

import subprocess
from pathlib import Path

from hil.errors import InfraError


def generate_key(path: Path, comment: str) -> None:
    """An ed25519 key pair at `path` / `path.pub`, unless it already exists (keys survive sim restarts)."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise InfraError(
            f"ssh-keygen failed for {path}: {proc.stderr.strip()}",
            hint="install openssh-client (apt-get install openssh-client)",
        )
    path.chmod(0o600)


def public_key(path: Path) -> str:
    """The 'type base64' part of a public key file."""
    fields = Path(str(path) + ".pub").read_text().split()
    return f"{fields[0]} {fields[1]}"


def known_hosts_name(host: str, port: int) -> str:
    """How OpenSSH and paramiko name a host in known_hosts: bare for port 22, else [host]:port."""
    return host if port == 22 else f"[{host}]:{port}"


def add_known_host(known_hosts: Path, host: str, port: int, key: str) -> None:
    """Record `key` for host:port, replacing any previous line for that name."""
    name = known_hosts_name(host, port)
    known_hosts.parent.mkdir(parents=True, exist_ok=True)
    lines = known_hosts.read_text().splitlines() if known_hosts.exists() else []
    kept = [line for line in lines if line.split(" ", 1)[0] != name]
    kept.append(f"{name} {key}")
    known_hosts.write_text("\n".join(kept) + "\n")
