"""Faults a test can inject into a simulated board's tools, through the same SSH path as a real board.

A test writes `$HIL_BOARD_ROOT/sim-faults.json`, e.g. `{"trtexec": "crash", "tegrastats": "hang"}`. Every
emulated tool calls `fault_for(<its name>)` before doing anything else and misbehaves as told:

- `hang`: print what the tool prints first, then sleep until killed (tests hil's timeouts).
- `crash`: print part of the normal output, then die with exit status 139, what a shell reports for a
  SIGSEGV. (A real signal would reach hil over SSH as "no exit status"; 139 is what a board's shell
  wrapper shows and what hil's tests can assert.)
- `disk_full`: fail where the tool writes its output file, with the error the real tool prints then.
- `corrupt`: write a damaged output file and report success, as a flaky disk or copy would.
- `unsupported_op`: (trtexec) reject the network as if an operator had no importer.
- `throttle`: (key `thermal`, played by the hil.sim.sysfs sidecar) the board throttles for real: its CPU
  cooling device goes to its top state, its CPU cap halves and its processes get half the CPU, until the
  fault is cleared.
- `down`: (sshd) the board's sshd does not start: the board is unreachable, power cycles do not help.
- `wrong_outputs`: (key `runtime`) the board's inference runtime runs, but its outputs are wrong: reversed
  along the last axis, halved and offset (`wrong_outputs()`), as a broken driver or runtime update would
  give. The simulated TensorRT runtime (hil's harness on a simulated engine) and snpe-net-run honour it.
- `slow`: (runtime: hil's harness replaying on the board, and the emulated snpe-net-run) every inference
  really runs three times, so the measured latency rises the way a slower engine would make it; nothing
  is invented. Set with `hil sim fault BOARD runtime=slow`: how a regression verdict is made on purpose.

- `bad_layer`: (snpe-dlc-quantize, trtexec) the quantizer writes a DLC (trtexec builds an engine) in which
  one layer's weight encodings are wrong (hil.sim.converter_faults): the engine runs and is wrong from that
  layer on, while the host QDQ model is fine, the case `hil diagnose` must blame on the board's converter.

`set_fault` / `clear_faults` edit the file of one board root (`hil sim fault` uses them); `set_fault` takes
only a (tool, mode) pair that `HONOURED` lists, i.e. one some tool really acts out.

No file, or no entry for the tool, means no fault. A malformed file is an error, never silently ignored.
"""

from __future__ import annotations

import errno
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, NoReturn

FAULTS_FILE = "sim-faults.json"
FAULT_MODES = (
    "hang",
    "crash",
    "disk_full",
    "corrupt",
    "unsupported_op",
    "throttle",
    "down",
    "wrong_outputs",
    "slow",
    "bad_layer",
)
# What each tool really acts out (grep `fault_for` in hil/sim and hil/harness): a fault no tool honours
# would let a test "inject" something that changes nothing, so `set_fault` refuses it.
HONOURED: dict[str, tuple[str, ...]] = {
    "runtime": ("wrong_outputs", "slow"),  # hil's harness on a simulated engine; snpe-net-run
    "sshd": ("down",),
    "thermal": ("hang", "crash", "throttle"),  # the hil.sim.sysfs sidecar
    "trtexec": ("hang", "crash", "disk_full", "corrupt", "unsupported_op", "bad_layer"),
    "tegrastats": ("hang", "crash", "disk_full", "corrupt"),
    "nvpmodel": ("hang", "crash"),
    "reboot": ("hang",),
    "snpe-onnx-to-dlc": ("hang", "crash", "disk_full", "corrupt", "unsupported_op"),
    "snpe-dlc-quantize": ("hang", "crash", "disk_full", "corrupt", "bad_layer"),
    "snpe-dlc-graph-prepare": ("hang", "crash", "disk_full", "corrupt"),
    "snpe-net-run": ("hang", "crash", "disk_full", "corrupt"),
    "snpe-diagview": ("hang", "crash"),
    "qcs-meter": ("hang", "crash", "disk_full", "corrupt"),
    "tidl_compile": ("hang", "crash", "disk_full", "corrupt", "unsupported_op"),
    "tidl_run": ("hang", "crash"),
    "ina226": ("hang", "crash", "disk_full", "corrupt"),  # disk_full: the sidecar stops writing (hangs)
}
CRASH_EXIT_CODE = 139  # 128 + SIGSEGV (11), as a shell reports a segfaulted child


class FaultFileError(ValueError):
    """`sim-faults.json` exists but cannot be understood."""


def board_root() -> Path | None:
    """The folder that plays the board's root file system, or None when not run on a simulated board."""
    root = os.environ.get("HIL_BOARD_ROOT")
    return Path(root) if root else None


def fault_for(tool: str, root: Path | None = None) -> str | None:
    """The fault mode configured for `tool` on this board (or the board at `root`), or None."""
    root = root or board_root()
    if root is None:
        return None
    path = root / FAULTS_FILE
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    try:
        table = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FaultFileError(f"{path}: not JSON ({exc})") from exc
    if not isinstance(table, dict):
        raise FaultFileError(f'{path}: expected an object like {{"trtexec": "hang"}}')
    mode = table.get(tool)
    if mode is None:
        return None
    if mode not in FAULT_MODES:
        raise FaultFileError(f"{path}: unknown fault {mode!r} for {tool}; known: {', '.join(FAULT_MODES)}")
    return str(mode)


def read_faults(root: Path) -> dict[str, str]:
    """The fault table of one board root ({} when none is set)."""
    path = root / FAULTS_FILE
    try:
        table = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except json.JSONDecodeError as exc:
        raise FaultFileError(f"{path}: not JSON ({exc})") from exc
    if not isinstance(table, dict):
        raise FaultFileError(f'{path}: expected an object like {{"trtexec": "hang"}}')
    return {str(k): str(v) for k, v in table.items()}


def set_fault(root: Path, tool: str, mode: str) -> dict[str, str]:
    """Set `tool`'s fault on the board whose root is `root`; return the whole table now in force."""
    if mode not in FAULT_MODES:
        raise FaultFileError(f"unknown fault {mode!r} for {tool}; known: {', '.join(FAULT_MODES)}")
    if tool not in HONOURED:
        raise FaultFileError(f"no simulated tool {tool!r} acts out faults; tools: {', '.join(HONOURED)}")
    if mode not in HONOURED[tool]:
        raise FaultFileError(
            f"{tool} does not act out {mode!r} (no tool would honour it); {tool} acts out: "
            + ", ".join(HONOURED[tool])
        )
    table = {**read_faults(root), tool: mode}
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / (FAULTS_FILE + ".tmp")
    tmp.write_text(json.dumps(table, indent=2, sort_keys=True) + "\n")
    tmp.replace(root / FAULTS_FILE)  # a tool reading it at the same time sees the old or the new table
    return table


def clear_faults(root: Path) -> bool:
    """Remove every fault of one board; True when there was a table to remove."""
    try:
        (root / FAULTS_FILE).unlink()
    except FileNotFoundError:
        return False
    return True


def hang() -> NoReturn:
    """Sleep until killed, the way a wedged driver call looks from outside."""
    sys.stdout.flush()
    sys.stderr.flush()
    while True:
        time.sleep(3600)


def crash() -> NoReturn:
    """Die at once with the segfault exit status; no clean-up, no further output."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(CRASH_EXIT_CODE)


def wrong_outputs(array: Any) -> Any:
    """The `wrong_outputs` perturbation of one output array (numpy): deterministic, shape kept."""
    return array[..., ::-1] * 0.5 + 0.1


def write_output(path: Path, data: bytes, fault: str | None, keep: int = 16) -> None:
    """Write a tool's output file as `fault` says. `disk_full`: a third of it lands, then OSError(ENOSPC)
    as the real write would raise. `corrupt`: 64 bytes after the first `keep` are garbled (keep=0 garbles
    the magic itself), so the damage shows when a loader reads the file."""
    if fault == "disk_full":
        path.write_bytes(data[: len(data) // 3])
        raise OSError(errno.ENOSPC, "No space left on device")
    if fault == "corrupt":
        data = data[:keep] + bytes(b ^ 0x5A for b in data[keep : keep + 64]) + data[keep + 64 :]
    path.write_bytes(data)
