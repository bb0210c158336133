"""`auto`: every fixture is recognised as the kind of tool that printed it; anything else is refused."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hil.errors import ParseError
from hil.parsers import KINDS, PARSERS, detect_kind, parse

Read = Callable[[str], str]

FIXTURE_KINDS = {
    "trtexec-trt7-two-runs.log": "trtexec",
    "trtexec-trt82-end-to-end.log": "trtexec",
    "trtexec-trt10-no-build-tag.log": "trtexec",
    "trtexec-trt86-error-then-crash.log": "trtexec",
    "tegrastats-jp4-xavier.txt": "tegrastats",
    "tegrastats-agx-orin.txt": "tegrastats",
    "tegrastats-jp4-nano-variations.txt": "tegrastats",
    "tegrastats-jp6-orin-nx-max.txt": "tegrastats",
    "hwmon-orin-nano-jp5.txt": "hwmon",
    "hwmon-nano-jp4-iio.txt": "hwmon",
    "hwmon-tda4vm-ina226.txt": "hwmon",
    "snpe-diagview-new-cpu.txt": "snpe-diagview",
    "snpe-diagview-new-dsp-damaged.txt": "snpe-diagview",
    "qnn-profile-full.txt": "qnn-profile",
    "tidl-inference-two-models.log": "tidl-log",
    "tidl-report-old-columns.csv": "tidl-report",
    "thermal-orin-throttled.txt": "thermal",
    "ti-perf-stats-tda4vm.txt": "ti-perf-stats",
}


def test_every_kind_has_a_parser_and_a_fixture() -> None:
    assert (
        set(KINDS)
        == set(PARSERS)
        == {
            "trtexec",
            "tegrastats",
            "snpe-diagview",
            "snpe-throughput",
            "qnn-profile",
            "tidl-log",
            "ti-perf-stats",
            "tidl-report",
            "hwmon",
            "thermal",
        }
    )
    assert set(FIXTURE_KINDS.values()) == set(KINDS) - {"snpe-throughput"}  # covered by a real capture


@pytest.mark.parametrize(("name", "kind"), FIXTURE_KINDS.items())
def test_auto_detects_each_fixture(name: str, kind: str, fixture_text: Read) -> None:
    text = fixture_text(name)
    assert detect_kind(text) == kind
    assert parse("auto", text) == PARSERS[kind](text)


def test_trt7_block_without_banner_is_still_trtexec() -> None:
    assert (
        detect_kind("[06/10/2021-17:40:51] [I] GPU Compute\n[06/10/2021-17:40:51] [I] min: 2.0 ms\n")
        == "trtexec"
    )


@pytest.mark.parametrize("text", ["", "hello world\n", "a,b\n1,2\n", "Running 1 Models - ['x']\n"])
def test_unrecognised_text_is_refused_with_what_was_looked_for(text: str) -> None:
    with pytest.raises(ParseError, match="could not tell which tool printed this text: looked for trtexec"):
        detect_kind(text)


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ParseError, match="unknown KIND 'nvidia-smi'"):
        parse("nvidia-smi", "anything")
