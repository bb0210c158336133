"""Simulated TI TDA4VM (SK-TDA4VM, J721E) with the TIDL tools: identity files, environment, INA226, power.

- Identity: the device-tree model string, and $TIDL_TOOLS_PATH/version.txt of edgeai-tidl-tools 08_06_00_02
  (Processor SDK 08.06 for J721E), the release hil.sim.tidl emulates, or the board's `sim_toolchain: {tidl:
  ...}` release (`hil sim up --toolchain tda4vm=tidl10.01`), with that release's EDGEAI_SDK_VERSION.
- Environment of the board's sessions, as edgeai-tidl-tools' setup_env.sh and the SDK's profile set it:
  SOC, EDGEAI_SDK_VERSION, TIDL_TOOLS_PATH, and PYTHONPATH with the `onnxruntime` shim first, so the
  board's Python sees ONNX Runtime with the TIDL providers (see hil/sim/tidl).
- One INA226 on the SoM's 5 V input at sys/class/hwmon/hwmon0, as the ina2xx driver shows it:
  name, in0_input (shunt mV), in1_input (bus mV), curr1_input (mA), power1_input (uW), shunt_resistor (uOhm),
  update_interval (ms). populate() writes the idle reading; the sidecar hil.sim.tools.tidl_ina226 keeps
  it current from the board's measured CPU load.

Power model (MODELLED, not measured; stored as power_source "sim-model"): linear in the board's CPU load
between round figures for a TDA4VM SoM running DL inference, mode "default" (TDA4VM has no nvpmodel-like
modes; the DVFS operating point is fixed in the firmware):

| platform / mode | rail     | idle mW | full mW |
|-----------------|----------|---------|---------|
| tda4vm default  | VSYS_5V0 | 2200    | 4800    |
"""

from __future__ import annotations

from pathlib import Path

from hil.sim import conformance
from hil.sim.boards import toolchain_version
from hil.sim.power_model import PowerModel, RailSpec
from hil.sim.tidl import TOOLS_VERSION

SHIM_DIR = Path(__file__).resolve().parents[1] / "tidl" / "shim"
EDGEAI_SDK_VERSION = "08_06_00"
DT_MODEL = "Texas Instruments J721E SK A72\0"  # /proc/device-tree/model is NUL-terminated
BUS_MV = 5000
SHUNT_UOHM = 10000  # 10 mOhm
UPDATE_INTERVAL_MS = 2

POWER_MODELS = {"default": PowerModel("tda4vm", "default", (RailSpec("VSYS_5V0", 2200, 4800),))}
DEFAULT_POWER_MODE = "default"
SIDECARS = ("hil.sim.tools.tidl_ina226",)


def tools_version(root: Path) -> str:
    """The edgeai-tidl-tools release this board reports (its sim_toolchain override, else TOOLS_VERSION)."""
    return toolchain_version("tidl", TOOLS_VERSION, root)


def sdk_version(root: Path) -> str:
    """EDGEAI_SDK_VERSION of the board's release: `09_02_00` for SDK 09.02 (its conformance file's `sdk`)."""
    table = conformance.table_for("tda4vm", "tidl", tools_version(root)) or {}
    parts = str(table.get("sdk", "")).split(".")[:3]
    return "_".join(parts) if len(parts) == 3 else EDGEAI_SDK_VERSION


def tools_dir(root: Path) -> Path:
    return root / "opt" / "tidl_tools"


def hwmon_dir(root: Path) -> Path:
    return root / "sys" / "class" / "hwmon" / "hwmon0"


def ina226_files(power_mw: float) -> dict[str, str]:
    """The INA226's hwmon files for a reading of `power_mw` at the modelled bus voltage."""
    current_ma = power_mw * 1000.0 / BUS_MV
    shunt_mv = current_ma * SHUNT_UOHM / 1e6
    return {
        "in0_input": f"{round(shunt_mv)}\n",
        "in1_input": f"{BUS_MV}\n",
        "curr1_input": f"{round(current_ma)}\n",
        "power1_input": f"{round(power_mw * 1000)}\n",
    }


def populate(root: Path) -> None:
    version_file = tools_dir(root) / "version.txt"
    version_file.parent.mkdir(parents=True, exist_ok=True)
    version_file.write_text(f"TIDL_TOOLS_VERSION={tools_version(root)}\nSOC=J721E\n")  # the release started
    files = {root / "proc" / "device-tree" / "model": DT_MODEL}
    hwmon = hwmon_dir(root)
    idle = POWER_MODELS[DEFAULT_POWER_MODE].rails_mw(0.0)["VSYS_5V0"]
    static = {
        "name": "ina226\n",
        "shunt_resistor": f"{SHUNT_UOHM}\n",
        "update_interval": f"{UPDATE_INTERVAL_MS}\n",
    }
    files.update({hwmon / name: text for name, text in {**static, **ina226_files(idle)}.items()})
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.write_text(text)


def environment(root: Path) -> dict[str, str]:
    return {
        "PYTHONPATH": str(SHIM_DIR),
        "TIDL_TOOLS_PATH": str(tools_dir(root)),
        "EDGEAI_SDK_VERSION": sdk_version(root),
        "SOC": "j721e",
    }
