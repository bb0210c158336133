"""The emulated tegrastats: JetPack 6 Orin lines from measured host readings and the modelled rails."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hil.sim.power_model import model_for
from hil.sim.tools import tegrastats

from .conftest import REPO, run_tool

LINE = re.compile(
    r"^\d\d-\d\d-\d{4} \d\d:\d\d:\d\d RAM \d+/\d+MB(?: \(lfb \d+x\d+[kM]B\))?"
    r"(?: SWAP \d+/\d+MB \(cached \d+MB\))? CPU \[(?:(?:\d+%(?:@\d+)?|off),?)+\] GR3D_FREQ \d+%"
    r"(?: [\w-]+@[\d.]+C)* VDD_IN (\d+)mW/(\d+)mW VDD_CPU_GPU_CV (\d+)mW/(\d+)mW VDD_SOC (\d+)mW/(\d+)mW$"
)


def wait_for_lines(path: Path, count: int, timeout: float = 10) -> list[str]:
    deadline = time.monotonic() + timeout
    lines: list[str] = []
    while time.monotonic() < deadline:
        lines = path.read_text().splitlines() if path.exists() else []
        if len(lines) >= count:
            break
        time.sleep(0.05)
    return lines


def pid_alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_start_and_stop_log_lines_in_the_documented_format(board: Path, tmp_path: Path) -> None:
    log = tmp_path / "power.log"
    started = run_tool("tegrastats", "--interval", "100", "--logfile", str(log), "--start", timeout=10)
    assert started.rc == 0 and started.both == ""
    pid = int((board / "run" / "tegrastats.pid").read_text())
    assert pid_alive(pid)
    lines = wait_for_lines(log, 4)
    stopped = run_tool("tegrastats", "--stop", timeout=10)
    assert stopped.rc == 0
    assert not (board / "run" / "tegrastats.pid").exists()
    deadline = time.monotonic() + 5
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not pid_alive(pid)

    assert len(lines) >= 4
    currents: list[int] = []
    for line in lines:
        found = LINE.match(line)
        assert found, line
        currents.append(int(found.group(1)))
        # The second number is the running mean of the first since start, as on a board.
        assert int(found.group(2)) == round(sum(currents) / len(currents))
        idle, full = model_for("orin", "15W").rails_mw(0.0), model_for("orin", "15W").rails_mw(1.0)
        assert idle["VDD_IN"] <= currents[-1] <= full["VDD_IN"]

    parsers = pytest.importorskip("hil.parsers.tegrastats")
    samples = parsers.parse_tegrastats("\n".join(lines)).samples
    assert len(samples) == len(lines)
    assert set(samples[0].rails) == {"VDD_IN", "VDD_CPU_GPU_CV", "VDD_SOC"}
    assert samples[0].ram_total_mb > 0 and samples[0].cpu and samples[0].gpu_freq_mhz is None


def test_stop_without_a_running_instance_is_fine(board: Path) -> None:
    assert run_tool("tegrastats", "--stop", timeout=10).rc == 0


def test_foreground_prints_to_stdout_until_terminated(board: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "hil.sim.tools.tegrastats", "--interval=100"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    proc.send_signal(signal.SIGTERM)
    rest, _ = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert LINE.match(first.rstrip("\n")), first
    assert all(LINE.match(line) for line in rest.splitlines())


def test_power_mode_selects_the_power_model(board: Path) -> None:
    (board / "etc" / "nvpmodel.mode").write_text("0\n")  # MAXN
    sampler = tegrastats.Sampler(board, None)
    line = sampler.line()
    vdd_in = int(re.search(r"VDD_IN (\d+)mW", line).group(1))  # type: ignore[union-attr]
    maxn = model_for("orin", "MAXN")
    assert maxn.rails_mw(0)["VDD_IN"] <= vdd_in <= maxn.rails_mw(1)["VDD_IN"]


def test_help_and_bad_options(board: Path) -> None:
    assert "--interval <millisec>" in run_tool("tegrastats", "--help").out
    bad = run_tool("tegrastats", "--bogus")
    assert bad.rc == 1 and "unrecognized option '--bogus'" in bad.err


def set_fault(board: Path, mode: str) -> None:
    (board / "sim-faults.json").write_text(json.dumps({"tegrastats": mode}))


def test_fault_crash_stops_the_sampler_after_one_line(board: Path, tmp_path: Path) -> None:
    set_fault(board, "crash")
    log = tmp_path / "power.log"
    assert run_tool("tegrastats", "--interval", "50", "--logfile", str(log), "--start").rc == 0
    pid = int((board / "run" / "tegrastats.pid").read_text())
    deadline = time.monotonic() + 10
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not pid_alive(pid)
    assert len(log.read_text().splitlines()) == 1
    assert run_tool("tegrastats", "--stop").rc == 0


def test_fault_hang_hangs_the_command(board: Path) -> None:
    set_fault(board, "hang")
    with pytest.raises(subprocess.TimeoutExpired):
        run_tool("tegrastats", "--stop", timeout=3)


def test_fault_corrupt_writes_lines_no_parser_accepts(board: Path, tmp_path: Path) -> None:
    set_fault(board, "corrupt")
    log = tmp_path / "power.log"
    assert run_tool("tegrastats", "--interval", "50", "--logfile", str(log), "--start").rc == 0
    lines = wait_for_lines(log, 3)
    run_tool("tegrastats", "--stop")
    assert lines and not any(LINE.match(line) for line in lines)
    parsers = pytest.importorskip("hil.parsers.tegrastats")
    with pytest.raises(Exception, match="not tegrastats output"):
        parsers.parse_tegrastats("\n".join(lines))


def test_fault_disk_full_leaves_the_log_empty(board: Path, tmp_path: Path) -> None:
    set_fault(board, "disk_full")
    log = tmp_path / "power.log"
    assert run_tool("tegrastats", "--interval", "50", "--logfile", str(log), "--start").rc == 0
    pid = int((board / "run" / "tegrastats.pid").read_text())
    time.sleep(0.5)
    assert pid_alive(pid)  # the sampler runs; its writes go nowhere
    run_tool("tegrastats", "--stop")
    assert not log.exists() or log.read_text() == ""
