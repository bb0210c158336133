"""Store problems say what to do: a read-only file system, a store hil may not write, a disk that fills up
mid-run. The file systems are real: a size-limited tmpfs, remounted read-only, in a private mount namespace
(`unshare`); skipped where the kernel does not allow one."""

from __future__ import annotations

import os
import shlex
import signal
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.conftest import REPO, Hil, needs_sshd, write_sim_inventory

TRTEXEC = REPO / "tests" / "fixtures" / "parsers" / "trtexec-trt82-end-to-end.log"
HIL = f"{shlex.quote(sys.executable)} -m hil.cli.main"


def _unshare_works(*flags: str) -> bool:
    try:
        probe = subprocess.run(["unshare", *flags, "true"], capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


needs_mount_ns = pytest.mark.skipif(
    not _unshare_works("--user", "--map-root-user", "--mount"), reason="no user+mount namespaces here"
)


def _in_namespace(
    hil: Hil, script: str, *flags: str, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["unshare", *flags, "sh", "-c", script],
        cwd=hil.cwd,
        env=hil.env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _import(db: str) -> str:
    return f"{HIL} import trtexec {shlex.quote(str(TRTEXEC))} -b orin-03 -m dms -p fp16 --db {db}"


@needs_mount_ns
def test_a_store_on_a_read_only_file_system_is_read_and_writes_say_why(hil: Hil) -> None:
    mnt = hil.cwd / "ro"
    mnt.mkdir()
    db = shlex.quote(str(mnt / "hil.sqlite"))
    script = (
        f"mount -t tmpfs -o size=4m tmpfs {mnt} && {_import(db)} && mount -o remount,ro {mnt} && "
        f"{HIL} history --db {db} --json && echo '--- import' >&2 && {_import(db)}"
    )
    done = _in_namespace(hil, script, "--user", "--map-root-user", "--mount")
    assert done.returncode == 3, done.stderr
    _, failed = done.stderr.split("--- import")
    assert '"board": "orin-03"' in done.stdout  # reading still works
    assert "read-only file system" in failed and "is not a hil results store" not in failed
    assert "hint: pass --db" in failed and "bug" not in failed


def _nobody_runs_python() -> bool:
    if os.geteuid() != 0:
        return True
    try:
        probe = subprocess.run(
            [sys.executable, "-c", "import hil"], capture_output=True, user=65534, timeout=60
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return probe.returncode == 0


@pytest.mark.skipif(not _nobody_runs_python(), reason="as root, and `nobody` cannot run this venv's python")
def test_a_store_hil_may_not_write_says_whose_permissions(hil: Hil) -> None:
    # Made by this user, then written by one without write permission: as root, the unprivileged
    # `nobody` (root writes anything); otherwise this user after removing its own write permission.
    folder = Path(tempfile.mkdtemp(prefix="hil-unwritable-"))
    try:
        folder.chmod(0o755)
        db = folder / "hil.sqlite"
        made = subprocess.run(
            ["sh", "-c", _import(str(db))], cwd=hil.cwd, env=hil.env, capture_output=True, text=True
        )
        assert made.returncode == 0, made.stderr
        as_root = os.geteuid() == 0
        if as_root:
            db.chmod(0o644)
        else:
            db.chmod(0o444)
            folder.chmod(0o555)
        env = {**hil.env, "HIL_HOME": str(folder / "home") if as_root else str(hil.cwd / ".hil")}
        denied = subprocess.run(
            ["sh", "-c", _import(str(db))],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            **({"user": 65534, "group": 65534, "extra_groups": []} if as_root else {}),  # type: ignore[arg-type]
        )
        assert denied.returncode == 3, denied.stderr
        assert "error:" in denied.stderr and str(db) in denied.stderr
        assert "bug in hil" not in denied.stderr and "internal error" not in denied.stderr
        assert "writable" in denied.stderr  # what to do: make it writable, or another --db
        # Reading it is still fine.
        shown = subprocess.run(
            ["sh", "-c", f"{HIL} history --db {db} --json"],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            **({"user": 65534, "group": 65534, "extra_groups": []} if as_root else {}),  # type: ignore[arg-type]
        )
        assert shown.returncode == 0, shown.stderr
        assert '"board": "orin-03"' in shown.stdout
    finally:
        folder.chmod(0o755)
        subprocess.run(["rm", "-rf", str(folder)], check=False)


@needs_sshd
@needs_mount_ns
def test_a_disk_that_fills_mid_run_ends_the_run_as_infra_error(
    hil: Hil, tmp_path: Path, material: tuple[Path, Path]
) -> None:
    model, clip = material
    rack = write_sim_inventory(tmp_path / "inv.yaml", {"orin-f1": "orin"})
    up = hil("sim", "up", "-i", str(rack.inventory))
    assert up.returncode == 0, up.stderr
    full = tmp_path / "full"
    full.mkdir()
    db = full / "hil.sqlite"
    try:
        run = f"{HIL} run -i {rack.inventory} -m {model} -c {clip} -p fp32,fp16 --db {db} --json"
        # 200 KiB: the store's schema (about 136 KiB) and the run row fit, the results of the jobs do not.
        done = _in_namespace(
            hil,
            f"mount -t tmpfs -o size=200k tmpfs {full} && {run}; rc=$?; "
            f"cp {db} {tmp_path}/after.sqlite; exit $rc",
            "--user",
            "--map-root-user",
            "--mount",
        )
    finally:
        hil("sim", "down", "-i", str(rack.inventory))
    assert done.returncode == 3, done.stderr
    assert "the disk is full" in done.stderr and "free space" in done.stderr
    assert done.stdout == ""  # no half JSON document
    with sqlite3.connect(tmp_path / "after.sqlite") as conn:
        statuses = [row[0] for row in conn.execute("SELECT status FROM runs")]
    assert statuses == ["infra_error"]  # never left `running`
    assert os.path.exists(tmp_path / "after.sqlite")


@needs_sshd
def test_an_interrupted_run_is_not_left_running(
    hil: Hil, tmp_path: Path, material: tuple[Path, Path]
) -> None:
    model, clip = material
    rack = write_sim_inventory(tmp_path / "inv.yaml", {"orin-i1": "orin"})
    db = tmp_path / "hil.sqlite"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hil.cli.main",
            "run",
            "-i",
            str(rack.inventory),
            "-m",
            str(model),
            "-c",
            str(clip),
            "-p",
            "fp32,fp16",
            "--fps",
            "10",
            "--db",
            str(db),
        ],
        cwd=hil.cwd,
        env=hil.env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    for line in proc.stderr:  # wait until the first job is done: the run is well under way
        if line.startswith("[1/"):
            break
    proc.send_signal(signal.SIGINT)
    _, rest = proc.communicate(timeout=300)
    assert proc.returncode == 130, rest
    with sqlite3.connect(db) as conn:
        status, finished = conn.execute("SELECT status, finished_at FROM runs").fetchone()
        done = conn.execute("SELECT count(*) FROM results").fetchone()[0]
    assert status == "interrupted" and finished is not None
    assert done >= 1  # the finished job was kept
