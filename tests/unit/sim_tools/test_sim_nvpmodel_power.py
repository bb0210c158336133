"""nvpmodel's mode, and the power model it selects: documented constants, monotonic in load."""

from __future__ import annotations

from pathlib import Path

import pytest

from hil.sim.power_model import MODELS, model_for

from .conftest import run_tool


def test_query_defaults_to_15w_mode_2(board: Path) -> None:
    result = run_tool("nvpmodel", "-q")
    assert (result.rc, result.out) == (0, "NV Power Mode: 15W\n2\n")


def test_set_mode_is_stored_on_the_board(board: Path) -> None:
    assert run_tool("nvpmodel", "-m", "0").rc == 0
    assert (board / "etc" / "nvpmodel.mode").read_text() == "0\n"
    assert run_tool("nvpmodel", "-q").out == "NV Power Mode: MAXN\n0\n"


def test_bad_mode_is_refused(board: Path) -> None:
    result = run_tool("nvpmodel", "-m", "7")
    assert result.rc == 1 and "NVPM ERROR: request for bad power mode 7" in result.out
    assert not (board / "etc" / "nvpmodel.mode").exists()


def test_nvpmodel_fault_crash(board: Path) -> None:
    (board / "sim-faults.json").write_text('{"nvpmodel": "crash"}')
    assert run_tool("nvpmodel", "-q").rc == 139


def test_orin_15w_constants() -> None:
    model = model_for("orin")
    assert model.mode == "15W"
    assert model.rails_mw(0.0) == {"VDD_IN": 3000, "VDD_CPU_GPU_CV": 600, "VDD_SOC": 1000}
    assert model.rails_mw(1.0) == {"VDD_IN": 5500, "VDD_CPU_GPU_CV": 2600, "VDD_SOC": 1300}
    assert model.rails_mw(0.5)["VDD_IN"] == 4250
    assert model.rails_mw(7.0) == model.rails_mw(1.0) and model.rails_mw(-1) == model.rails_mw(0)


@pytest.mark.parametrize("key", list(MODELS))
def test_every_model_is_monotonic_and_its_parts_fit_the_total(key: tuple[str, str]) -> None:
    model = MODELS[key]
    loads = [i / 20 for i in range(21)]
    for rail in model.rails:
        readings = [model.rails_mw(load)[rail.name] for load in loads]
        assert readings == sorted(readings) and readings[0] < readings[-1]
    for load in loads:
        rails = model.rails_mw(load)
        assert rails["VDD_CPU_GPU_CV"] + rails["VDD_SOC"] < rails["VDD_IN"]
    gpu = [model.gpu_load_pct(load) for load in loads]
    assert gpu == sorted(gpu) and (gpu[0], gpu[-1]) == (0, 100)


def test_unknown_platform_or_mode() -> None:
    with pytest.raises(KeyError, match="no power model"):
        model_for("orin", "42W")
    with pytest.raises(KeyError):
        model_for("nosuch")
