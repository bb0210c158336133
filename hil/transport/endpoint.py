"""Where and how to reach a board over SSH, independent of the inventory's YAML shape."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from pathlib import Path

from hil.errors import ConfigError


@dataclass(frozen=True)
class Endpoint:
    name: str  # the board's inventory name, used in every message
    host: str
    port: int = 22
    user: str = ""
    key_file: Path | None = None
    known_hosts: Path | None = None  # hil's own file; ~/.ssh/known_hosts is read too
    jump: Endpoint | None = None
    connect_timeout_s: float = 10.0
    use_ssh_config: bool = True  # real boards honour ~/.ssh/config; the simulated rack does not

    @property
    def login(self) -> str:
        return self.user or getpass.getuser()


def parse_jump(spec: str, known_hosts: Path | None, key_file: Path | None) -> Endpoint:
    """`[user@]host[:port]` of a jump host (the rack controller)."""
    user, _, hostport = spec.rpartition("@")
    host, _, port = hostport.partition(":")
    if not host:
        raise ConfigError(f"jump host {spec!r}: expected [user@]host[:port]")
    try:
        port_no = int(port) if port else 22
    except ValueError as exc:
        raise ConfigError(f"jump host {spec!r}: port {port!r} is not a number") from exc
    return Endpoint(
        name=f"jump {host}",
        host=host,
        port=port_no,
        user=user,
        key_file=key_file,
        known_hosts=known_hosts,
    )
