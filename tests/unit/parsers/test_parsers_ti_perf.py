"""TI's perf_stats / app_perf_stats report. The fixture is written line by line from TI's printing code
(vision_apps `appPerfStatsCpuLoadPrint`: `%3d.%2d` of a load in hundredths; edgeai-gst-apps perf_stats:
the SoC temperature block), with two redraws separated by the `clear` escape codes the tool prints."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hil.errors import ParseError
from hil.parsers import detect_kind, parse
from hil.parsers.ti_perf import load_pct, parse_ti_perf

Read = Callable[[str], str]


@pytest.mark.parametrize(
    ("whole", "field", "value"),
    [("12", " 5", 12.05), ("12", "50", 12.5), ("0", " 5", 0.05), ("100", " 0", 100.0), ("20", "62", 20.62)],
)
def test_ti_load_format_is_hundredths_padded_with_a_space(whole: str, field: str, value: float) -> None:
    assert load_pct(whole, field) == pytest.approx(value)


def test_report_with_two_redraws(fixture_text: Read) -> None:
    text = fixture_text("ti-perf-stats-tda4vm.txt")
    assert detect_kind(text) == "ti-perf-stats"
    first, second = parse_ti_perf(text).samples
    mpu = first.cpu["mpu1_0"]
    assert (mpu.total_pct, mpu.hwi_pct, mpu.swi_pct) == (20.62, 0.05, 0.12)  # `0. 5` is 0.05, not 0.5
    assert first.cpu["c7x_1"].total_pct == 79.05  # `79. 5`
    assert set(first.cpu) == {"mpu1_0", "mcu2_0", "mcu2_1", "c6x_1", "c6x_2", "c7x_1"}
    assert (first.hwa["MSC0"].load_pct, first.hwa["MSC0"].mpixels_per_s) == (24.92, 164)
    assert first.hwa["VISS"].load_pct == 3.07
    assert (first.ddr["read"].avg_mb_per_s, first.ddr["total"].peak_mb_per_s) == (2594, 14787)
    assert first.temps_c == {"CPU": 45.12, "WKUP": 43.5, "C7X": 46.03, "GPU": 44.8, "R5F": 43.91}
    assert second.cpu["mpu1_0"].total_pct == 12.05 and second.cpu["c7x_1"].total_pct == 80.5
    assert second.hwa == {} and second.temps_c["C7X"] == 46.51


def test_edgeai_variant_tasks_and_an_ambiguous_fraction() -> None:
    text = (
        "CPU: mpu: TOTAL LOAD = 20.62\n"  # edgeai apps: %.2f, no % sign
        "CPU:  c7x_1: TOTAL LOAD = 12.5 %\n"  # a pasted copy lost the pad: 12.05 or 12.50? not guessed
        "CPU: mcu2_0: TASK:           IPC_RX:   0. 9 %\n"
        "HWA:   MSC0: LOAD = 24.92 % ( 164 MP/s )\n"
        "DDR: READ  BW: AVG =   1204 MB/s\n"  # edgeai's Linux-only perf_stats: no peak
        "TEMP: thermal_zone1(CPU) = 45.12 C\n"
        "FPS: 30\n"
    )
    [sample] = parse("auto", text).samples  # type: ignore[attr-defined]
    assert sample.cpu["mpu"].total_pct == 20.62 and sample.cpu["mpu"].hwi_pct is None
    assert sample.cpu["c7x_1"].total_pct is None
    assert sample.tasks_pct == {"mcu2_0": {"IPC_RX": 0.09}}
    assert sample.ddr["read"].peak_mb_per_s is None and sample.ddr["read"].avg_mb_per_s == 1204
    assert sample.temps_c == {"thermal_zone1(CPU)": 45.12} and sample.fps == 30


def test_text_without_a_report_is_refused() -> None:
    with pytest.raises(ParseError, match="TOTAL LOAD"):
        parse_ti_perf("CPU: 45.12 degree Celsius\nsomething else\n")


def test_newer_perf_stats_names_thermal_zones_and_prints_no_ddr_peak() -> None:
    # ti_perfstats.cpp (edgeai-gst-apps): perfStatsDdrStatsPrintAll has no PEAK, zones are named
    text = (
        "Summary of CPU load,\n====================\n\n"
        "CPU: mpu1_0: TOTAL LOAD =   3. 1 % ( HWI =   0. 0 %, SWI =   0. 0 % )\n\n"
        "DDR performance statistics,\n===========================\n\n"
        "DDR: READ  BW: AVG =    512 MB/s\nDDR: WRITE BW: AVG =    128 MB/s\n"
        "DDR: TOTAL BW: AVG =    640 MB/s\n"
        "SoC temperature statistics\n==========================\n\n"
        "thermal_zone0(WKUP):\t44.10 degree Celsius\nthermal_zone2(C7x):\t47.25 degree Celsius\n"
        "CALLING DE-INIT.\n"
    )
    [sample] = parse_ti_perf(text).samples
    assert sample.cpu["mpu1_0"].total_pct == 3.01
    assert sample.ddr["total"].avg_mb_per_s == 640 and sample.ddr["total"].peak_mb_per_s is None
    assert sample.temps_c == {"thermal_zone0(WKUP)": 44.1, "thermal_zone2(C7x)": 47.25}
