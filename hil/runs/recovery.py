"""The recovery ladder, climbed after an infrastructure error on a board:

reconnect -> reboot over SSH (the inventory's `reboot_command`) -> power cycle (the inventory's
`power_cycle`, a command run on the controller, e.g. a PDU's CLI) -> bad.

Each rung is reported as a RecoveryRung event (the run stores it with its time and output). The ladder stops
at the first rung that brings the board back (it answers a command over SSH again); the board's jobs without
a result are then tried again. When every rung fails the board is marked bad (quarantined).
A simulated board's power cycle, unless its inventory names one, is its rack restarting it. A changed host
key is never climbed: it is refused until a person trusts the new key (`hil boards trust`).
"""

from __future__ import annotations

import shlex
import subprocess
import time
from collections.abc import Callable

from hil.errors import HilError, HostKeyError, InfraError
from hil.runs.control import RunControl
from hil.runs.events import Event, RecoveryRung
from hil.runs.target import BoardTarget
from hil.transport.ssh import BoardConnection

POWER_CYCLE_TIMEOUT_S = 120.0
POLL_S = 2.0

# A power cycle the run provides itself (simulated boards): board name -> output; raises HilError.
SimPowerCycle = Callable[[str], str]


def reachable(target: BoardTarget) -> str:
    """'' when the board answers a command now, else why not."""
    try:
        with BoardConnection(target.endpoint) as conn:
            res = conn.run(["true"], 15)
            return "" if res.ok else f"`true` exited {res.exit_code}"
    except HilError as exc:
        return exc.message


class RecoveryLadder:
    def __init__(
        self, emit: Callable[[Event], None], control: RunControl, sim_power: SimPowerCycle | None
    ) -> None:
        self.emit, self.control, self.sim_power = emit, control, sim_power

    def __call__(self, target: BoardTarget, error: InfraError) -> bool:
        if isinstance(error, HostKeyError):
            # Not a fault a reboot or power cycle may paper over: a person decides (hil boards trust).
            return False
        rungs: list[tuple[str, Callable[[BoardTarget], str]]] = [("reconnect", self._reconnect)]
        if target.reboot_command:
            rungs.append(("reboot", self._reboot))
        if target.power_cycle or (target.sim and self.sim_power is not None):
            rungs.append(("power_cycle", self._power_cycle))
        for name, rung in rungs:
            if self.control.stop.is_set():
                return False
            start = time.monotonic()
            try:
                problem = rung(target)
            except HilError as exc:
                problem = exc.message
            self.emit(RecoveryRung(target.name, name, not problem, time.monotonic() - start, problem or "ok"))
            if not problem:
                return True
        self.emit(RecoveryRung(target.name, "bad", False, 0.0, f"every rung failed after: {error.message}"))
        return False

    def _reconnect(self, target: BoardTarget) -> str:
        return reachable(target)

    def _reboot(self, target: BoardTarget) -> str:
        assert target.reboot_command is not None
        with BoardConnection(target.endpoint) as conn:
            # Detached, so the reboot outlives this session; its answer is not waited for.
            script = f"nohup sh -c {shlex.quote('sleep 1; ' + target.reboot_command)} >/dev/null 2>&1 &"
            conn.run_script(script, 30)
        time.sleep(3)  # the board goes down before it comes back
        return self._wait_back(target, "reboot")

    def _power_cycle(self, target: BoardTarget) -> str:
        if target.power_cycle:
            try:
                proc = subprocess.run(
                    shlex.split(target.power_cycle), capture_output=True, text=True,
                    timeout=POWER_CYCLE_TIMEOUT_S, stdin=subprocess.DEVNULL,
                )  # fmt: skip
            except (OSError, subprocess.TimeoutExpired) as exc:
                return f"power_cycle command {target.power_cycle!r} failed: {exc}"
            if proc.returncode != 0:
                said = (proc.stderr or proc.stdout).strip()[-500:]
                return f"power_cycle command exited {proc.returncode}: {said}"
        else:
            assert self.sim_power is not None
            self.sim_power(target.name)
        return self._wait_back(target, "power cycle")

    def _wait_back(self, target: BoardTarget, what: str) -> str:
        deadline = time.monotonic() + target.recovery_wait_s
        problem = ""
        while time.monotonic() < deadline and not self.control.stop.is_set():
            problem = reachable(target)
            if not problem:
                return ""
            time.sleep(POLL_S)
        return f"not back {target.recovery_wait_s:g} s after the {what}: {problem or 'stopped'}"
