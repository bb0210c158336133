"""Every real capture in ../shared/real-logs parses to the values read off it by hand (its .json).

Each capture goes through its own parser and through `auto`; both must give the same result. The
hand-read JSON names some values differently from hil's keys, so each check maps them explicitly.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from hil.parsers import PARSERS, parse
from hil.parsers.qnn import QnnProfileReport
from hil.parsers.snpe import SnpeDiagviewReport, SnpeThroughputReport
from hil.parsers.tegrastats import TegrastatsReport
from hil.parsers.tidl import TidlLogReport, TidlReport
from hil.parsers.trtexec import TrtexecReport

RealLog = Callable[[str], tuple[str, dict[str, Any]]]
SENTINEL_MB = 18446744073709.55

CAPTURES = {
    "trtexec-01.log": "trtexec",
    "trtexec-03.log": "trtexec",
    "trtexec-04.log": "trtexec",
    "trtexec-05.log": "trtexec",
    "tegrastats-01.txt": "tegrastats",
    "tegrastats-03.txt": "tegrastats",
    "tegrastats-04.txt": "tegrastats",
    "tegrastats-05.txt": "tegrastats",
    "snpe-01.txt": "snpe-diagview",
    "snpe-03.txt": "snpe-throughput",
    "qnn-01.txt": "qnn-profile",
    "tidl-01.log": "tidl-log",
    "tidl-03.csv": "tidl-report",
}
TRT_VERSIONS = {"trtexec-01.log": "10.14.1", "trtexec-03.log": "8.4.1", "trtexec-04.log": "8.2.3"}
TRT_VERSIONS["trtexec-05.log"] = "8.5.2"


@pytest.mark.parametrize("name", CAPTURES)
def test_capture_parses_the_same_through_its_kind_and_auto(name: str, real_log: RealLog) -> None:
    text, _ = real_log(name)
    specific = PARSERS[CAPTURES[name]](text)
    assert parse("auto", text) == specific


@pytest.mark.parametrize("name", [name for name, kind in CAPTURES.items() if kind == "trtexec"])
def test_trtexec_capture(name: str, real_log: RealLog) -> None:
    text, expected = real_log(name)
    report = parse("trtexec", text)
    assert isinstance(report, TrtexecReport)
    [run] = report.invocations
    assert run.status == expected["status"].lower()
    assert run.tensorrt_version == TRT_VERSIONS[name]
    line = expected["precision_line"]
    names = (
        line.lower().split("+")
        if line
        else ["fp32"] + [f.lstrip("-") for f in expected["command_precision_flags"]]
    )
    assert run.precision == [p for p in ("fp32", "fp16", "int8") if p in names]
    assert run.throughput_qps == expected.get("throughput_qps")
    for key in ("latency_ms", "gpu_compute_ms", "enqueue_ms", "h2d_ms", "d2h_ms"):
        want = expected.get(key)
        got = getattr(run, key)
        if want is None:
            assert got is None, key
            continue
        assert got is not None, key
        for stat in ("min", "max", "mean", "median", "p90", "p95", "p99"):
            assert getattr(got, stat) == want.get(stat), (key, stat)


@pytest.mark.parametrize("name", [name for name, kind in CAPTURES.items() if kind == "tegrastats"])
def test_tegrastats_capture(name: str, real_log: RealLog) -> None:
    text, expected = real_log(name)
    report = parse("tegrastats", text)
    assert isinstance(report, TegrastatsReport)
    assert len(report.samples) == expected["line_count_with_samples"]
    for sample, want in zip(report.samples, expected["samples"], strict=True):
        assert sample.timestamp == want["timestamp"]
        assert (sample.ram_used_mb, sample.ram_total_mb) == (want["ram_used_mb"], want["ram_total_mb"])
        assert sample.swap_used_mb == want.get("swap_used_mb")
        cores = [None if core == "off" else core for core in want["cpu"]]
        assert [core.model_dump() if core else None for core in sample.cpu] == cores
        assert sample.gpu_load_pct == want["gpu_pct"]
        freq = want["gpu_freq_mhz"]
        assert sample.gpu_freq_mhz == (max(freq) if isinstance(freq, list) else freq)
        assert sample.temps_c == want["temps_c"]
        assert {name: rail.model_dump() for name, rail in sample.rails.items()} == want["power_rails"]


def test_snpe_diagview_capture(real_log: RealLog) -> None:
    text, expected = real_log("snpe-01.txt")
    report = parse("snpe-diagview", text)
    assert isinstance(report, SnpeDiagviewReport)
    assert report.software_library_version == expected["software_library_version"]
    assert report.log_file_created == expected["log_created"]
    assert report.time_scale == float(expected["time_scale"])
    assert report.create_network_us == expected["create_network_us"]
    # hand-read key -> hil key: hil keeps the printed label whole (`RPC Init Time` -> rpc_init_time_us)
    timed = {"rpc_init", "snpe_accelerator_init", "accelerator_init"}
    assert report.create == {
        (f"{key}_time_us" if key in timed else f"{key}_us"): value
        for key, value in expected["init_us"].items()
    }
    assert report.execute_average == {f"{key}_us": value for key, value in expected["average_us"].items()}
    shown = [
        {"layer": t.index, "value": t.value, "unit": t.unit, "runtime": t.runtime} for t in report.layer_times
    ]
    assert shown == expected["layer_times_shown"]
    assert report.layer_list_elided is expected["layer_list_elided"]


def test_snpe_throughput_capture(real_log: RealLog) -> None:
    text, expected = real_log("snpe-03.txt")
    report = parse("snpe-throughput", text)
    assert isinstance(report, SnpeThroughputReport)
    [thread] = report.threads
    for key in ("thread", "runtime", "infs_per_sec", "images_processed", "batch"):
        assert getattr(thread, key) == expected[key], key
    for key in ("build_time_us", "elapsed_time_us", "real_time_us", "teardown_time_us"):
        assert getattr(thread, key) == expected[key], key
    assert report.total_throughput_infs_per_sec == expected["total_throughput_infs_per_sec"]


def _qnn_key(key: str) -> str:
    if key in ("netrun", "netrun_ips"):
        return key if key.endswith("ips") else "netrun_us"
    if key == "hvx_threads":
        return "backend_number_of_hvx_threads_used"
    return f"backend_{key}_time_us"


def test_qnn_profile_capture(real_log: RealLog) -> None:
    text, expected = real_log("qnn-01.txt")
    report = parse("qnn-profile", text)
    assert isinstance(report, QnnProfileReport)
    assert report.value("init", "netrun_us") == expected["init_netrun_us"]
    assert report.value("compose_graphs", "netrun_us") == expected["compose_graphs_netrun_us"]
    sections = {section.key: section for section in report.sections}
    for hil_key, want_key in [
        ("finalize", "finalize_us"),
        ("de_init", "deinit_us"),
        ("execute_average", "execute_average_us"),
        ("execute_overall", "execute_overall"),
    ]:
        want = dict(expected[want_key])
        assert sections[hil_key].graph == want.pop("graph", None)
        assert sections[hil_key].values == {_qnn_key(key): value for key, value in want.items()}


def test_tidl_log_capture(real_log: RealLog) -> None:
    text, expected = real_log("tidl-01.log")
    report = parse("tidl-log", text)
    assert isinstance(report, TidlLogReport)
    [run] = report.models
    done = expected["completed_model"]
    assert run.name == expected["model"] == done["name"]
    assert (run.preliminary_subgraphs, run.preliminary_nodes_delegated, run.preliminary_nodes_total) == (
        expected["preliminary_subgraphs"],
        expected["nodes_delegated"],
        expected["nodes_total"],
    )
    assert (run.subgraphs, run.nodes_delegated) == (
        expected["final_subgraphs"],
        expected["final_nodes_delegated"],
    )
    assert run.completed
    assert (run.total_time_ms, run.offload_time_ms) == (done["total_time_ms"], done["offload_time_ms"])
    assert done["ddr_rw_mbs"] == SENTINEL_MB and run.ddr_rw_mbs is None  # the 2^64/1e6 sentinel
    assert run.output_file == done["output_file"]
    # The per-frame REF_ONLY rows of the compile, in order, and the MEM statistics printed at shut-down.
    assert run.ref_only_frame_times == expected["ref_only_frame_times"]
    assert (run.mem_allocs, run.mem_alloc_bytes) == (expected["mem_allocs"], expected["mem_alloc_bytes"])
    assert (run.mem_frees, run.mem_free_bytes) == (expected["mem_frees"], expected["mem_free_bytes"])
    assert (run.mem_opens, run.mem_open_bytes) == (0, 0)


def _report_cell(value: Any) -> Any:
    return None if value in ("None", SENTINEL_MB) else value


def test_tidl_report_capture(real_log: RealLog) -> None:
    text, expected = real_log("tidl-03.csv")
    report = parse("tidl-report", text)
    assert isinstance(report, TidlReport)
    assert report.columns == expected["columns"]
    assert len(report.rows) == expected["row_count"]
    for row, want in zip(report.rows, expected["rows"], strict=False):
        assert {key: row[key] for key in want} == {key: _report_cell(value) for key, value in want.items()}
    assert any(re.fullmatch(r"\d+x\d+", str(row["input_resolution"])) for row in report.rows)
