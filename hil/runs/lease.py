"""A time-limited lease on a board, so two runs (two nightly jobs, a person and CI) never share a board.

The lease is a folder `~/.hil-lease` on the board, taken with an atomic `mkdir`; it records its holder and
an expiry time (the board's clock). A lease whose holder died expires by itself; the holder renews it at
each step, so a long run keeps it while a dead one loses it within one TTL. A folder without an expiry
(a holder cut off between its two writes) counts as expired once it is a minute old.
"""

from __future__ import annotations

import os
import secrets
import shlex
import socket
from dataclasses import dataclass

from hil.errors import InfraError
from hil.transport.ssh import BoardConnection

LEASE_DIR = "$HOME/.hil-lease"  # expanded by the board's shell; constant, never user input
STEP_TIMEOUT_S = 30.0


@dataclass
class Lease:
    conn: BoardConnection
    ttl_s: int
    holder: str = ""

    def __post_init__(self) -> None:
        if not self.holder:
            self.holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"

    def acquire(self) -> None:
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
            f'  echo "BUSY $(cat "$d/holder" 2>/dev/null) $left"; fi'
        )
        res = self.conn.run_script(script, STEP_TIMEOUT_S)
        answer = res.stdout.strip().splitlines()[-1] if res.stdout.strip() else ""
        if answer == "ACQUIRED":
            return
        _, _, rest = answer.partition(" ")
        other, _, left = rest.rpartition(" ")
        raise InfraError(
            f"{self.conn.endpoint.name}: board is leased by {other or 'another run'} "
            f"for {left or '?'} s more; not touching it",
            hint="wait for that run to end (its lease expires by itself if it died), or pick other boards "
            "with --where",
        )

    def renew(self) -> None:
        """Push the expiry out again, if the lease is still ours."""
        self.conn.run_script(self._if_ours(f'echo $(( $(date +%s) + {int(self.ttl_s)} )) > "$d/expires"'), 30)

    def release(self) -> None:
        self.conn.run_script(self._if_ours('rm -rf "$d"'), STEP_TIMEOUT_S)

    def _if_ours(self, action: str) -> str:
        return (
            f'd="{LEASE_DIR}"; '
            f'if [ "$(cat "$d/holder" 2>/dev/null)" = {shlex.quote(self.holder)} ]; then {action}; fi'
        )
