"""Toolchain releases a simulated board can be started at: `hil sim up --toolchain orin=trt8.5`.

The names and the `sim_toolchain` versions each sets come from the vendor conformance files
(hil/sim/conformance/<platform>-<toolchain>.yaml, `sim_release` / `sim_releases`), so a release exists here
exactly when a cited file describes it, and the board's emulated tools then follow that file:

- orin `trt8.5` / `trt8.6` / `trt10.3` (the default): tensorrt 8.5.2 (JetPack 5.1), 8.6.2 (JetPack 6.0),
  10.3.0 (JetPack 6.1/6.2): the trtexec banner, and the flags that release accepts (`--buildOnly` before
  8.6, both names at 8.6 with a deprecation warning, only `--skipInference` from 10.0);
- qcs8255 `snpe2.20` / `snpe2.22` (the default): the SDK folder and the version the SNPE tools print;
- tda4vm `tidl08.06` (the default) / `tidl09.02` / `tidl10.01`: $TIDL_TOOLS_PATH/version.txt and
  EDGEAI_SDK_VERSION (the emulated TIDL library itself prints 08_06's log layout at every release);
- any platform `py3.8`: the board's python3 is a real Python 3.8 of this machine (hil.sim.pythons).
"""

from __future__ import annotations

import re

from hil.errors import ConfigError
from hil.sim import conformance

PLATFORMS = ("orin", "qcs8255", "tda4vm")
ANY: dict[str, dict[str, str]] = {"py3.8": {"python": "3.8"}}


def releases(platform: str) -> dict[str, dict[str, str]]:
    """The simulated releases of `platform`, oldest first (from its conformance files)."""
    names = conformance.release_names(platform)

    def age(item: tuple[str, dict[str, str]]) -> list[list[int]]:
        return [[int(n) for n in re.findall(r"\d+", v)] for v in item[1].values()]

    return dict(sorted(names.items(), key=age))


def parse_toolchains(texts: list[str]) -> dict[str, dict[str, str]]:
    """`orin=trt8.5` (repeatable; `orin=trt8.5,py3.8` for several) -> platform -> sim_toolchain versions."""
    chosen: dict[str, dict[str, str]] = {}
    for text in texts:
        platform, _, names = text.partition("=")
        if platform not in PLATFORMS or not names:
            raise ConfigError(
                f"--toolchain {text!r} is not PLATFORM=RELEASE",
                hint="e.g. --toolchain orin=trt8.5; platforms: " + ", ".join(PLATFORMS),
            )
        for name in names.split(","):
            known = {**releases(platform), **ANY}
            if name not in known:
                raise ConfigError(
                    f"--toolchain {text!r}: {platform} has no simulated release {name!r}",
                    hint=f"choose from {', '.join(known)} (hil/sim/toolchains.py says what each changes)",
                )
            chosen.setdefault(platform, {}).update(known[name])
    return chosen


def python_notes(chosen: dict[str, dict[str, str]]) -> list[str]:
    """A note per chosen release whose conformance file names a board Python the rack offers (`py3.8`) that
    was not chosen too: e.g. JetPack 5's 3.8 (the simulated board would run hil's own python3)."""
    notes = []
    for platform, versions in chosen.items():
        for key, version in versions.items():
            table = conformance.table_for(platform, key, version) or {}
            wanted = str((table.get("board") or {}).get("python", ""))
            if f"py{wanted}" in ANY and versions.get("python") != wanted:  # a Python the rack offers
                name = f"{platform}={table.get('sim_release', version)}"
                notes.append(
                    f"{name}: a real board has Python {wanted}; the simulated one runs hil's own python3 "
                    f"unless you add py{wanted} (--toolchain {name},py{wanted})"
                )
    return notes
