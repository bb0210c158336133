"""A fleet world for the rollout tests: one simulated rack (orin + qcs8255) with HIL evidence for the tiny
model at fp32 and fp16 and a signing key, made once per session; and a small fleet of simulated vehicles,
started once and returned to a fresh state before every test (up, no faults, no hil-fleet folder), which
is what a freshly started vehicle is. Sharing them saves a rack run per test module and a start and stop
of three sshd per test."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import NEEDS_BUILD_HOST, free_endpoint
from tests.fixtures.tiny import make_clip, make_model


@dataclass
class World:
    folder: Path
    env: dict[str, str]
    rack: Path
    model: Path
    clip: Path
    db: Path

    def hil(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "hil.cli.main", *args],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    def board_root(self, name: str) -> Path:
        return Path(self.env["HIL_HOME"]) / "sim" / "boards" / name / "root"

    def fleet_dir(self, name: str) -> Path:
        return self.board_root(name) / "home" / os.environ.get("USER", "root") / "hil-fleet"

    def deploy(
        self, fleet: Path, *extra: str, model: Path | None = None, precision: str = "fp16"
    ) -> tuple[int, dict]:
        res = self.hil(
            "deploy", str(model or self.model), "--precision", precision, "--to", "fleet", "-i", str(fleet),
            "--rack", str(self.rack), "--clip", str(self.clip), "--db", str(self.db), "--json", *extra,
        )  # fmt: skip
        assert res.stdout.strip().startswith("{"), res.stdout + res.stderr
        return res.returncode, json.loads(res.stdout)


def write_inventory(path: Path, group: str, boards: dict[str, str]) -> Path:
    lines = [
        "all:",
        "  vars:",
        "    budgets: {latency_ms: 5000, power_w: 50}",
        "  children:",
        f"    {group}:",
    ]
    lines += ["      vars:", "        sim: true", "      hosts:"]
    # A rack's QCS8255 / TDA4VM converts on a simulated x86_64 build host, as a real one must (vehicles
    # never convert: they get engines).
    builders = sorted({p for p in boards.values() if p in NEEDS_BUILD_HOST}) if group == "rack" else []
    machines = {**boards, **{f"{p}-build": p for p in builders}}
    for name, platform in machines.items():
        host, port = free_endpoint()
        lines += [f"        {name}:", f"          platform: {platform}", f"          ansible_host: {host}"]
        lines += [f"          ansible_port: {port}"]
        if platform in builders and name in boards:
            lines += [f"          build_host: {platform}-build"]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("fleet")
    env = dict(os.environ)
    env.update(HIL_HOME=str(folder / ".hil"), COLUMNS="200")
    env.pop("HIL_INVENTORY", None)
    env.pop("HIL_DB", None)
    w = World(
        folder,
        env,
        write_inventory(folder / "rack.yaml", "rack", {"orin-rig": "orin", "qcs-rig": "qcs8255"}),
        make_model(folder / "bright.onnx"),
        make_clip(folder / "cabin.mp4", frames=40),
        folder / "hil.sqlite",
    )
    run = w.hil(
        "run", "-i", str(w.rack), "--model", str(w.model), "--clip", str(w.clip), "--precision", "fp32,fp16",
        "--db", str(w.db),
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert w.hil("keys", "init").returncode == 0
    yield w
    w.hil("sim", "down", "-i", str(w.rack))


@dataclass
class Fleet:
    inventory: Path
    orin: list[str]
    qcs: list[str]

    @property
    def names(self) -> list[str]:
        return [*self.orin, *self.qcs]


@pytest.fixture(scope="session")
def shared_fleet(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    """Three vehicles (two Orin, one QCS8255), up for the whole session."""
    orin, qcs = ["car-orin-1", "car-orin-2"], ["car-qcs-1"]
    boards = {**dict.fromkeys(orin, "orin"), **dict.fromkeys(qcs, "qcs8255")}
    inv = write_inventory(tmp_path_factory.mktemp("fleet-inv") / "fleet.yaml", "fleet", boards)
    up = world.hil("sim", "up", "-i", str(inv))
    assert up.returncode == 0, up.stderr
    yield Fleet(inv, orin, qcs)
    world.hil("sim", "down", "-i", str(inv))


@pytest.fixture
def fleet(world: World, shared_fleet: Fleet) -> Fleet:
    """The shared vehicles as freshly started ones: running (a test may have powered one off), without
    faults and without anything hil deployed (the whole hil-fleet folder goes)."""
    for name in shared_fleet.names:
        (world.board_root(name) / "sim-faults.json").unlink(missing_ok=True)
        shutil.rmtree(world.fleet_dir(name), ignore_errors=True)
    up = world.hil("sim", "up", "-i", str(shared_fleet.inventory))  # starts only those that are down
    assert up.returncode == 0, up.stderr
    return shared_fleet


def current_engine(world: World, vehicle: str) -> str | None:
    link = world.fleet_dir(vehicle) / "current"
    return os.readlink(link).removeprefix("engines/") if link.is_symlink() else None


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
