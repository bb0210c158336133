"""Start, stop and inspect the simulated boards: one real OpenSSH sshd per board on a loopback address.

Layout under the rack folder (default .hil/sim):
    client_ed25519[.pub]        the key hil logs in with (written into every board's authorized_keys)
    boards/NAME/bin/            the platform's emulated tools and python3, first on the board's PATH
    boards/NAME/sshd_config     sshd's configuration; SetEnv names the board, its root and PATH
    boards/NAME/host_ed25519    the board's host key (recorded in known_hosts when first generated)
    boards/NAME/root/           plays the board's file system ($HIL_BOARD_ROOT); root/run/sshd.pid
    boards/NAME/sshd.log        sshd's own log, quoted in errors
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from hil.errors import InfraError
from hil.sim import boards, conformance, faults, keys, pythons
from hil.sim.tools import tools

START_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class SimBoard:
    """What the rack needs to know of a simulated board."""

    name: str
    platform: str
    host: str
    port: int
    toolchain: dict[str, str] = field(default_factory=dict, compare=False)  # per-board version overrides
    # "board": the target, without the tools its vendor ships for an x86_64 host only (hil.sim.conformance);
    # "host": a build host (or a board with no build host of its own), with the SDK's host tools too.
    role: str = conformance.HOST


@dataclass(frozen=True)
class SimStatus:
    name: str
    platform: str
    host: str
    port: int
    running: bool
    pid: int | None


def find_sshd() -> str:
    """sshd must be called by absolute path; Debian keeps it in /usr/sbin, often not on a user's PATH."""
    for candidate in (shutil.which("sshd"), "/usr/sbin/sshd", "/usr/local/sbin/sshd"):
        if candidate and os.access(candidate, os.X_OK):
            return os.path.abspath(candidate)
    raise InfraError(
        "no OpenSSH server (sshd) found: the simulated rack runs one per board",
        hint="install it: sudo apt-get install openssh-server (make run / make test do this as root)",
    )


class SimRack:
    def __init__(self, home: Path, known_hosts: Path) -> None:
        self.home = home.absolute()
        self.known_hosts = known_hosts.absolute()

    @property
    def client_key(self) -> Path:
        return self.home / "client_ed25519"

    def bin_dir(self, name: str) -> Path:
        return self.board_dir(name) / "bin"

    def board_dir(self, name: str) -> Path:
        return self.home / "boards" / name

    def board_root(self, name: str) -> Path:
        return self.board_dir(name) / "root"

    def _pid_file(self, name: str) -> Path:
        return self.board_root(name) / "run" / "sshd.pid"

    # -- set-up -----------------------------------------------------------------------------------------

    def prepare(self, board: SimBoard) -> None:
        """Keys, wrappers, board file system and sshd_config; idempotent, keeps existing keys."""
        keys.generate_key(self.client_key, "hil-sim-client")
        self._write_wrappers(board)
        bdir = self.board_dir(board.name)
        host_key = bdir / "host_ed25519"
        fresh = not host_key.exists()
        keys.generate_key(host_key, f"hil-sim-{board.name}")
        if fresh:
            # Trust is recorded only when hil itself made the key; a key changed later is refused.
            keys.add_known_host(self.known_hosts, board.host, board.port, keys.public_key(host_key))
        root = self.board_root(board.name)
        boards.write_toolchain(root, board.toolchain)
        boards.populate(root, board.platform)
        home = root / "home" / getpass.getuser()
        home.mkdir(parents=True, exist_ok=True)
        (bdir / "authorized_keys").write_text(keys.public_key(self.client_key) + "\n")
        (bdir / "sshd_config").write_text(self._sshd_config(board, host_key, root, home))

    def _write_wrappers(self, board: SimBoard) -> None:
        """The board's PATH holds its platform's emulated tools only: an Orin has no snpe-net-run."""
        bin_dir = self.bin_dir(board.name)
        bin_dir.mkdir(parents=True, exist_ok=True)
        python = sys.executable
        absent = conformance.absent(board.platform, board.role)  # host-only tools are not on a board
        scripts = {
            name: f'exec "{python}" -m {module} "$@"'
            for name, module in tools(board.platform).items()
            if name not in absent
        }
        # The board's python3: hil's own interpreter (numpy, OpenCV, ONNX Runtime), or the real Python of
        # the version its inventory names (hil.sim.pythons), with whatever that one has installed.
        scripts["python3"] = f'exec "{pythons.board_python(board.toolchain)}" "$@"'
        for stale in bin_dir.iterdir():  # a tool of an earlier start in another role
            if stale.name not in scripts:
                stale.unlink()
        for name, body in scripts.items():
            path = bin_dir / name
            path.write_text(f"#!/bin/sh\n{body}\n")
            path.chmod(0o755)

    def _sshd_config(self, board: SimBoard, host_key: Path, root: Path, home: Path) -> str:
        env = {
            **boards.environment(board.platform, root),
            "HIL_SIM_BOARD": board.name,
            "HIL_SIM_ROLE": board.role,
            "HIL_BOARD_ROOT": str(root),
            "HOME": str(home),
            "PATH": f"{self.bin_dir(board.name)}:/usr/local/bin:/usr/bin:/bin",
        }
        setenv = " ".join(f'"{k}={v}"' for k, v in env.items())
        bdir = self.board_dir(board.name)
        return "\n".join(
            [
                f"Port {board.port}",
                f"ListenAddress {board.host}",
                f"HostKey {host_key}",
                f"PidFile {self._pid_file(board.name)}",
                f"AuthorizedKeysFile {bdir / 'authorized_keys'}",
                f"AllowUsers {getpass.getuser()}",
                "PubkeyAuthentication yes",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "PermitRootLogin prohibit-password",
                "UsePAM no",
                # Keys live in folders sshd would find too open (e.g. under /tmp in tests).
                "StrictModes no",
                "PrintMotd no",
                "PrintLastLog no",
                "UseDNS no",
                "MaxStartups 50:30:100",
                "MaxSessions 50",
                "Subsystem sftp internal-sftp",
                f"SetEnv {setenv}",
                "LogLevel ERROR",
                "",
            ]
        )

    # -- start / stop -----------------------------------------------------------------------------------

    def pid(self, name: str) -> int | None:
        """The pid of the board's sshd if it is running, else None."""
        try:
            pid = int(self._pid_file(name).read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return None
        return pid if str(self.board_dir(name) / "sshd_config").encode() in cmdline else None

    def start(self, board: SimBoard) -> bool:
        """Start the board's sshd unless it runs already. Returns True when this call started it."""
        if self.pid(board.name) is not None:
            return False
        self.prepare(board)
        if faults.fault_for("sshd", self.board_root(board.name)) == "down":
            raise InfraError(
                f"simulated board {board.name}: its sshd is down (fault injected in "
                f"{self.board_root(board.name) / faults.FAULTS_FILE})",
                hint="remove the file to bring the board back",
            )
        if os.geteuid() == 0:
            # sshd insists on its privilege-separation folder when run as root.
            Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
        bdir = self.board_dir(board.name)
        log = bdir / "sshd.log"
        with log.open("ab") as log_fh:
            proc = subprocess.Popen(
                [find_sshd(), "-D", "-e", "-f", str(bdir / "sshd_config")],
                stdin=subprocess.DEVNULL,
                stdout=log_fh,
                stderr=log_fh,
                start_new_session=True,  # outlives `hil sim up`; stopped by `hil sim down`
            )
        self._pid_file(board.name).write_text(f"{proc.pid}\n")
        self._wait_ready(board, proc, log)
        self._start_sidecars(board)
        return True

    def _start_sidecars(self, board: SimBoard) -> None:
        """Background processes a platform's emulation needs (e.g. keeping hwmon files current).

        They carry the board's root in their environment, so `stop` finds and ends them with the board.
        """
        root = self.board_root(board.name)
        env = {
            **os.environ,
            **boards.environment(board.platform, root),
            "HIL_SIM_BOARD": board.name,
            "HIL_BOARD_ROOT": str(root),
        }
        log = self.board_dir(board.name) / "sidecars.log"
        for module in boards.sidecars(board.platform):
            with log.open("ab") as log_fh:
                subprocess.Popen(
                    [sys.executable, "-m", module],
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=log_fh,
                    stderr=log_fh,
                    start_new_session=True,
                )

    def _wait_ready(self, board: SimBoard, proc: subprocess.Popen[bytes], log: Path) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                tail = log.read_text(errors="replace").strip().splitlines()[-5:]
                raise InfraError(
                    f"simulated board {board.name}: sshd exited at start ({board.host}:{board.port})",
                    hint="sshd said: " + (" | ".join(tail) or "nothing") + " (is the port in use?)",
                )
            try:
                with socket.create_connection((board.host, board.port), timeout=0.5) as sock:
                    if sock.recv(4).startswith(b"SSH-"):
                        return
            except OSError:
                time.sleep(0.05)
        proc.kill()
        raise InfraError(f"simulated board {board.name}: sshd did not answer within {START_TIMEOUT_S:.0f} s")

    def stop(self, name: str) -> bool:
        """Stop the board's sshd and the sessions it runs. Returns True when something was stopped."""
        pid = self.pid(name)
        if pid is None:
            return False
        # Sessions run in sessions of their own (and tegrastats --start detaches), so find every process
        # that carries this board's root in its environment, then the sshd itself.
        for orphan in _board_processes(self.board_root(name)):
            _kill(orphan, signal.SIGKILL)
        # Power loss ends every connection, not only the listener: the per-connection sshd processes (each
        # in a session of its own) are ended too, so a client's multiplexed master (Ansible's ControlPersist,
        # ssh -o ControlMaster) cannot keep reaching a board that is down.
        for session in _descendants(pid):
            _kill(session, signal.SIGKILL)
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            return False
        for _ in range(100):
            if not Path(f"/proc/{pid}").exists() or _is_zombie(pid):
                break
            time.sleep(0.02)
        else:
            os.killpg(pid, signal.SIGKILL)
        _reap(pid)
        self._pid_file(name).unlink(missing_ok=True)
        return True

    def clear_leases(self, name: str) -> bool:
        """Remove a stopped board's run lease (`hil sim down`: nothing runs on it any more)."""
        lease = self.board_root(name) / "home" / getpass.getuser() / ".hil-lease"
        if not lease.exists():
            return False
        shutil.rmtree(lease, ignore_errors=True)
        return True

    def status(self, boards: list[SimBoard]) -> list[SimStatus]:
        out = []
        for b in boards:
            pid = self.pid(b.name)
            out.append(SimStatus(b.name, b.platform, b.host, b.port, pid is not None, pid))
        return out


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except OSError:
        return False


def _reap(pid: int) -> None:
    # Reap our own child if we started it in this process; harmless otherwise.
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _board_processes(root: Path) -> list[int]:
    marker = f"HIL_BOARD_ROOT={root}".encode() + b"\0"
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _descendants(pid: int) -> list[int]:
    """Every process below `pid` in the process tree (children first found, then theirs)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []
    todo = list(children.get(pid, []))
    while todo:
        child = todo.pop()
        found.append(child)
        todo.extend(children.get(child, []))
    return found


def _kill(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)
