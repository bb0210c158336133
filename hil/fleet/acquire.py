"""Engines with provenance: fetch the engine a passing HIL run built from the rack board that built it,
record its outputs on the reference clip there, and keep both in the artifact store with a signed manifest.

An engine is identified by (model sha256, precision, platform, toolchain); a vehicle may only receive an
engine whose HIL evidence matches its platform and toolchain (the platform's fingerprint facts, less the
power mode, which is a setting rather than a toolchain).
"""

from __future__ import annotations

import contextlib
import posixpath
import shlex
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hil.errors import ArtifactError, HilError
from hil.fleet.artifacts import ArtifactStore, EngineArtifact, Manifest, Reference, sha256_bytes
from hil.fleet.keys import SigningKey
from hil.fleet.selftest import p99, read_frames, selftest_request, selftest_script
from hil.inventory import Inventory
from hil.platforms import get
from hil.runs.build import BuildHost
from hil.runs.context import board_context, harness_items
from hil.runs.simulated import simulated_boards
from hil.runs.target import target_for
from hil.sim.rack import SimRack
from hil.store.schema import now
from hil.transport.push import item, push, sha256_file
from hil.transport.ssh import BoardConnection

Key = tuple[str, tuple[tuple[str, str], ...]]  # (platform, toolchain)
_STARTING = threading.Lock()
SETTINGS_KEYS = ("power_mode", "cpu_max_mhz", "gpu_max_mhz")  # how a board is set, not its toolchain


def toolchain_of(platform: str, facts: dict[str, str]) -> dict[str, str]:
    keys = [k for k in get(platform).fingerprint_keys() if k not in SETTINGS_KEYS]
    return {k: facts.get(k, "") for k in keys}


@dataclass(frozen=True)
class ModelFiles:
    name: str
    path: Path  # the ONNX the evidence was recorded with (the precision's variant)
    sha256: str
    precision: str
    input_spec: dict[str, Any] | None
    calibration_sha256: str | None


@dataclass(frozen=True)
class Acquired:
    engines: dict[tuple[str, tuple[tuple[str, str], ...]], EngineArtifact]  # (platform, toolchain) -> engine
    problems: dict[tuple[str, tuple[tuple[str, str], ...]], str]  # evidence that yields no engine, why


def key_of(platform: str, toolchain: dict[str, str]) -> tuple[str, tuple[tuple[str, str], ...]]:
    return platform, tuple(sorted(toolchain.items()))


def acquire(
    evidence: list[dict[str, Any]],
    model: ModelFiles,
    rack_inv: Inventory,
    rack: SimRack,
    known_hosts: Path,
    clip: Path,
    store: ArtifactStore,
    key: SigningKey,
) -> Acquired:
    """One engine per (platform, toolchain) with passing evidence: from the store, else from the rig."""
    groups: dict[tuple[str, tuple[tuple[str, str], ...]], list[dict[str, Any]]] = {}
    for row in evidence:
        groups.setdefault(
            key_of(row["platform"], toolchain_of(row["platform"], row["fingerprint"])), []
        ).append(row)
    engines: dict[tuple[str, tuple[tuple[str, str], ...]], EngineArtifact] = {}
    problems: dict[tuple[str, tuple[tuple[str, str], ...]], str] = {}
    by_rig: dict[str, list[tuple[Key, list[dict[str, Any]]]]] = {}
    for gkey, rows in groups.items():
        platform, toolchain = gkey[0], dict(gkey[1])
        found = store.find(model.sha256, model.precision, platform, toolchain)
        if found is not None:
            engines[gkey] = found
            continue
        rows_on_rack = [r for r in rows if r["board"] in rack_inv.boards and r["engine_key"]]
        if not rows_on_rack:
            problems[gkey] = "the boards of its HIL evidence are not in the rack inventory"
            continue
        by_rig.setdefault(rows_on_rack[0]["board"], []).append((gkey, rows_on_rack))

    def fetch(work: list[tuple[Key, list[dict[str, Any]]]]) -> None:
        for gkey, rows in work:  # one rig's engines one after the other; different rigs at once
            try:
                engines[gkey] = _from_rig(
                    rows, model, dict(gkey[1]), rack_inv, rack, known_hosts, clip, store, key
                )
            except HilError as exc:
                problems[gkey] = exc.message

    with ThreadPoolExecutor(max_workers=max(1, len(by_rig))) as pool:
        for done in [pool.submit(fetch, work) for work in by_rig.values()]:
            done.result()
    return Acquired(  # in the evidence's order, whichever rig answered first
        {k: engines[k] for k in groups if k in engines}, {k: problems[k] for k in groups if k in problems}
    )


def _from_rig(
    rows: list[dict[str, Any]],
    model: ModelFiles,
    toolchain: dict[str, str],
    rack_inv: Inventory,
    rack: SimRack,
    known_hosts: Path,
    clip: Path,
    store: ArtifactStore,
    key: SigningKey,
) -> EngineArtifact:
    row = rows[0]
    board = rack_inv.boards[row["board"]]
    # A rig whose vendor tools for reading the replay run on an x86_64 host only (SNPE's snpe-diagview)
    # finishes its reference replay on its build host, as `hil run` does.
    builder = rack_inv.boards.get(board.build_host) if board.build_host else None
    target = target_for(board, known_hosts, rack.client_key, builder)
    with contextlib.ExitStack() as stack:
        with _STARTING:  # one simulated rig starts at a time: a first start writes the shared known_hosts
            stack.enter_context(simulated_boards(rack, [board, *([builder] if builder is not None else [])]))
        conn = stack.enter_context(BoardConnection(target.endpoint))
        ctx = board_context(target, conn)
        engines_dir = ctx.path("engines")
        listing = conn.run_script(
            f"cd {shlex.quote(engines_dir)} && for f in {shlex.quote(row['engine_key'])}.*; do "
            'case "$f" in *.json|*.log|*.part) ;; '
            '*) if [ -d "$f" ]; then echo "d $f"; else echo "f $f"; fi;; esac; done',
            30,
        )
        entries = [line.split(" ", 1) for line in listing.stdout.splitlines() if " " in line]
        if not entries:
            raise ArtifactError(
                f"the engine of HIL result {row['run_id']} is gone from {board.name}'s engine cache",
                hint="rerun hil run (or hil deploy --build) to build it again",
            )
        kind, name = entries[0]
        remote_engine = posixpath.join(engines_dir, name)
        suffix = name[len(row["engine_key"]) :]
        if kind == "d":
            # A folder of artifacts (TIDL): rolled out as one tar, unpacked on the vehicle after verification.
            engine_bytes = _tar_folder(conn, engines_dir, name)
            suffix += ".tar"
        else:
            engine_bytes = conn.read(remote_engine)
        sha = sha256_bytes(engine_bytes)
        # The reference outputs: the same engine over the reference clip, on the board that passed HIL.
        items = [item(clip, ctx.path("blobs")), *harness_items(ctx)]
        push(conn, items)
        platform = get(board.platform)
        rundir = ctx.path("fleet-reference", sha[:16])
        request = selftest_request(
            remote_engine, items[0].remote, rundir, ctx.harness_dir, model.input_spec,
            host_steps=target.build_host is not None,
        )  # fmt: skip
        res = conn.run_script(selftest_script(platform, ctx.workdir, request, ctx.sim), ctx.timeout_s)
        if not res.ok:
            said = (res.stderr.strip().splitlines() or [f"exit code {res.exit_code}"])[-1]
            raise ArtifactError(f"the reference replay failed on {board.name}: {said}")
        if target.build_host is not None:
            host = BuildHost(target.build_host)
            try:
                platform.finish_replay(ctx, request, host.context())
            except HilError as exc:
                raise ArtifactError(f"the reference replay failed on {board.name}: {exc.message}") from exc
            finally:
                host.close()
        outputs, predicted, latency = read_frames(conn.read(request.out).decode())
    manifest = Manifest(
        engine_sha256=sha,
        engine_file="engine" + suffix,
        engine_bytes=len(engine_bytes),
        model=model.name,
        model_sha256=model.sha256,
        calibration_sha256=model.calibration_sha256,
        precision=model.precision,
        platform=board.platform,
        toolchain=toolchain,
        evidence=[
            {k: r[k] for k in ("run_id", "board", "clip", "accuracy", "lat_p99", "lat_max", "created_at")}
            for r in rows
        ],
        reference=Reference(
            clip=clip.name,
            clip_sha256=sha256_file(clip),
            frames=len(outputs),
            outputs=outputs,
            predicted=predicted,
            latency_p99_ms=round(p99(latency), 4),
            board=board.name,
        ),
        created_at=now(),
    )
    return store.add(engine_bytes, manifest, key)


def _tar_folder(conn: BoardConnection, parent: str, name: str) -> bytes:
    tar = posixpath.join(parent, f".{name}.fleet.tar")
    q = shlex.quote
    res = conn.run_script(f"tar -C {q(parent)} -cf {q(tar)} {q(name)}", 120)
    if not res.ok:
        raise ArtifactError(f"could not pack the engine folder {name}: {res.stderr.strip()[-300:]}")
    try:
        return conn.read(tar)
    finally:
        conn.run_script(f"rm -f {q(tar)}", 30)
