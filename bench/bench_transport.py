"""hil's transport against OpenSSH's own tools, on one simulated board started in a private folder.

1. command round trip: hil's reused paramiko connection vs. `ssh` with ControlMaster (a reused
   connection too: the fair anchor) and vs. a new `ssh` process per command;
2. pushing a 4 MiB artifact: hil's content-addressed push vs. `scp` and `rsync`, first time and unchanged
   (hil moves nothing the board has; scp copies again; rsync compares and skips).

  python bench/bench_transport.py [--json] [--quick]
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import Result, figure, main, median_ms

from hil.sim.rack import SimBoard, SimRack
from hil.transport.endpoint import Endpoint
from hil.transport.push import item, push
from hil.transport.ssh import BoardConnection

BLOB_MB = 4


def free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def run(quick: bool = False) -> Result:
    rounds = 5 if quick else 20
    with tempfile.TemporaryDirectory(prefix="hil-bench-") as tmp_name:
        tmp = Path(tmp_name)
        host = f"127.0.{os.getpid() % 200 + 20}.9"
        board = SimBoard("bench-01", "orin", host, free_port(host))
        rack = SimRack(tmp / "sim", tmp / "known_hosts")
        rack.start(board)
        try:
            return _measure(rack, board, tmp, rounds)
        finally:
            rack.stop(board.name)


def _measure(rack: SimRack, board: SimBoard, tmp: Path, rounds: int) -> Result:
    base = ["-q", "-i", str(rack.client_key), "-o", "BatchMode=yes",
            "-o", f"UserKnownHostsFile={rack.known_hosts}", "-o", "StrictHostKeyChecking=yes"]  # fmt: skip
    ssh = ["ssh", *base, "-p", str(board.port), board.host]
    control = tmp / "cm-%r@%h:%p"
    master = ["ssh", *base, "-o", "ControlMaster=auto", "-o", f"ControlPath={control}",
              "-o", "ControlPersist=60", "-p", str(board.port), board.host]  # fmt: skip
    endpoint = Endpoint(board.name, board.host, board.port, key_file=rack.client_key,
                        known_hosts=rack.known_hosts, use_ssh_config=False)  # fmt: skip
    blob = tmp / "artifact.bin"
    blob.write_bytes(os.urandom(BLOB_MB << 20))
    remote_dir = str(rack.board_root(board.name) / "home" / "blobs")
    notes: list[str] = []
    figures = []
    with BoardConnection(endpoint) as conn:
        conn.run(["true"], 30)
        hil_rtt = median_ms(lambda: conn.run(["true"], 30), rounds)
        subprocess.run([*master, "true"], check=True)  # opens the master connection
        cm_rtt = median_ms(lambda: subprocess.run([*master, "true"], check=True), rounds)
        subprocess.run([*master[:-1], "-O", "exit", board.host], capture_output=True, check=False)
        new_rtt = median_ms(lambda: subprocess.run([*ssh, "true"], check=True), rounds)
        figures.append(figure("command round trip, median", "ms", hil_rtt, "ssh with ControlMaster", cm_rtt))
        figures.append(figure("command round trip, median", "ms", hil_rtt, "a new ssh process", new_rtt))

        first = median_ms(lambda: push(conn, [item(blob, remote_dir)]), 1)
        again = median_ms(lambda: push(conn, [item(blob, remote_dir)]), 1)
        scp = ["scp", *base, "-P", str(board.port), str(blob), f"{board.host}:{remote_dir}/scp.bin"]
        scp_first = median_ms(lambda: subprocess.run(scp, check=True), 1)
        scp_again = median_ms(lambda: subprocess.run(scp, check=True), 1)
        figures.append(figure(f"push {BLOB_MB} MiB, first time", "ms", first, "scp", scp_first))
        figures.append(figure(f"push {BLOB_MB} MiB, unchanged", "ms", again, "scp", scp_again))
        rsync_bin = shutil.which("rsync")
        if rsync_bin is None:
            notes.append(
                "rsync is not installed here: its anchors were skipped (hil installs nothing to run them)"
            )
            figures.append(figure(f"push {BLOB_MB} MiB, first time", "ms", first, "rsync", None))
            figures.append(figure(f"push {BLOB_MB} MiB, unchanged", "ms", again, "rsync", None))
        else:
            shell = " ".join(["ssh", *base, "-p", str(board.port)])
            rsync = [rsync_bin, "-a", f"--rsync-path={rsync_bin}", "-e", shell,
                     str(blob), f"{board.host}:{remote_dir}/rsync.bin"]  # fmt: skip
            rsync_first = median_ms(lambda: subprocess.run(rsync, check=True), 1)
            rsync_again = median_ms(lambda: subprocess.run(rsync, check=True), 1)
            figures.append(figure(f"push {BLOB_MB} MiB, first time", "ms", first, "rsync", rsync_first))
            figures.append(figure(f"push {BLOB_MB} MiB, unchanged", "ms", again, "rsync", rsync_again))
    notes.append(f"medians of {rounds} round trips; pushes timed once each; one simulated board on loopback")
    return {
        "name": "transport",
        "title": "Transport: hil vs OpenSSH tools",
        "figures": figures,
        "notes": notes,
    }


if __name__ == "__main__":
    main(run, __doc__)
