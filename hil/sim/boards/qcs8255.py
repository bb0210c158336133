"""Simulated Qualcomm QCS8255: its identity files, SNPE SDK folder and modelled input power.

Files (under $HIL_BOARD_ROOT, read by the qcs8255 platform's facts commands):
    sys/devices/soc0/machine, family    the SoC as Qualcomm's socinfo driver names it
    opt/qcom/aistack/qairt/<version>/   $SNPE_ROOT of the board's SNPE/QNN SDK (QAIRT 2.22)

Power: the emulated bench meter `qcs-meter` (hil.sim.tools.qcs_meter) reads the board's 12 V input as
modelled by hil.sim.power_model from the measured CPU load of the board's processes:

    VIN_12V_mW(load) = idle + (full - idle) * load

| mode    | rail    | idle mW | full mW |
|---------|---------|---------|---------|
| default | VIN_12V | 1800    | 5400    |

Round figures for a QCS8255 / SA8255P-class module at its 12 V input (SoC, LPDDR5, UFS and board power
together): a few watts idle, under 10 W with CPU, GPU and HTP busy. They are assumptions for the simulation,
not measurements, and every figure derived from them is stored as `sim-model`.
"""

from __future__ import annotations

from pathlib import Path

from hil.sim.boards import toolchain_version
from hil.sim.dlc import SNPE_VERSION
from hil.sim.power_model import PowerModel, RailSpec

SOC = "QCS8255"
FILES = {
    "sys/devices/soc0/machine": f"{SOC}\n",
    "sys/devices/soc0/family": "Snapdragon\n",
}
METER_RAIL = "VIN_12V"
METER_VOLTAGE_V = 12.0  # the bench supply's set point; the meter's voltage column is this, modelled
POWER_MODELS = {"default": PowerModel("qcs8255", "default", (RailSpec(METER_RAIL, 1800, 5400),))}
DEFAULT_POWER_MODE = "default"


def sdk(root: Path) -> str:
    """$SNPE_ROOT below the board root, named by its SNPE version (inventory `sim_toolchain`)."""
    return f"opt/qcom/aistack/qairt/{toolchain_version('snpe', SNPE_VERSION, root)}"


def populate(root: Path) -> None:
    version = toolchain_version("snpe", SNPE_VERSION, root)
    readme = {f"{sdk(root)}/README.txt": f"Simulated Qualcomm AI Runtime SDK {version} (hil's emulations).\n"}
    for rel, text in {**FILES, **readme}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.write_text(text)


def environment(root: Path) -> dict[str, str]:
    return {"SNPE_ROOT": str(root / sdk(root))}
