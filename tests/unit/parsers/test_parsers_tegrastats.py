"""tegrastats variations the real captures do not cover: JetPack 4 Xavier rails without units, AGX Orin
(no VDD_IN, per-GPC clocks, NC channels, -256C sensors), Nano IRAM/lfb forms and `GR3D_FREQ @0`,
a third `/max` rail value, and text that is not tegrastats."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hil.errors import ParseError
from hil.parsers.tegrastats import Rail, parse_tegrastats

Read = Callable[[str], str]


def test_jetpack4_xavier_bare_mw_rails_beside_same_named_sensors(fixture_text: Read) -> None:
    first, second = parse_tegrastats(fixture_text("tegrastats-jp4-xavier.txt")).samples  # prompts skipped
    assert first.timestamp is None
    assert first.cpu[4:] == [None, None, None, None]
    assert (second.gpu_load_pct, second.gpu_freq_mhz) == (41, 1377)
    # `GPU@37C` is a temperature and `GPU 2150/1075` a rail: one name, two meanings
    assert second.temps_c["GPU"] == 37.0
    assert second.rails["GPU"] == Rail(current_mw=2150, average_mw=1075)
    assert list(second.rails) == ["GPU", "CPU", "SOC", "CV", "VDDRQ", "SYS5V"]
    assert "VDD_IN" not in second.rails


def test_agx_orin_has_no_vdd_in_and_reports_per_gpc_clocks(fixture_text: Read) -> None:
    idle, busy = parse_tegrastats(fixture_text("tegrastats-agx-orin.txt")).samples
    assert idle.timestamp == "08-16-2023 10:00:00"
    assert len(idle.cpu) == 12 and idle.cpu[8:] == [None] * 4
    assert (idle.gpu_load_pct, idle.gpu_freq_mhz) == (0, 305)  # `0%@[305,0]`: one GPC gated
    assert (busy.gpu_load_pct, busy.gpu_freq_mhz) == (97, 1300)
    assert list(idle.rails) == ["VDD_GPU_SOC", "VDD_CPU_CV", "VIN_SYS_5V0", "VDDQ_VDD2_1V8AO"]  # no NC
    assert "CV0" not in idle.temps_c and "GPU" not in idle.temps_c  # -256C: sensor off
    assert busy.temps_c["GPU"] == 47.5
    assert busy.rails["VDD_GPU_SOC"] == Rail(current_mw=11206, average_mw=6603)


def test_nano_iram_lfb_forms_and_gpu_without_load(fixture_text: Read) -> None:
    gated, idle, busy = parse_tegrastats(fixture_text("tegrastats-jp4-nano-variations.txt")).samples
    assert (gated.gpu_load_pct, gated.gpu_freq_mhz) == (None, 0)  # `GR3D_FREQ @0`
    assert gated.cpu[2:] == [None, None]
    assert (idle.swap_used_mb, idle.gpu_freq_mhz) == (0, 76)  # `IRAM 0/252kB (lfb 252kB)` with a space
    assert busy.swap_used_mb is None  # no SWAP field at all
    assert (busy.ram_used_mb, busy.gpu_load_pct) == (1540, 62)
    assert busy.rails["POM_5V_GPU"] == Rail(current_mw=1617, average_mw=552)


def test_third_max_value_is_dropped(fixture_text: Read) -> None:
    idle, busy = parse_tegrastats(fixture_text("tegrastats-jp6-orin-nx-max.txt")).samples
    assert busy.rails["VDD_IN"] == Rail(current_mw=12311, average_mw=8689)
    assert idle.gpu_freq_mhz == 305  # `0%@[305]`
    assert busy.temps_c["tj"] == 48.062


@pytest.mark.parametrize(
    ("gr3d", "load", "freq"),
    [("12%@1300", 12, 1300), ("22%", 22, None), ("@0", None, 0), ("0%@[305]", 0, 305), ("off", None, None)],
)
def test_gpu_formats(gr3d: str, load: int | None, freq: int | None) -> None:
    line = f"RAM 1000/3964MB (lfb 9x4MB) CPU [5%@1479,off] EMC_FREQ 0% GR3D_FREQ {gr3d} POM_5V_IN 1000/1000"
    [sample] = parse_tegrastats(line).samples
    assert (sample.gpu_load_pct, sample.gpu_freq_mhz) == (load, freq)


def test_core_without_clock_and_stray_tokens() -> None:
    line = "RAM 1/2MB CPU [7%,off] MTS fg 0% bg 0% APE 150 NVENC off VDD_IN 100mW/90mW AO@30C"
    [sample] = parse_tegrastats(line).samples
    assert [core.freq_mhz if core else None for core in sample.cpu] == [None, None]
    assert sample.cpu[0] is not None and sample.cpu[0].load_pct == 7
    assert sample.rails == {"VDD_IN": Rail(current_mw=100, average_mw=90)}
    assert sample.temps_c == {"AO": 30.0}


def test_a_line_cut_mid_write_is_skipped() -> None:
    text = "RAM 1/2MB CPU [7%@102,3%@102] VDD_IN 1/1\nRAM 1/2MB (lfb 3x4MB) CPU [9%@10"
    assert len(parse_tegrastats(text).samples) == 1


def test_unknown_cpu_entry_refuses_the_text() -> None:
    with pytest.raises(ParseError, match="CPU entry"):
        parse_tegrastats("RAM 1/2MB CPU [7%@102,busy] VDD_IN 1/1")


@pytest.mark.parametrize("text", ["", "\n\n$ tegrastats\n", "&&&& PASSED TensorRT.trtexec\n"])
def test_text_that_is_not_tegrastats_is_an_error(text: str) -> None:
    with pytest.raises(ParseError, match=r"not tegrastats output: looked for lines with `RAM"):
        parse_tegrastats(text)


def test_agx_orin_total_power_is_the_sum_of_its_rails(fixture_text: Read) -> None:
    from hil.platforms.orin import total_input_mw

    idle, _ = parse_tegrastats(fixture_text("tegrastats-agx-orin.txt")).samples
    rails = {name: rail.current_mw for name, rail in idle.rails.items()}
    assert "VDD_IN" not in rails  # VIN_SYS_5V0 is one rail, not the module's input
    assert total_input_mw(idle) == sum(rails.values()) > rails["VIN_SYS_5V0"]
