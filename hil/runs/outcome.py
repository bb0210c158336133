"""Who is to blame when a replay fails on a reachable board: the model (`fail`) or the infrastructure.

- killed by a signal (a shell reports 128 + N; SSH a negative status), a timeout (exit 124 from
  `timeout`), a full disk (ENOSPC in the tool's words): `infra_error`, never the model's fault;
- anything else the harness or the vendor runtime rejected (the model's shapes, outputs, ops): `fail`,
  with the tool's own last error line.
A lost connection never gets here: the transport raises InfraError for it.
"""

from __future__ import annotations

import re
import signal

from hil.records import Outcome

TIMEOUT_EXIT = 124  # coreutils `timeout`
DISK_FULL = ("No space left on device", "ENOSPC", "Disk quota exceeded")
# A tool's own error line: `module.Error: text` (a Python exception), `tool: text`, or one saying error.
ERROR_LINE = re.compile(r"^[A-Za-z_][\w.-]*: \S|error", re.IGNORECASE)
MAX_MESSAGE = 400


def error_line(lines: list[str]) -> str:
    """The last error line and what follows it (an exception's message may span lines), on one line."""
    for k in range(len(lines) - 1, -1, -1):
        if ERROR_LINE.search(lines[k]) and not lines[k].startswith((" ", "\t")):  # not a traceback frame
            text = " ".join(line.strip() for line in lines[k:])
            return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."
    return lines[-1].strip()


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def classify_replay_failure(exit_code: int, stderr: str) -> tuple[Outcome, str]:
    """(outcome, message) for a harness that exited with `exit_code` and printed `stderr`."""
    lines = [line.rstrip() for line in stderr.strip().splitlines() if line.strip()]
    tail = error_line(lines) if lines else f"exit code {exit_code}"
    full = next((line for line in lines if any(mark in line for mark in DISK_FULL)), None)
    if full is not None:
        return "infra_error", f"the board's disk is full: {full}"
    if exit_code == TIMEOUT_EXIT:
        return "infra_error", f"the replay timed out on the board (exit 124): {tail}"
    number = exit_code - 128 if exit_code > 128 else -exit_code if exit_code < 0 else 0
    if 0 < number < 65:
        name = signal_name(number)
        return "infra_error", f"the replay was killed by {name} (exit {exit_code}) on the board: {tail}"
    return "fail", f"the harness failed on the board: {tail}"
