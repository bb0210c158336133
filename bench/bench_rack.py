"""Rack benchmarks: the SSH command round trip, and how a run's wall time grows with the number of boards.

    python bench/bench_rack.py [--quick] [--json]

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

import argparse
import getpass
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

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


def _median_ms(fn: object, rounds: int) -> float:
    assert callable(fn)
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000.0


def round_trip(tmp: Path, rounds: int) -> dict[str, object]:
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
            hil_ms = _median_ms(lambda: conn.run(["true"], 10), rounds)
            transport = conn.conn.client.get_transport()
            assert transport is not None and isinstance(transport.sock, socket.socket)
            transport.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 0)
            nagle_ms = _median_ms(lambda: conn.run(["true"], 10), rounds)
        openssh_ms = _openssh_control_master(tmp, rack, host, port, rounds)
    finally:
        rack.stop(board.name)
    result: dict[str, object] = {
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
        return _median_ms(lambda: subprocess.run(command, check=True, capture_output=True), rounds)
    finally:
        master.terminate()
        master.wait(10)


def rack_wall(tmp: Path, sizes: list[int], frames: int) -> dict[str, object]:
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
            raise SystemExit(f"rack of {n}: {bad[0].board} {bad[0].status}: {bad[0].error}")
    one = walls[sizes[0]]
    return {
        "boards": sizes,
        "frames_per_job": frames,
        "cpu_cores": os.cpu_count(),
        "one_board_s": round(one, 2),
        "wall_vs_one_board": {str(n): round(walls[n] / one, 2) for n in sizes},
    }


def run(quick: bool = False) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="hil-bench-rack-") as tmp_name:
        tmp = Path(tmp_name)
        return {
            "command_round_trip": round_trip(tmp, 10 if quick else 50),
            "rack_wall_time": rack_wall(tmp, [1, 4] if quick else [1, 4, 8, 16], 4 if quick else 8),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer rounds, 1 and 4 boards only")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    figures = run(quick=args.quick)
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    rt = figures["command_round_trip"]
    assert isinstance(rt, dict)
    print("command round trip (median):")
    print(f"  hil (TCP_NODELAY)              {rt['hil_ms']:8.2f} ms")
    print(f"  hil without TCP_NODELAY        {rt['hil_without_nodelay_ms']:8.2f} ms")
    print(f"  OpenSSH with ControlMaster     {rt['openssh_controlmaster_ms']} ms")
    if "hil_vs_openssh_controlmaster" in rt:
        print(f"  hil / OpenSSH ControlMaster    {rt['hil_vs_openssh_controlmaster']:8.3f}")
    wall = figures["rack_wall_time"]
    assert isinstance(wall, dict)
    print(f"rack wall time vs one board ({wall['one_board_s']} s, {wall['cpu_cores']} cores):")
    for n, ratio in wall["wall_vs_one_board"].items():
        print(f"  {n:>2} boards: x{ratio}")


if __name__ == "__main__":
    main()
