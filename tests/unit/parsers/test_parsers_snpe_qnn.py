"""SNPE and QNN variations beyond the real captures: newer snpe-diagview section names, unit-less and
NONE values, named layers, damaged labels; a full qnn-profile-viewer report with its header."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hil.errors import ParseError
from hil.parsers.qnn import parse_qnn_profile
from hil.parsers.snpe import TimedItem, parse_snpe_diagview, parse_snpe_throughput

Read = Callable[[str], str]


def test_new_section_names_cpu_run(fixture_text: Read) -> None:
    report = parse_snpe_diagview(fixture_text("snpe-diagview-new-cpu.txt"))
    assert report.software_library_version == "2.28.0.241029232508_102474"
    assert report.create["load_us"] == 612
    assert report.create["create_networks_us"] == 2795
    # a time printed as `0` or `0 NONE` was not measured on the CPU runtime
    assert report.create["rpc_init_time_us"] is None
    assert report.create["snpe_accelerator_init_time_us"] is None
    assert report.execute_average["total_inference_time_us"] == 1842
    assert report.execute_average["num_times_yield_occurred"] == 0  # a count, not a time
    assert report.subnet_times == [TimedItem(index=0, name=None, value=1761, unit="us", runtime="CPU")]
    assert [t.name for t in report.layer_times][:2] == ["/backbone/conv1/Conv", "/backbone/relu1/Relu"]
    assert {t.unit for t in report.layer_times} == {"us"}
    assert not report.layer_list_elided


def test_dsp_cycles_damaged_label_and_elided_layers(fixture_text: Read) -> None:
    report = parse_snpe_diagview(fixture_text("snpe-diagview-new-dsp-damaged.txt"))
    assert report.execute_average["forward_propagate_time_us"] == 1352  # from `Forward Propagate ..Time:`
    assert report.subnet_times[0].unit == "cycles"
    names = [(t.index, t.name, t.unit) for t in report.layer_times]
    assert names[1] == (1, "/backbone/conv1/Conv:OpId_18 (cycles)", "cycles")  # a colon inside the name
    assert [t.index for t in report.layer_times] == [0, 1, 9]
    assert report.layer_list_elided


def test_snpe_throughput_with_several_threads() -> None:
    text = (
        "[Thread 0 - gpu_float16] 402.10 infs/sec - Number of images processed: 4021 - "
        "Build time: 231000 microseconds - Elapsed time: 10000100 microseconds - "
        "Real time: 9999000 microseconds - Teardown time: 3100 microseconds - Batch : 1\n"
        "[Thread 1 - cpu_float32] 80.50 infs/sec - Number of images processed: 805 - Batch : 1\n"
        "Total throughput: 482.60 infs/sec   \n"
    )
    report = parse_snpe_throughput(text)
    assert [(t.thread, t.runtime, t.infs_per_sec) for t in report.threads] == [
        (0, "gpu_float16", 402.1),
        (1, "cpu_float32", 80.5),
    ]
    assert report.threads[0].elapsed_time_us == 10000100
    assert report.threads[1].build_time_us is None
    assert report.total_throughput_infs_per_sec == 482.6


def test_full_qnn_report_with_header_and_remarks(fixture_text: Read) -> None:
    report = parse_qnn_profile(fixture_text("qnn-profile-full.txt"))
    assert (report.log_file_created, report.time_scale) == ("Tue Mar 12 09:41:07 2024", 1e-06)
    assert [s.key for s in report.sections] == [
        "init",
        "compose_graphs",
        "finalize",
        "de_init",
        "execute_average",
        "execute_overall",
    ]
    assert report.value("execute_average", "netrun_us") == 1204
    assert report.value("execute_average", "backend_number_of_hvx_threads_used") == 4
    assert report.value("execute_overall", "netrun_ips") == 741.3307  # `(includes IO and misc. time)` dropped
    assert report.value("init", "backend_rpc_init_time_us") == 4310
    assert report.sections[4].graph == "Graph 0 (dms_small)"
    assert report.value("execute_min", "netrun_us") is None


def test_qnn_graphs_in_one_section_stay_apart() -> None:
    text = (
        "Execute Stats (Average):\nGraph 0 (face):\n    NetRun: 900 us\nGraph 1 (eyes):\n    NetRun: 300 us\n"
    )
    sections = parse_qnn_profile(text).sections
    assert [(s.key, s.graph, s.values) for s in sections] == [
        ("execute_average", "Graph 0 (face)", {"netrun_us": 900}),
        ("execute_average", "Graph 1 (eyes)", {"netrun_us": 300}),
    ]


@pytest.mark.parametrize("text", ["", "Layer list:\n0: conv\n", "Total throughput: 5 infs/sec\n"])
def test_text_that_is_not_diagview_is_an_error(text: str) -> None:
    with pytest.raises(ParseError, match=r"not snpe-diagview output: looked for `SNPE Create Statistics:`"):
        parse_snpe_diagview(text)


@pytest.mark.parametrize("text", ["", "Average SNPE Statistics:\nTotal Inference Time: 3 us\n"])
def test_text_that_is_not_snpe_throughput_is_an_error(text: str) -> None:
    with pytest.raises(ParseError, match=r"not snpe-throughput-net-run output: looked for per-thread"):
        parse_snpe_throughput(text)


@pytest.mark.parametrize("text", ["", "Init Stats:\n", "NetRun: 5 us\n"])
def test_text_that_is_not_qnn_profile_is_an_error(text: str) -> None:
    with pytest.raises(ParseError, match=r"not qnn-profile-viewer output: looked for sections"):
        parse_qnn_profile(text)


def test_none_is_not_measured_for_every_label_and_keys_do_not_follow_the_unit() -> None:
    def stats(unit_load: str, unit_total: str) -> dict[str, int | float | None]:
        text = (
            "SNPE Create Statistics:\n"
            f"  Load: {unit_load}\n"
            "  RPC Init: 0 NONE\n"
            "SNPE Execute Statistics (Averaged):\n"
            f"  Total Inference Time: {unit_total}\n"
            "  Num times yield occurred: 3\n"
        )
        report = parse_snpe_diagview(text)
        return {**report.create, **report.execute_average}

    not_measured = stats("0 NONE", "0 NONE")
    # `Load` and `RPC Init` do not end in "time": still not measured, never a count of 0
    assert not_measured["load_us"] is None and not_measured["rpc_init_us"] is None
    assert "load" not in not_measured and "rpc_init" not in not_measured
    in_us, in_ms = stats("612 us", "1842 us"), stats("0.612 ms", "1.842 ms")
    assert in_us.keys() == in_ms.keys() == not_measured.keys()
    assert (in_us["load_us"], in_us["total_inference_time_us"]) == (612, 1842)
    assert in_ms["load_us"] == pytest.approx(612) and in_ms["total_inference_time_us"] == pytest.approx(1842)
    assert in_us["num_times_yield_occurred"] == 3  # a bare number on a label that is no time: a count
