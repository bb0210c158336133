"""Conversion on a build host the inventory names (`build_host:`), then the engine shipped to the board.

Vendor converters often live on an x86 host (TIDL's tools do not run on the TDA4VM itself; SNPE's converters
are x86 Linux tools). The build host is reached over SSH with the same machinery as a board: its facts are
read, the model (and clips, for converters that calibrate) pushed content-addressed, the platform's own
`convert` run there, and the engine - a file, or a folder such as TIDL's artifacts - packed with tar,
fetched, and pushed to the board under the same content address. Conversions on one build host are
serialised, so boards that share it never build the same engine twice at once.
"""

from __future__ import annotations

import posixpath
import shlex
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from hil.errors import InfraError
from hil.platforms.base import BoardContext, Conversion
from hil.records import Precision
from hil.runs.context import board_context, harness_items
from hil.runs.target import BoardTarget
from hil.transport.push import PushItem, item, push
from hil.transport.ssh import BoardConnection

_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()
SHIP_TIMEOUT_S = 600.0


def _lock(name: str) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(name, threading.Lock())


class BuildHost:
    """One board job's use of its build host; open lazily, close with the job."""

    def __init__(self, target: BoardTarget, tag: str | None = None) -> None:
        self.target = target
        self.tag = tag  # names this job's commands on the build host, so a stopped run can kill them
        self.conn: BoardConnection | None = None
        self.ctx: BoardContext | None = None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()

    def context(self) -> BoardContext:
        """The build host's context, connected on first use (also for host steps of a replay)."""
        if self.ctx is None:
            self.conn = BoardConnection(self.target.endpoint, tag=self.tag)
            self.conn.open()
            self.ctx = board_context(self.target, self.conn)
        return self.ctx

    def convert(
        self,
        board: BoardContext,
        model: Path,
        model_sha: str,
        precision: Precision,
        clips: list[Path],
        input_spec: dict[str, Any] | None,
        input_shapes: dict[str, list[int]] | None = None,
        calibration_frames: int | None = None,
        keep: Sequence[str] | None = None,
    ) -> tuple[Conversion, int]:
        """The engine built on the build host, now on the board; and the bytes shipped to the board."""
        with _lock(self.target.name):
            ctx = self.context()
            items = [item(model, ctx.path("blobs"))] + [item(c, ctx.path("blobs")) for c in clips]
            push(ctx.conn, [*items, *harness_items(ctx)])
            conversion = self.target.platform.convert(
                ctx,
                items[0].remote,
                model_sha,
                precision,
                clips=[i.remote for i in items[1:]],
                input_spec=input_spec,
                input_shapes=input_shapes,
                calibration_frames=calibration_frames,
                keep=keep,
            )
            with tempfile.TemporaryDirectory(prefix="hil-engine-") as tmp:
                packed = Path(tmp) / f"{conversion.key}.tar"
                packed.write_bytes(self._pack(ctx, conversion.engine))
                on_board, shipped = self._ship(board, packed, posixpath.basename(conversion.engine))
        note = f"(built on {self.target.name})"
        return replace(conversion, engine=on_board, command=f"{conversion.command}  {note}"), shipped

    def _pack(self, ctx: BoardContext, engine: str) -> bytes:
        parent, name = posixpath.split(engine)
        tar = f"{engine}.tar"
        res = ctx.conn.run_script(
            f"tar -C {shlex.quote(parent)} -cf {shlex.quote(tar)} {shlex.quote(name)}", SHIP_TIMEOUT_S
        )
        if not res.ok:
            raise InfraError(f"{ctx.name}: could not pack the engine {engine}: {res.stderr.strip()}")
        return ctx.conn.read(tar)

    @staticmethod
    def _ship(board: BoardContext, packed: Path, name: str) -> tuple[str, int]:
        blob: PushItem = item(packed, board.path("blobs"))
        result = push(board.conn, [blob])
        engines = board.path("engines")
        target = posixpath.join(engines, name)
        res = board.conn.run_script(
            f"mkdir -p {shlex.quote(engines)} && rm -rf {shlex.quote(target)} && "
            f"tar -C {shlex.quote(engines)} -xf {shlex.quote(blob.remote)}",
            SHIP_TIMEOUT_S,
        )
        if not res.ok:
            raise InfraError(f"{board.name}: could not unpack the engine from the build host: {res.stderr}")
        return target, result.bytes_pushed
