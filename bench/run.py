"""Benchmarks of hil's transport against the obvious alternative (plain `ssh`/`scp` per step).

    make bench     (or: .venv/bin/python bench/run.py [--rounds N])

Starts one simulated board in a private folder, then measures on it:
  1. command round trip: hil's reused connection vs. a new `ssh` process per command;
  2. pushing a 4 MiB artifact twice: hil's content-addressed push (second time: nothing moves) vs. `scp`.
Prints a table; nothing here is a pass/fail test.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from hil.sim.rack import SimBoard, SimRack
from hil.transport.endpoint import Endpoint
from hil.transport.push import item, push
from hil.transport.ssh import BoardConnection


def free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def timed(fn: object, rounds: int) -> float:
    assert callable(fn)
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        host = "127.0.0.9"
        board = SimBoard("bench-01", "orin", host, free_port(host))
        rack = SimRack(tmp / "sim", tmp / "known_hosts")
        rack.start(board)
        try:
            run(rack, board, tmp, args.rounds)
        finally:
            rack.stop(board.name)


def run(rack: SimRack, board: SimBoard, tmp: Path, rounds: int) -> None:
    ssh = [
        "ssh", "-q", "-i", str(rack.client_key), "-p", str(board.port), "-o", "BatchMode=yes",
        "-o", f"UserKnownHostsFile={rack.known_hosts}", "-o", "StrictHostKeyChecking=yes", board.host,
    ]  # fmt: skip
    endpoint = Endpoint(board.name, board.host, board.port, key_file=rack.client_key,
                        known_hosts=rack.known_hosts, use_ssh_config=False)  # fmt: skip
    blob = tmp / "artifact.bin"
    blob.write_bytes(os.urandom(4 << 20))
    remote_dir = str(rack.board_root(board.name) / "home" / "blobs")
    rows: list[tuple[str, float, float]] = []
    with BoardConnection(endpoint) as conn:
        hil_rtt = timed(lambda: conn.run(["true"], 30), rounds)
        ssh_rtt = timed(lambda: subprocess.run([*ssh, "true"], check=True), rounds)
        rows.append(("command round trip (ms, median)", hil_rtt, ssh_rtt))
        first = timed(lambda: push(conn, [item(blob, remote_dir)]), 1)
        again = timed(lambda: push(conn, [item(blob, remote_dir)]), 1)
        scp = [
            "scp", "-q", "-i", str(rack.client_key), "-P", str(board.port), "-o", "BatchMode=yes",
            "-o", f"UserKnownHostsFile={rack.known_hosts}", str(blob), f"{board.host}:{remote_dir}/x.bin",
        ]  # fmt: skip
        scp_ms = timed(lambda: subprocess.run(scp, check=True), 1)
        scp_again = timed(lambda: subprocess.run(scp, check=True), 1)
        rows.append(("push 4 MiB, first time (ms)", first, scp_ms))
        rows.append(("push 4 MiB, unchanged (ms)", again, scp_again))
    print(f"{'measure':38} {'hil':>10} {'ssh/scp':>10}")
    for name, ours, theirs in rows:
        print(f"{name:38} {ours:10.1f} {theirs:10.1f}")


if __name__ == "__main__":
    main()
