"""Modelled power of a simulated board: rail milliwatts as a plain function of the board's CPU load.

A host cannot measure what a Jetson's INA3221 would read, so the simulated tegrastats prints rails from
this model, and hil stores every such figure with `power_source = "sim-model"`. The model is linear
between an idle and a full-load reading per rail, deterministic given the load, and monotonic in it:

    rail_mw(load) = idle_mw + (full_mw - idle_mw) * load,   load in 0..1 (clamped)

`load` is the measured CPU load of the board's processes as a fraction of the host's cores (see
procload.py). The constants describe an Orin NX / Orin Nano class module per nvpmodel mode; they are
round figures of the published power envelopes, not measurements. VDD_CPU_GPU_CV (CPU, GPU and CV
clusters) and VDD_SOC are parts of VDD_IN (total module input); the rest of VDD_IN is memory and IO.

| platform / mode | rail            | idle mW | full mW |
|-----------------|-----------------|---------|---------|
| orin 15W        | VDD_IN          | 3000    | 5500    |
|                 | VDD_CPU_GPU_CV  | 600     | 2600    |
|                 | VDD_SOC         | 1000    | 1300    |
| orin 10W        | VDD_IN          | 2900    | 4500    |
|                 | VDD_CPU_GPU_CV  | 550     | 1800    |
|                 | VDD_SOC         | 950     | 1200    |
| orin 25W        | VDD_IN          | 3100    | 7500    |
|                 | VDD_CPU_GPU_CV  | 650     | 4000    |
|                 | VDD_SOC         | 1050    | 1600    |
| orin MAXN       | VDD_IN          | 3200    | 9000    |
|                 | VDD_CPU_GPU_CV  | 700     | 5200    |
|                 | VDD_SOC         | 1100    | 1800    |

The GPU (GR3D) load is modelled as the same load in percent: on the simulated board, inference that a
Jetson would run on its GPU runs on host CPU cores. No GPU clock is modelled (tegrastats prints
`GR3D_FREQ n%` without `@MHz`, a format real boards also print).

Other platforms keep their models in their profile, hil/sim/boards/<platform>.py (POWER_MODELS,
DEFAULT_POWER_MODE), with their own rail names.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RailSpec:
    name: str
    idle_mw: int
    full_mw: int

    def at(self, load: float) -> int:
        return round(self.idle_mw + (self.full_mw - self.idle_mw) * _clamp(load))


@dataclass(frozen=True)
class PowerModel:
    platform: str
    mode: str
    rails: tuple[RailSpec, ...]  # in the order the board's tool prints them

    def rails_mw(self, load: float) -> dict[str, int]:
        """Each rail's modelled reading in mW at `load` (0..1)."""
        return {rail.name: rail.at(load) for rail in self.rails}

    def gpu_load_pct(self, load: float) -> int:
        return round(100 * _clamp(load))


def _clamp(load: float) -> float:
    return min(1.0, max(0.0, load))


def _orin(
    mode: str, vdd_in: tuple[int, int], cpu_gpu_cv: tuple[int, int], soc: tuple[int, int]
) -> PowerModel:
    return PowerModel(
        "orin",
        mode,
        (
            RailSpec("VDD_IN", *vdd_in),
            RailSpec("VDD_CPU_GPU_CV", *cpu_gpu_cv),
            RailSpec("VDD_SOC", *soc),
        ),
    )


MODELS: dict[tuple[str, str], PowerModel] = {
    ("orin", "15W"): _orin("15W", (3000, 5500), (600, 2600), (1000, 1300)),
    ("orin", "10W"): _orin("10W", (2900, 4500), (550, 1800), (950, 1200)),
    ("orin", "25W"): _orin("25W", (3100, 7500), (650, 4000), (1050, 1600)),
    ("orin", "MAXN"): _orin("MAXN", (3200, 9000), (700, 5200), (1100, 1800)),
}
DEFAULT_MODE = {"orin": "15W"}


def model_for(platform: str, mode: str | None = None) -> PowerModel:
    """The power model of `platform` in power mode `mode` (the platform's default mode when None)."""
    from hil.sim.boards import profile  # platforms other than orin keep their models in their profile

    module = profile(platform)
    models = dict(MODELS)
    if module is not None and hasattr(module, "POWER_MODELS"):
        models.update({(platform, m): pm for m, pm in module.POWER_MODELS.items()})
    default = getattr(module, "DEFAULT_POWER_MODE", None) or DEFAULT_MODE.get(platform, "")
    key = (platform, mode or default)
    if key not in models:
        known = ", ".join(f"{p} {m}" for p, m in models)
        raise KeyError(f"no power model for {key[0]} mode {key[1]!r}; known: {known}")
    return models[key]
