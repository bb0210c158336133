"""Rack benchmarks: the SSH command round trip, and how a run's wall time grows with the number of boards.

    python bench/bench_rack.py [--quick] [--json]
    python bench/run.py rack --json --quick

1. Command round trip on one simulated board: hil's connection (TCP_NODELAY, as hil opens it), the same
   connection with Nagle's algorithm left on (what paramiko does by default), and OpenSSH reusing a
   ControlMaster connection (`ssh -S socket`), each as a median over many commands; reported as ratios to
   the OpenSSH figure measured in the same run.
2. Rack wall time: a whole `Run` (lease, pre-flight, push, convert, replay, score, store) of one short job
   per board on 1, 4, 8 and 16 simulated Orin boards in parallel, as ratios to the one-board run measured in
   the same run. On a machine with few cores the boards share them, so the ratio shows that too.

Everything runs in a private folder on private loopback addresses; nothing is left running.
"""

from __future__ import annotations

import getpass
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from benchlib import Result, figure, main, median_ms  # noqa: E402

from hil.inventory import load_inventory  # noqa: E402
from hil.platforms import names  # noqa: E402
from hil.runs.run import Run, RunOptions  # noqa: E402
from hil.runs.suite import build_suite  # noqa: E402
from hil.runs.target import target_for  # noqa: E402
from hil.sim.rack import SimBoard, SimRack  # noqa: E402
from hil.store.db import Store  # noqa: E402
from hil.transport.endpoint import Endpoint  # noqa: E402
from hil.transport.ssh import BoardConnection  # noqa: E402

MODEL = REPO / "artifacts" / "models" / "dms-small.onnx"


def _endpoint_free() -> tuple[str, int]:
    host = f"127.0.{random.randint(100, 250)}.{random.randint(2, 250)}"
    with socket.socket() as sock:
        sock.bind((host, 0))
        return host, int(sock.getsockname()[1])


def round_trip(tmp: Path, rounds: int) -> dict[str, Any]:
    host, port = _endpoint_free()
    rack = SimRack(tmp / "rt" / "sim", tmp / "rt" / "known_hosts")
    board = SimBoard("bench-rt", "orin", host, port)
    rack.start(board)
    try:
        endpoint = Endpoint(
            name=board.name, host=host, port=port, user=getpass.getuser(),
            key_file=rack.client_key, known_hosts=rack.known_hosts, use_ssh_config=False,
        )  # fmt: skip
        with BoardConnection(endpoint) as conn:
            conn.run(["true"], 10)
            hil_ms = median_ms(lambda: conn.run(["true"], 10), rounds)
            transport = conn.conn.client.get_transport()
            assert transport is not None and isinstance(transport.sock, socket.socket)
            transport.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 0)
            nagle_ms = median_ms(lambda: conn.run(["true"], 10), rounds)
        openssh_ms = _openssh_control_master(tmp, rack, host, port, rounds)
    finally:
        rack.stop(board.name)
    result: dict[str, Any] = {
        "hil_ms": round(hil_ms, 2),
        "hil_without_nodelay_ms": round(nagle_ms, 2),
        "openssh_controlmaster_ms": None if openssh_ms is None else round(openssh_ms, 2),
    }
    if openssh_ms:
        result["hil_vs_openssh_controlmaster"] = round(hil_ms / openssh_ms, 3)
        result["without_nodelay_vs_openssh_controlmaster"] = round(nagle_ms / openssh_ms, 3)
    return result


def _openssh_control_master(tmp: Path, rack: SimRack, host: str, port: int, rounds: int) -> float | None:
    ssh = shutil.which("ssh")
    if ssh is None:
        return None
    control = tmp / "cm.sock"
    base = [ssh, "-p", str(port), "-i", str(rack.client_key), "-o", f"UserKnownHostsFile={rack.known_hosts}",
            "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", f"ControlPath={control}",
            "-F", "/dev/null", f"{getpass.getuser()}@{host}"]  # fmt: skip
    master = subprocess.Popen([*base[:-1], "-M", "-N", base[-1]], stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        for _ in range(100):
            if control.exists():
                break
            time.sleep(0.05)
        else:
            return None
        command = [*base, "timeout -k 5 10 sh -c true"]  # the same remote command hil runs for ["true"]
        subprocess.run(command, check=True, capture_output=True)
        return median_ms(lambda: subprocess.run(command, check=True, capture_output=True), rounds)
    finally:
        master.terminate()
        master.wait(10)


def rack_wall(tmp: Path, sizes: list[int], frames: int) -> dict[str, Any]:
    clips = sorted((REPO / "artifacts" / "clips").glob("*.mp4"))[:1]
    suite = build_suite([MODEL], clips, ["fp32"], warmup=2, max_frames=frames)
    walls: dict[int, float] = {}
    for n in sizes:
        home = tmp / f"rack{n}"
        lines = ["all:", "  children:", "    rack:", "      vars: {sim: true, budgets: {latency_ms: 10000, "
                 "power_w: 100}}", "      hosts:"]  # fmt: skip
        for i in range(n):
            host, port = _endpoint_free()
            lines += [f"        orin-b{i:02d}:", "          platform: orin",
                      f"          ansible_host: {host}", f"          ansible_port: {port}"]  # fmt: skip
        (home).mkdir(parents=True)
        inv_path = home / "rack.yaml"
        inv_path.write_text("\n".join(lines) + "\n")
        inv = load_inventory(inv_path, names())
        rack = SimRack(home / "sim", home / "known_hosts")
        boards = list(inv.boards.values())
        targets = [target_for(b, rack.known_hosts, rack.client_key) for b in boards]
        with Store.open(home / "runs.sqlite") as store:
            # Boards start before the clock: the figure is the run, not sshd start-up.
            for b in boards:
                rack.start(SimBoard(b.name, b.platform, b.ansible_host, b.ansible_port))
            try:
                start = time.perf_counter()
                outcome = Run(targets, suite, store, options=RunOptions(retries=0), rack=rack,
                              sim_specs=boards).execute()  # fmt: skip
                walls[n] = time.perf_counter() - start
            finally:
                for b in boards:
                    rack.stop(b.name)
        bad = [r for r in outcome.summary.results if r.status not in ("pass", "fail")]
        if bad:
            raise RuntimeError(f"rack of {n}: {bad[0].board} {bad[0].status}: {bad[0].error}")
    one = walls[sizes[0]]
    return {
        "boards": sizes,
        "frames_per_job": frames,
        "cpu_cores": os.cpu_count(),
        "one_board_s": round(one, 3),
        "wall_s": {str(n): round(walls[n], 3) for n in sizes},
        "wall_vs_one_board": {str(n): round(walls[n] / one, 2) for n in sizes},
    }


def run(quick: bool = False) -> Result:
    rounds, sizes, frames = (10, [1, 4], 4) if quick else (50, [1, 4, 8, 16], 8)
    with tempfile.TemporaryDirectory(prefix="hil-bench-rack-") as tmp_name:
        tmp = Path(tmp_name)
        rt = round_trip(tmp, rounds)
        wall = rack_wall(tmp, sizes, frames)
    cm = rt["openssh_controlmaster_ms"]
    figures = [
        figure("command round trip (TCP_NODELAY, as hil opens it), median", "ms", rt["hil_ms"],
               "OpenSSH reusing a ControlMaster", cm),
        figure("command round trip with Nagle left on (paramiko's default), median", "ms",
               rt["hil_without_nodelay_ms"], "OpenSSH reusing a ControlMaster", cm),
    ]  # fmt: skip
    one = wall["one_board_s"]
    for n in sizes[1:]:
        figures.append(figure(f"rack wall time, {n} boards", "s", wall["wall_s"][str(n)], "one board", one))
    notes = [
        f"round trips: medians of {rounds} `true` commands on one simulated Orin over loopback",
        "rack: one whole `Run` (lease, pre-flight, push, convert, replay, score, store) of one "
        f"{frames}-frame job per simulated Orin, all boards in parallel, sshd started before the clock; "
        f"one board took {one:.2f} s; this machine has {wall['cpu_cores']} CPU cores, which the boards share",
    ]
    if cm is None:
        notes.append("OpenSSH's ssh is not installed here or its ControlMaster did not start: anchor skipped")
    if quick:
        notes.append("quick mode: 1 and 4 boards only (the full run adds 8 and 16)")
    return {
        "name": "rack",
        "title": "Rack: command round trip and wall time vs number of boards",
        "figures": figures,
        "notes": notes,
        "details": {"command_round_trip": rt, "rack_wall_time": wall},
    }


if __name__ == "__main__":
    main(run, __doc__, quick_help="fewer rounds, 1 and 4 boards only")
