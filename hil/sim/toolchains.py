"""Toolchain releases a simulated board can be started at: `hil sim up --toolchain orin=trt8.5`.

Each name maps to the `sim_toolchain` versions the board's emulated tools then report (see
hil.sim.boards.toolchain_version). Only releases whose differences the emulations follow are listed:

- orin `trt8.5`: tensorrt 8.5.2 (JetPack 5.1): banner `[TensorRT v8502]`, `--buildOnly` (`--skipInference`
  refused as an unknown option);
- orin `trt10.3`: tensorrt 10.3.0 (JetPack 6.1/6.2, the default): `[TensorRT v100300] [b17]`,
  `--skipInference`;
- qcs8255 `snpe2.20` / `snpe2.22` (the default): the SDK folder and the version the SNPE tools print;
- any platform `py3.8`: the board's python3 is a real Python 3.8 of this machine (hil.sim.pythons).
"""

from __future__ import annotations

from hil.errors import ConfigError

RELEASES: dict[str, dict[str, dict[str, str]]] = {
    "orin": {"trt8.5": {"tensorrt": "8.5.2"}, "trt10.3": {"tensorrt": "10.3.0"}},
    "qcs8255": {"snpe2.20": {"snpe": "2.20.0.240223"}, "snpe2.22": {"snpe": "2.22.0.240425"}},
    "tda4vm": {},
}
ANY: dict[str, dict[str, str]] = {"py3.8": {"python": "3.8"}}


def parse_toolchains(texts: list[str]) -> dict[str, dict[str, str]]:
    """`orin=trt8.5` (repeatable; `orin=trt8.5,py3.8` for several) -> platform -> sim_toolchain versions."""
    chosen: dict[str, dict[str, str]] = {}
    for text in texts:
        platform, _, names = text.partition("=")
        if platform not in RELEASES or not names:
            raise ConfigError(
                f"--toolchain {text!r} is not PLATFORM=RELEASE",
                hint="e.g. --toolchain orin=trt8.5; platforms: " + ", ".join(RELEASES),
            )
        for name in names.split(","):
            known = {**RELEASES[platform], **ANY}
            if name not in known:
                raise ConfigError(
                    f"--toolchain {text!r}: {platform} has no simulated release {name!r}",
                    hint=f"choose from {', '.join(known)} (hil/sim/toolchains.py says what each changes)",
                )
            chosen.setdefault(platform, {}).update(known[name])
    return chosen
