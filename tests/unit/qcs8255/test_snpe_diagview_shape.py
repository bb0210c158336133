"""The emulated snpe-diagview prints what a real one prints (../shared/real-logs/snpe-01.txt, SNPE 2.9):
the same lines in the same order and units, less the statistics a simulated board cannot measure, and
both texts read the same way through hil's own parser."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hil.parsers.snpe import parse_snpe_diagview
from hil.sim.tools.snpe_diaglog import DiagLog
from hil.sim.tools.snpe_diagview import NOT_MEASURED, NOT_MEASURED_EXEC, render
from tests.unit.parsers.conftest import REAL_LOGS

REAL = REAL_LOGS / "snpe-01.txt"
UNMEASURED = {*NOT_MEASURED, *NOT_MEASURED_EXEC}
_LAYER = re.compile(r"^\d+: \d+ (us|cycles) : (CPU|GPU|DSP)$")
_STAT = re.compile(r"^([A-Za-z][A-Za-z ()/-]*): \d+ us$")


def _log(layers: bool = True) -> DiagLog:
    rows = [["conv", "Conv", 40], ["relu", "Relu", 3]] if layers else None
    return DiagLog(
        header={"created": 1_700_000_000.0, "steady_us": 42, "version": "2.22.0.240425", "runtime": "DSP"},
        create={"load_us": 5, "deserialize_us": 7, "create_us": 90, "init_us": 120, "create_network_us": 80},
        executions=[
            {"index": 0, "total_us": 300, "forward_us": 280, "layers": rows},
            {"index": 1, "total_us": 500, "forward_us": 460, "layers": rows},
        ],
        deinit_us=11,
    )


def shape(text: str, drop_unmeasured: bool = False) -> list[str]:
    """Each line as its kind: header key, section title, rule, statistic label, layer rows (as one)."""
    kinds: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("root@") or line in ("..", "…"):
            continue  # the capture's shell prompt; the author's elision of the layer list
        if _LAYER.match(line):
            kind = "layer rows"
        elif found := _STAT.match(line):
            if drop_unmeasured and found.group(1) in UNMEASURED:
                continue
            kind = f"stat {found.group(1)}"
        elif line and set(line) == {"-"}:
            kind = "rule"
        elif line.endswith(":"):
            kind = f"section {line}"
        else:
            kind = "blank" if not line else f"header {re.split(r'[:]', line)[0]}"
        if not (kind == "layer rows" and kinds and kinds[-1] == kind):
            kinds.append(kind)
    return kinds


@pytest.fixture
def real_text() -> str:
    if not REAL.is_file():
        pytest.skip(f"real capture {REAL} not found (it lives beside the repository)")
    return REAL.read_text()


def test_emulated_output_has_the_real_captures_lines_in_order(real_text: str) -> None:
    assert shape(render(_log())) == shape(real_text, drop_unmeasured=True)


def test_every_emulated_time_has_its_unit_and_nothing_unmeasured_is_printed() -> None:
    text = render(_log())
    stats = [line for line in text.splitlines() if ": " in line and line.split(": ")[0] in UNMEASURED]
    assert stats == []  # RPC and accelerator times: a simulated board cannot measure them
    for line in text.splitlines():
        if _STAT.match(line.strip()) is None and re.search(r": \d+\s*$", line):
            assert line.startswith(("CREATE NETWORK", "Epoch Timestamp")), f"no unit: {line!r}"  # as real
    layer_rows = [line for line in text.splitlines() if _LAYER.match(line)]
    assert layer_rows == ["0: 40 us : CPU", "1: 3 us : CPU"]  # host CPU time in us, never DSP cycles


def test_both_texts_read_the_same_way_through_hils_parser(real_text: str) -> None:
    real, emulated = parse_snpe_diagview(real_text), parse_snpe_diagview(render(_log()))
    assert emulated.software_library_version == "2.22.0.240425"
    assert emulated.time_scale == real.time_scale == 1e-06
    assert emulated.create_network_us == emulated.create["create_networks_us"] == 80
    measured = {k for k in real.create if not k.startswith(("rpc", "snpe_accelerator", "accelerator"))}
    assert set(emulated.create) == measured
    assert emulated.create["de_init_us"] == 11 and real.create["de_init_us"] == 14744
    assert emulated.execute_average == {"total_inference_time_us": 400, "forward_propagate_time_us": 370}
    assert set(emulated.execute_average) < set(real.execute_average)
    rows = [(t.index, t.unit, t.runtime) for t in emulated.layer_times]
    assert rows == [(0, "us", "CPU"), (1, "us", "CPU")]
    assert (real.layer_times[0].unit, real.layer_times[0].runtime) == ("cycles", "DSP")


def test_a_run_without_layer_profiling_prints_no_layer_section() -> None:
    text = render(_log(layers=False))
    assert "Layer Times" not in text and parse_snpe_diagview(text).layer_times == []


def test_shape_helper_sees_a_difference() -> None:
    # The comparison above could not pass by accident: a text in the newer layout has another shape.
    newer = Path(__file__).resolve().parents[2] / "fixtures" / "parsers" / "snpe-diagview-new-cpu.txt"
    assert shape(newer.read_text(), drop_unmeasured=True) != shape(render(_log()))
