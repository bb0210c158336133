"""A time-limited lease on a board, so two runs (two nightly jobs, a person and CI) never share a board.

The lease is a folder `~/.hil-lease` on the board, taken with an atomic `mkdir`; it records its holder and
an expiry time (the board's clock). The holder line names the controller's host, the holding process's PID
and that process's start time, so a lease whose holder died on *this* host is broken at once (a PID reused
by another process has another start time). A lease from another host cannot be checked from here: it
expires by its TTL. The holder renews it at each step and notices when it lost it (taken over, removed).
A folder without an expiry (a holder cut off between its two writes) counts as expired once a minute old.
"""

from __future__ import annotations

import os
import secrets
import shlex
import socket
from dataclasses import dataclass, field
from pathlib import Path

from hil.errors import InfraError
from hil.transport.ssh import BoardConnection

LEASE_DIR = "$HOME/.hil-lease"  # expanded by the board's shell; constant, never user input
STEP_TIMEOUT_S = 30.0


class LeaseError(InfraError):
    """The board is leased by another live run, or this run lost its lease: no recovery helps."""


def process_start(pid: int) -> str | None:
    """The start time of a local process (clock ticks since boot, /proc/PID/stat field 22), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else None


def holder_line(run_id: str = "") -> str:
    pid = os.getpid()
    parts = [f"host={socket.gethostname()}", f"pid={pid}", f"start={process_start(pid) or '?'}"]
    if run_id:
        parts.append(f"run={run_id}")
    return " ".join([*parts, f"token={secrets.token_hex(3)}"])


def parse_holder(line: str) -> dict[str, str]:
    """`host=a pid=1 start=2 ...` -> its fields; an old or foreign holder line gives {}."""
    fields = dict(part.partition("=")[::2] for part in line.split() if "=" in part)
    return fields if {"host", "pid"} <= fields.keys() else {}


def holder_is_dead(line: str) -> bool:
    """True only when the holder provably died: same host, and its PID is gone or is another process now."""
    fields = parse_holder(line)
    if not fields or fields["host"] != socket.gethostname() or not fields["pid"].isdigit():
        return False
    start = process_start(int(fields["pid"]))
    return start is None or (fields.get("start", "?") != "?" and start != fields["start"])


def describe(line: str) -> str:
    fields = parse_holder(line)
    if not fields:
        return line.strip() or "an unknown holder"
    run = f", run {fields['run']}" if fields.get("run") else ""
    return f"pid {fields['pid']} on {fields['host']}{run}"


@dataclass
class Lease:
    conn: BoardConnection
    ttl_s: int
    holder: str = ""
    broken: list[str] = field(default_factory=list)  # holder lines of dead holders' leases broken here

    def __post_init__(self) -> None:
        if not self.holder:
            self.holder = holder_line()

    def acquire(self) -> None:
        for _ in range(3):  # a dead holder's lease is broken, then taken like a free one
            answer = self._try()
            if answer == "ACQUIRED":
                return
            _, _, rest = answer.partition(" ")
            left, _, other = rest.partition(" ")
            if holder_is_dead(other) and break_lease(self.conn, other):
                self.broken.append(other)
                continue
            raise LeaseError(
                f"{self.conn.endpoint.name}: board is leased by {describe(other)} "
                f"for {left or '?'} s more; not touching it",
                hint="wait for that run to end (its lease expires by itself if it died), pick other boards "
                f"with --where, or break it: hil boards release {self.conn.endpoint.name} --force",
            )
        raise LeaseError(f"{self.conn.endpoint.name}: could not take the board's lease (contended)")

    def _try(self) -> str:
        holder = shlex.quote(self.holder)
        script = (
            f'd="{LEASE_DIR}"; now=$(date +%s); '
            f'if mkdir "$d" 2>/dev/null || {{ '
            f'  if [ -f "$d/expires" ]; then exp=$(cat "$d/expires"); '
            f'  else exp=$(( $(stat -c %Y "$d" 2>/dev/null || echo 0) + 60 )); fi; '
            f'  [ "$now" -ge "${{exp:-0}}" ] && rm -rf "$d" && mkdir "$d"; }}; then '
            f'  echo {holder} > "$d/holder"; echo $((now + {int(self.ttl_s)})) > "$d/expires"; '
            f"  echo ACQUIRED; "
            f'else left=$(( $(cat "$d/expires" 2>/dev/null || echo $now) - now )); '
            f'  echo "BUSY $left $(cat "$d/holder" 2>/dev/null)"; fi'
        )
        res = self.conn.run_script(script, STEP_TIMEOUT_S)
        return res.stdout.strip().splitlines()[-1] if res.stdout.strip() else ""

    def renew(self) -> None:
        """Push the expiry out again; raises InfraError when the lease is no longer ours."""
        action = f'echo $(( $(date +%s) + {int(self.ttl_s)} )) > "$d/expires"; echo OURS'
        res = self.conn.run_script(self._if_ours(action), STEP_TIMEOUT_S)
        if "OURS" not in res.stdout:
            now = res.stdout.strip()
            raise LeaseError(
                f"{self.conn.endpoint.name}: lost the board's lease during the run "
                f"({'now held by ' + describe(now) if now else 'it was removed'}); "
                "stopping this board's jobs",
                hint="someone broke or took over the lease (hil boards release --force?); run again",
            )

    def release(self) -> None:
        self.conn.run_script(self._if_ours('rm -rf "$d"; echo OURS'), STEP_TIMEOUT_S)

    def _if_ours(self, action: str) -> str:
        return (
            f'd="{LEASE_DIR}"; '
            f'if [ "$(cat "$d/holder" 2>/dev/null)" = {shlex.quote(self.holder)} ]; then {action}; '
            f'else cat "$d/holder" 2>/dev/null; fi'
        )


def read_holder(conn: BoardConnection) -> tuple[str, int] | None:
    """The lease on a board now: (holder line, seconds left), or None when it is free."""
    res = conn.run_script(
        f'd="{LEASE_DIR}"; [ -d "$d" ] || exit 0; '
        'now=$(date +%s); exp=$(cat "$d/expires" 2>/dev/null || echo "$now"); '
        'echo "$((exp - now)) $(cat "$d/holder" 2>/dev/null)"',
        STEP_TIMEOUT_S,
    )
    line = res.stdout.strip()
    if not line:
        return None
    left, _, holder = line.partition(" ")
    return holder, int(left) if left.lstrip("-").isdigit() else 0


def break_lease(conn: BoardConnection, holder: str) -> bool:
    """Remove the lease if `holder` still holds it (compare, then remove, in one board-side script)."""
    res = conn.run_script(
        f'd="{LEASE_DIR}"; if [ "$(cat "$d/holder" 2>/dev/null)" = {shlex.quote(holder)} ]; '
        f'then rm -rf "$d" && echo BROKEN; fi',
        STEP_TIMEOUT_S,
    )
    return "BROKEN" in res.stdout
