"""Thermal state around a replay: the emulated sysfs read by the platforms' own command line, the
throttle fault that really slows a board, and results marked noisy with the reason."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from hil.parsers.thermal import parse_thermal
from hil.platforms import get
from hil.records import JobResult
from hil.runs.thermal import Reading, annotate, state_facts, state_log
from hil.sim import sysfs


def _result() -> JobResult:
    return JobResult(
        board="b", platform="orin", model="m", precision="fp32", clip="c", status="pass",
        fingerprint={"tensorrt": "10.3.0"},
    )  # fmt: skip


def _read(root: Path, platform: str) -> str:
    """The platform's `thermal` fact command, run by a shell as on the board."""
    command = get(platform).fact_commands()["thermal"]
    env = {**os.environ, "HIL_BOARD_ROOT": str(root)}
    return subprocess.run(["bash", "-c", command], capture_output=True, text=True, env=env, check=True).stdout


def _reading(text: str) -> Reading:
    return Reading("grep -s . ...", text, parse_thermal(text))


@pytest.mark.parametrize("platform", ["orin", "qcs8255", "tda4vm"])
def test_each_platform_reads_the_emulated_sysfs_and_sees_the_throttle(tmp_path: Path, platform: str) -> None:
    root = tmp_path / "root"
    sysfs.populate(root)
    cool = parse_thermal(_read(root, platform))
    assert [(d.type, d.cur_state) for d in cool.cooling] == [("cpufreq-cpu0", 0)]
    host_zones = sorted(Path("/sys/class/thermal").glob("thermal_zone*"))
    assert len(cool.zones) == len([z for z in host_zones if (z / "temp").exists()])  # the host's, or none
    sysfs.set_throttled(root, True)
    hot = parse_thermal(_read(root, platform))
    assert [(d.cur_state, d.max_state) for d in hot.cooling] == [(sysfs.MAX_STATE, sysfs.MAX_STATE)]
    assert annotate(_result(), _reading(_read(root, platform)), None).noisy
    sysfs.set_throttled(root, False)
    assert not annotate(_result(), _reading(_read(root, platform)), None).noisy
    assert not cool.cooling[0].cur_state


def test_annotate_marks_noisy_with_the_reason_and_records_the_state() -> None:
    before = _reading(
        "/sys/class/thermal/thermal_zone0/type:cpu-thermal\n/sys/class/thermal/thermal_zone0/temp:61000\n"
        "/sys/devices/system/cpu/cpufreq/policy0/scaling_cur_freq:1984000\n"
        "/sys/class/hwmon/hwmon3/oc1_event_cnt:0\n"
    )
    after = _reading(
        "/sys/class/thermal/thermal_zone0/type:cpu-thermal\n/sys/class/thermal/thermal_zone0/temp:72500\n"
        "/sys/class/hwmon/hwmon3/oc1_event_cnt:3\n"
    )
    result = annotate(_result(), before, after)
    reason = "over-current throttling: hwmon3/oc1 3 event(s)"
    assert result.noisy and result.noisy_reason == f"board throttled during the replay: {reason}"
    assert result.fingerprint == {"tensorrt": "10.3.0"}  # per-replay state never enters the fingerprint
    facts = state_facts(before, after)
    assert (facts["temp_before_c"], facts["temp_after_c"], facts["cpu_mhz"]) == ("61", "72.5", "1984")
    assert facts["throttled"] == f"yes: {reason}"
    [log] = state_log(before, after)
    assert log.kind == "thermal" and log.text.startswith("# before the replay\n/sys/class/thermal")
    assert "# after the replay\n" in log.text and "temp:72500" in log.text
    calm = annotate(_result(), before, before)
    assert not calm.noisy and calm.noisy_reason is None and state_facts(before, before)["throttled"] == "no"


def test_no_readings_leave_the_result_and_facts_as_they_were() -> None:
    assert annotate(_result(), None, None) == _result()
    assert state_facts(None, None) == {} and state_log(None, None) == []  # unknown, never "throttled: no"


def test_throttle_really_holds_the_boards_processes_to_half_the_cpu(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "run").mkdir(parents=True)
    # A stand-in for the board's sshd: a shell whose child burns CPU, as a replay would.
    parent = subprocess.Popen(
        ["bash", "-c", f"{sys.executable} -c 'while True: pass' & wait"], start_new_session=True
    )
    try:
        (root / "run" / "sshd.pid").write_text(f"{parent.pid}\n")
        deadline = time.monotonic() + 10
        while not (workers := sysfs.board_workers(root)) and time.monotonic() < deadline:
            time.sleep(0.05)
        busy = [pid for pid in workers if "python" in Path(f"/proc/{pid}/cmdline").read_bytes().decode()]
        assert busy, workers
        seen: set[str] = set()
        holder = threading.Thread(target=sysfs.hold_to_half, args=(root, 1.0))
        start_ticks = _cpu_ticks(busy[0])
        started = time.monotonic()
        holder.start()
        while holder.is_alive():
            seen.add(_state(busy[0]))
            time.sleep(0.01)
        wall = time.monotonic() - started
        used = (_cpu_ticks(busy[0]) - start_ticks) / os.sysconf("SC_CLK_TCK")
        assert "T" in seen  # it was stopped ...
        assert _state(busy[0]) != "T"  # ... and runs again once the hold ends
        assert used <= 0.6 * wall  # at most about half of the time on a CPU
    finally:
        os.killpg(parent.pid, 9)
        parent.wait()


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _state(pid: int) -> str:
    return _stat(pid)[0]


def _cpu_ticks(pid: int) -> int:
    fields = _stat(pid)
    return int(fields[11]) + int(fields[12])  # utime + stime
