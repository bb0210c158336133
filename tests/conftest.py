"""Shared fixtures: a private simulated rack per test (own HIL_HOME, loopback address and port) and a way to
call the real `hil` command line in a subprocess, as a user would."""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fixtures.tiny import make_clip, make_model

REPO = Path(__file__).resolve().parents[1]


def sshd_available() -> bool:
    return any(p and os.access(p, os.X_OK) for p in (shutil.which("sshd"), "/usr/sbin/sshd"))


def free_endpoint() -> tuple[str, int]:
    """A loopback address other than the default rack's, and a port free on it right now."""
    host = f"127.0.{random.randint(1, 250)}.{random.randint(2, 250)}"
    with socket.socket() as sock:
        sock.bind((host, 0))
        return host, sock.getsockname()[1]


@dataclass
class Hil:
    """Runs `hil` in a subprocess in its own working folder and state folder."""

    cwd: Path
    env: dict[str, str]

    def __call__(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "hil.cli.main", *args],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )


@pytest.fixture
def hil(tmp_path: Path) -> Hil:
    env = dict(os.environ)
    env["HIL_HOME"] = str(tmp_path / ".hil")
    env["COLUMNS"] = "200"
    env.pop("HIL_INVENTORY", None)
    env.pop("HIL_DB", None)
    return Hil(tmp_path, env)


@dataclass
class Rack:
    inventory: Path
    boards: dict[str, tuple[str, int]]


# Each platform's own power source, as inventory/sim.yaml has it. A short idle baseline (the default is
# 2 s) keeps the suite quick; it is still 5 samples.
SIM_POWER = {
    "orin": "{source: tegrastats, interval_ms: 100, idle_s: 0.5}",
    "qcs8255": "{source: command, command: qcs-meter, interval_ms: 50, idle_s: 0.5}",
    "tda4vm": "{source: hwmon, interval_ms: 100, idle_s: 0.5}",
}


# Platforms whose vendor ships the converters for an x86_64 host only (hil/sim/conformance): a test rack gives
# their boards a simulated build host, as the default rack does, so the board has none of those tools.
NEEDS_BUILD_HOST = ("qcs8255", "tda4vm")


def write_sim_inventory(
    path: Path,
    boards: dict[str, str],
    extra: str = "",
    budgets: str = "latency_ms: 5000, power_w: 50",
    build_hosts: bool = True,
) -> Rack:
    """A simulated rack inventory with the given board name -> platform, on free loopback endpoints.

    Each QCS8255 / TDA4VM board names a simulated build host of its platform (`<platform>-build`, one per
    platform, in a `build_hosts` group; `sim_toolchain` lines of `extra` apply to it too), unless
    `build_hosts=False`: then they name none (and carry the host tools), and `hil run` refuses them as it
    refuses real ones.
    Tests check behaviour, not speed (that is bench/'s job): latency and power budgets are generous so a busy
    CI machine cannot fail a run that behaves correctly.
    """
    lines = [
        "all:",
        "  vars:",
        f"    budgets: {{{budgets}}}",
        "  children:",
        "    rack:",
        "      vars:",
        "        sim: true",
        "      hosts:",
    ]
    where: dict[str, tuple[str, int]] = {}
    hosts_for = sorted({p for p in boards.values() if p in NEEDS_BUILD_HOST}) if build_hosts else []
    for name, platform in boards.items():
        host, port = free_endpoint()
        where[name] = (host, port)
        lines += [
            f"        {name}:",
            f"          platform: {platform}",
            f"          ansible_host: {host}",
            f"          ansible_port: {port}",
            f"          power: {SIM_POWER[platform]}",
        ]
        if platform in hosts_for:
            lines.append(f"          build_host: {platform}-build")
        lines += [f"          {x}" for x in extra.splitlines() if x]
    if hosts_for:
        lines += ["    build_hosts:", "      vars:", "        sim: true", "      hosts:"]
        for platform in hosts_for:
            host, port = free_endpoint()
            lines += [
                f"        {platform}-build:",
                f"          platform: {platform}",
                f"          ansible_host: {host}",
                f"          ansible_port: {port}",
            ]
            lines += [f"          {x}" for x in extra.splitlines() if x.strip().startswith("sim_toolchain")]
    path.write_text("\n".join(lines) + "\n")
    return Rack(path, where)


@pytest.fixture
def material(tmp_path: Path) -> tuple[Path, Path]:
    """(model, clip): the tiny brightness classifier with its card, and a labelled 40-frame clip."""
    model = make_model(tmp_path / "bright.onnx")
    clip = make_clip(tmp_path / "cabin.mp4", frames=40)
    return model, clip


# Skipped without sshd on a developer's machine; never in CI, where a missing sshd must fail loudly.
needs_sshd = pytest.mark.skipif(
    not sshd_available() and not os.environ.get("CI"),
    reason="no sshd: install openssh-server (make test does)",
)


def sim_board_processes(roots: list[Path], program: bytes) -> list[int]:
    """Pids of processes whose command line names `program` and that run on one of the simulated boards
    (or build hosts) with these root folders (their HIL_BOARD_ROOT)."""
    wanted = {f"HIL_BOARD_ROOT={r}".encode() for r in roots}
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline, environ = (proc / "cmdline").read_bytes(), (proc / "environ").read_bytes()
        except OSError:
            continue
        if program in cmdline and wanted & set(environ.split(b"\0")):
            found.append(int(proc.name))
    return found
