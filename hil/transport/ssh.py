"""One SSH connection per board (fabric over paramiko), with strict host keys and command time limits.

Every remote command is given as an argument list and quoted with shlex; names from the inventory never
reach a shell unquoted. Commands also run under the board's own `timeout`, so a hung tool is killed on the
board even if the connection drops.
"""

from __future__ import annotations

import re
import shlex
import socket
import time
from dataclasses import dataclass
from pathlib import Path

import paramiko
from fabric import Config, Connection
from invoke.exceptions import CommandTimedOut

from hil.errors import BoardTimeoutError, HostKeyError, InfraError
from hil.transport.endpoint import Endpoint

# Extra seconds the client waits beyond the board-side limit before it gives up on the channel.
CLIENT_GRACE_S = 15.0
# SSH-level keepalive: a board that vanished without a FIN is noticed instead of waited on forever.
KEEPALIVE_S = 15
# Where a tagged connection records the process group of its running command (on the board).
PROC_DIR = "$HOME/.hil-procs"


@dataclass(frozen=True)
class CommandResult:
    command: str
    exit_code: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


def trust_hint(endpoint: Endpoint) -> str:
    return f"if the board was re-imaged on purpose, record its new key with: hil boards trust {endpoint.name}"


def _connection(endpoint: Endpoint) -> Connection:
    config = Config(overrides={"load_ssh_configs": endpoint.use_ssh_config})
    connect_kwargs: dict[str, object] = {
        "allow_agent": False,
        "look_for_keys": False,
        # A port that accepts but never speaks SSH fails as fast as one that refuses.
        "banner_timeout": endpoint.connect_timeout_s,
        "auth_timeout": endpoint.connect_timeout_s + 5,
    }
    if endpoint.key_file is not None:
        connect_kwargs["key_filename"] = [str(endpoint.key_file.expanduser())]
    else:
        connect_kwargs.update(allow_agent=True, look_for_keys=True)
    gateway = _connection(endpoint.jump) if endpoint.jump is not None else None
    conn = Connection(
        endpoint.host,
        user=endpoint.login,
        port=endpoint.port,
        config=config,
        connect_timeout=int(endpoint.connect_timeout_s),
        connect_kwargs=connect_kwargs,
        gateway=gateway,
    )
    # fabric auto-adds unknown keys by default; hil never does (`hil boards trust` records a key on purpose).
    conn.client.set_missing_host_key_policy(paramiko.RejectPolicy())
    if endpoint.use_ssh_config:
        # A real board the user already trusts with plain ssh is trusted by hil too.
        system = Path("~/.ssh/known_hosts").expanduser()
        if system.exists():
            conn.client.load_system_host_keys(str(system))
    if endpoint.known_hosts is not None and endpoint.known_hosts.exists():
        conn.client.load_host_keys(str(endpoint.known_hosts))
    return conn


class BoardConnection:
    """A reused connection to one board. Use as a context manager."""

    def __init__(self, endpoint: Endpoint, tag: str | None = None) -> None:
        """`tag` names this connection's commands on the board, so `kill_tagged` can stop them from
        another connection (an interrupted run, a job past its deadline)."""
        self.endpoint = endpoint
        self.tag = tag
        self._conn: Connection | None = None

    def __enter__(self) -> BoardConnection:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open(self) -> None:
        if self._conn is not None:
            return
        conn = _connection(self.endpoint)
        name, where = self.endpoint.name, f"{self.endpoint.host}:{self.endpoint.port}"
        try:
            conn.open()
        except paramiko.BadHostKeyException as exc:
            raise HostKeyError(
                f"{name}: the host key of {where} has CHANGED (got {exc.key.get_name()} "
                f"{exc.key.fingerprint}); refusing to connect",
                hint=trust_hint(self.endpoint),
            ) from exc
        except paramiko.SSHException as exc:
            if "not found in known_hosts" in str(exc):
                raise HostKeyError(
                    f"{name}: {where} is not in known_hosts; refusing to connect to an unknown host",
                    hint=f"check the board, then record its key with: hil boards trust {name}",
                ) from exc
            raise InfraError(f"{name}: SSH to {where} failed: {exc}") from exc
        except EOFError as exc:  # the server went away mid-handshake (a board powering off, an sshd stopping)
            raise InfraError(f"{name}: {where} closed the connection during the SSH handshake") from exc
        except TimeoutError as exc:
            raise InfraError(
                f"{name}: no answer from {where} within {self.endpoint.connect_timeout_s:.0f} s",
                hint="is the board powered and on the network?",
            ) from exc
        except OSError as exc:
            raise InfraError(f"{name}: cannot reach {where}: {exc.strerror or exc}") from exc
        tune_socket(conn)
        self._conn = conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @property
    def conn(self) -> Connection:
        if self._conn is None:
            self.open()
        assert self._conn is not None
        return self._conn

    def run(self, argv: list[str], timeout_s: float, env: dict[str, str] | None = None) -> CommandResult:
        """Run argv on the board; never raises for a non-zero exit, raises for timeouts and lost links."""
        return self.run_script(shlex.join(argv), timeout_s, env)

    def run_script(self, script: str, timeout_s: float, env: dict[str, str] | None = None) -> CommandResult:
        """Run a shell line the caller built from quoted parts (pipes, redirections, `&&`)."""
        prefix = " ".join(f"{k}={shlex.quote(v)}" for k, v in (env or {}).items())
        limit = max(1, int(timeout_s))
        wrapped = f"timeout -k 5 {limit} sh -c {shlex.quote(script)}"
        if prefix:
            wrapped = f"env {prefix} {wrapped}"
        if self.tag is not None:
            # `timeout` leads a process group of its own: its pid, recorded here, names the whole tree.
            where = f'"{PROC_DIR}/{self.tag}"'
            wrapped = f'mkdir -p "{PROC_DIR}" && echo $$ > {where} && exec {wrapped}'
        start = time.monotonic()
        try:
            res = self.conn.run(
                wrapped, hide=True, warn=True, timeout=limit + CLIENT_GRACE_S, in_stream=False
            )
        except CommandTimedOut as exc:
            raise BoardTimeoutError(
                f"{self.endpoint.name}: command ran past {limit} s and was stopped: {script[:200]}"
            ) from exc
        except (paramiko.SSHException, OSError, EOFError) as exc:
            self.close()
            raise InfraError(f"{self.endpoint.name}: connection lost while running a command: {exc}") from exc
        seconds = time.monotonic() - start
        if res.exited == 124:
            raise BoardTimeoutError(
                f"{self.endpoint.name}: command ran past {limit} s and was stopped on the board: "
                f"{script[:200]}"
            )
        return CommandResult(script, res.exited, res.stdout, res.stderr, seconds)

    def put(self, local: Path, remote: str) -> None:
        try:
            self.conn.put(str(local), remote)
        except (paramiko.SSHException, OSError, EOFError) as exc:
            raise InfraError(f"{self.endpoint.name}: copying {local.name} to {remote} failed: {exc}") from exc

    def read(self, remote: str) -> bytes:
        try:
            with self.conn.sftp().open(remote, "rb") as fh:
                return bytes(fh.read())
        except FileNotFoundError as exc:
            raise InfraError(f"{self.endpoint.name}: {remote} does not exist on the board") from exc
        except (paramiko.SSHException, OSError, EOFError) as exc:
            raise InfraError(f"{self.endpoint.name}: reading {remote} failed: {exc}") from exc


def tune_socket(conn: Connection) -> None:
    """TCP_NODELAY (no Nagle delay meeting delayed ACKs: ~44 ms per command on loopback) and keepalives."""
    transport = conn.client.get_transport()
    if transport is None:
        return
    transport.set_keepalive(KEEPALIVE_S)
    sock = transport.sock
    if isinstance(sock, socket.socket):  # a jump host's channel is no socket; its own link is tuned
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)


def kill_tagged(endpoint: Endpoint, tag: str, timeout_s: float = 15.0) -> bool:
    """Stop the command a connection tagged `tag` runs on the board (TERM, then KILL to its process
    group), over a connection of its own. True when something was signalled."""
    if not TAG_RE.fullmatch(tag):
        raise ValueError(f"bad connection tag {tag!r}")
    script = (
        f'f="{PROC_DIR}/{tag}"; p=$(cat "$f" 2>/dev/null) || exit 0; rm -f "$f"; '
        # No `--`: dash's kill builtin (a board's /bin/sh) rejects it; "-PID" after the signal is the group.
        'kill -TERM "-$p" 2>/dev/null && echo KILLED; sleep 1; kill -KILL "-$p" 2>/dev/null; true'
    )
    with BoardConnection(endpoint) as conn:
        return "KILLED" in conn.run_script(script, timeout_s).stdout


TAG_RE = re.compile(r"[A-Za-z0-9_.-]{1,100}")


def fetch_host_key(endpoint: Endpoint) -> paramiko.PKey:
    """The key a board presents now, for `hil boards trust` (no authentication happens)."""
    try:
        sock = socket.create_connection((endpoint.host, endpoint.port), timeout=endpoint.connect_timeout_s)
    except OSError as exc:
        raise InfraError(f"{endpoint.name}: cannot reach {endpoint.host}:{endpoint.port}: {exc}") from exc
    transport = paramiko.Transport(sock)
    try:
        transport.start_client(timeout=endpoint.connect_timeout_s)
        return transport.get_remote_server_key()
    except paramiko.SSHException as exc:
        raise InfraError(f"{endpoint.name}: SSH handshake failed: {exc}") from exc
    finally:
        transport.close()
