"""The self-test replay: one engine over the short reference clip, on a rack board or a vehicle.

The command is the platform's own replay (`Platform.replay_argv`, what `hil run` uses), so an engine is
exercised on a vehicle exactly as it was on the HIL rig. Only paths differ; nothing here opens a connection.
"""

from __future__ import annotations

import json
import posixpath
import shlex
from typing import Any, cast

from hil.platforms.base import BoardContext, Platform, ReplayRequest
from hil.transport.ssh import BoardConnection

REFERENCE_FRAMES = 24  # frames of the reference clip replayed by every self-test
WARMUP_FRAMES = 4  # of which the first few are left out of latency figures


def selftest_script(platform: Platform, workdir: str, request: ReplayRequest, sim: bool) -> str:
    """The shell line that replays `request` (selftest_request) on the board, writing harness JSON lines to
    `request.out`. With `request.host_steps`, the steps that need a host-only vendor tool are left out: the
    platform's finish_replay runs them on the build host after the line."""
    # replay_argv only reads paths from the context; no connection is used to build a command line.
    ctx = BoardContext(name="selftest", conn=cast(BoardConnection, None), workdir=workdir, sim=sim)
    ctx.harness_dir = request.harness_dir
    argv = platform.replay_argv(ctx, request)
    fresh = f"rm -rf {shlex.quote(request.rundir)} && mkdir -p {shlex.quote(request.rundir)}"
    return f"{fresh} && {shlex.join(argv)}"


def selftest_request(
    engine: str,
    clip: str,
    rundir: str,
    harness_dir: str,
    input_spec: dict[str, Any] | None,
    host_steps: bool = False,
) -> ReplayRequest:
    """`engine` over `clip`, self-test frames, into `rundir/frames.jsonl`."""
    out = posixpath.join(rundir, "frames.jsonl")
    return ReplayRequest(
        harness_dir=harness_dir,
        engine=engine,
        clip=clip,
        rundir=rundir,
        out=out,
        warmup=WARMUP_FRAMES,
        max_frames=REFERENCE_FRAMES,
        fps=0.0,
        input_spec=input_spec,
        host_steps=host_steps,
    )


def read_frames(text: str) -> tuple[list[list[float]], list[int | None], list[float]]:
    """(outputs, predicted, latency of measured frames in ms) from harness JSON lines."""
    outputs: list[list[float]] = []
    predicted: list[int | None] = []
    latency: list[float] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        if "summary" in record:
            continue
        outputs.append([float(v) for v in record.get("output", [])])
        predicted.append(record.get("predicted"))
        if not record.get("warmup"):
            latency.append(float(record["infer_ms"]))
    return outputs, predicted, latency


def p99(values: list[float]) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
