"""The engine cache every platform keeps on the board: `<workdir>/engines/<key>.*`.

The key hashes everything that decides the engine (model sha256, precision, converter and its version,
every flag, the facts that matter); beside the engine lie `<key>.json` (the command that built it, how long it
took, its size) and `<key>.log` (what the converter printed), so a cached engine still reports the build it
came from.
"""

from __future__ import annotations

import hashlib
import json
import shlex
from dataclasses import dataclass
from typing import Any

from hil.platforms.base import BoardContext, Conversion


def cache_key(*parts: Any) -> str:
    material = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(material.encode()).hexdigest()[:24]


@dataclass(frozen=True)
class EngineCache:
    ctx: BoardContext
    key: str
    suffix: str  # the engine's suffix after the key: ".engine", ".gpu.dlc", ".tidl" (a folder)

    @property
    def base(self) -> str:
        return self.ctx.path("engines", self.key)

    @property
    def engine(self) -> str:
        return self.base + self.suffix

    @property
    def meta(self) -> str:
        return self.base + ".json"

    @property
    def log(self) -> str:
        return self.base + ".log"

    def lookup(self, ready: str | None = None) -> Conversion | None:
        """The cached conversion, if its engine (or the file `ready` inside it) and its record exist."""
        probe = shlex.quote(ready or self.engine)
        res = self.ctx.conn.run_script(
            f"test -s {probe} && cat {shlex.quote(self.meta)} && cat {shlex.quote(self.log)}", 30
        )
        if not res.ok:
            return None
        header, _, log_text = res.stdout.partition("\n")
        info = json.loads(header)
        return Conversion(
            self.engine, info["command"], log_text, info["seconds"], info["bytes"], True, self.key
        )

    def record(self, command: str, seconds: float, engine_bytes: int, log_text: str) -> Conversion:
        """Write the record beside a freshly built engine and return its conversion."""
        info = json.dumps({"command": command, "seconds": round(seconds, 3), "bytes": engine_bytes})
        self.ctx.conn.run_script(f"printf '%s\\n' {shlex.quote(info)} > {shlex.quote(self.meta)}", 30)
        return Conversion(self.engine, command, log_text, seconds, engine_bytes, False, self.key)
