"""TIDL logs and edgeai-benchmark reports beyond the real captures: an inference log with two models,
ONNX and TFLite subgraph lines, the DDR sentinel, older report columns, and text that is neither."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hil.errors import ParseError
from hil.parsers.tidl import parse_tidl_log, parse_tidl_report

Read = Callable[[str], str]


def test_inference_log_with_two_models(fixture_text: Read) -> None:
    ort, tfl = parse_tidl_log(fixture_text("tidl-inference-two-models.log")).models
    assert (ort.name, ort.subgraphs, ort.nodes_delegated, ort.nodes_total) == ("dms-small-ort", 1, 52, 52)
    assert (ort.total_time_ms, ort.offload_time_ms) == (4.31, 2.87)
    assert ort.ddr_rw_mbs is None  # 18446744073709.55 = 2^64/1e6: counter unavailable
    assert ort.output_file == "py_out_dms-small-ort_cabin_0001.jpg"
    assert (tfl.name, tfl.subgraphs, tfl.nodes_delegated, tfl.nodes_total) == ("dms-small-tfl", 1, 34, 36)
    assert (tfl.ddr_rw_mbs, tfl.output_file) == (41.73, "py_out_dms-small-tfl_cabin_0001.jpg")
    assert ort.preliminary_subgraphs is None and ort.completed and tfl.completed


def test_compile_mode_and_oldest_completed_lines() -> None:
    text = (
        "Running_Model :  od-ort-yolox\n"
        " Preliminary number of subgraphs:2 , 120 nodes delegated out of 124 nodes \n"
        "Completed_Model :     1, Name : od-ort-yolox                                      \n"
        "Completed_Model :  cl-tfl-mobilenet_v1\n"
    )
    yolox, mobilenet = parse_tidl_log(text).models
    assert (yolox.preliminary_subgraphs, yolox.preliminary_nodes_total, yolox.completed) == (2, 124, True)
    assert yolox.total_time_ms is None  # compile mode prints no times
    assert (mobilenet.name, mobilenet.completed) == ("cl-tfl-mobilenet_v1", True)


def test_counts_before_any_running_model_line_go_to_the_completed_model() -> None:
    text = (
        "Number of subgraphs:1 , 11 nodes delegated out of 12 nodes\n"
        "Completed_Model : 0, Name : dms, Total time : 2.500000, Offload Time : 0 , DDR RW MBs : 0, "
        "Output File : cpp_out_dms.jpg \n"
    )
    [run] = parse_tidl_log(text).models
    assert (run.name, run.nodes_delegated, run.nodes_total, run.total_time_ms) == ("dms", 11, 12, 2.5)
    assert (run.ddr_rw_mbs, run.output_file) == (0.0, "cpp_out_dms.jpg")


def test_old_report_columns_none_and_identifiers(fixture_text: Read) -> None:
    report = parse_tidl_report(fixture_text("tidl-report-old-columns.csv"))
    assert "perfsim_gmacs" in report.columns and "metric_16bits" in report.columns
    first, second = report.rows
    assert (first["metric_8bits"], first["metric_16bits"], first["infer_time_core_ms"]) == (
        None,
        94.12,
        3.912318,
    )
    assert (first["input_resolution"], second["input_resolution"]) == (96, "96x96")
    assert second["serial_num"] == 2 and second["num_subgraphs"] == 0


def test_report_header_is_normalized_and_sentinel_dropped() -> None:
    text = "\ufeffSerial Num,Model ID,DDR Transfer MB,Code\n1,cl-1,18446744073709.55,007\n"
    report = parse_tidl_report(text)
    assert report.columns == ["serial_num", "model_id", "ddr_transfer_mb", "code"]
    assert report.rows == [{"serial_num": 1, "model_id": "cl-1", "ddr_transfer_mb": None, "code": "007"}]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "a,b,c\n1,2,3\n",
        "model_id,infer_time_core_ms\n",  # a header and no rows
        "model_id,infer_time_core_ms\ncl-1,1.0,extra\n",  # a row that does not fit its header
    ],
)
def test_text_that_is_not_a_report_is_an_error(text: str) -> None:
    with pytest.raises(ParseError, match="not edgeai-benchmark report CSV output"):
        parse_tidl_report(text)


@pytest.mark.parametrize("text", ["", "Running_Model : x\nMEM: Init ... Done !!!\n"])
def test_text_that_is_not_a_tidl_log_is_an_error(text: str) -> None:
    with pytest.raises(ParseError, match=r"not TIDL log output: looked for `Completed_Model"):
        parse_tidl_log(text)


def test_mem_statistics_and_ref_only_rows_go_to_their_model() -> None:
    text = (
        "Running_Model :  a\n"
        " ----------------------- TIDL Process with REF_ONLY FLOW ------------------------\n"
        "#    0 . .. T      12.50  .... ..... ... .... .....\n"
        "#    1 . .. T       7  .... ..... ... .... .....\n"
        "Completed_Model :     1, Name : a   , Total time :   3.00, Offload Time :   0.00 , DDR RW MBs : 0\n"
        "MEM: Deinit ... !!!\n"
        "MEM: Alloc's: 5 alloc's of 1024 bytes \n"
        "MEM: Free's : 4 free's  of 512 bytes \n"
        "MEM: Open's : 1 allocs  of 512 bytes \n"
        "Running_Model :  b\n"
        "Number of subgraphs:1 , 3 nodes delegated out of 3 nodes\n"
    )
    a, b = parse_tidl_log(text).models
    assert a.ref_only_frame_times == [12.5, 7.0]
    assert (a.mem_allocs, a.mem_alloc_bytes, a.mem_frees, a.mem_free_bytes) == (5, 1024, 4, 512)
    assert (a.mem_opens, a.mem_open_bytes) == (1, 512)  # still allocated at shut-down
    assert b.ref_only_frame_times == [] and b.mem_allocs is None  # not in the text: None, never 0


def test_a_log_with_only_frame_rows_is_still_a_tidl_log() -> None:
    [run] = parse_tidl_log("#    0 . .. T    2224.85  .... ..... ... .... .....\n").models
    assert run.name is None and run.ref_only_frame_times == [2224.85]


def test_newer_sdks_ddr_shared_mem_block() -> None:
    text = (
        "Completed_Model :     1, Name : m   , Total time :   3.00, Offload Time :   1.00 , DDR RW MBs : 0\n"
        "DDR_SHARED_MEM: Alloc's: 8 alloc's of 11841687 bytes \n"
        "DDR_SHARED_MEM: Free's : 8 free's  of 11841687 bytes \n"
        "DDR_SHARED_MEM: Open's : 0 allocs  of 0 bytes \n"
    )
    [run] = parse_tidl_log(text).models
    assert (run.mem_allocs, run.mem_alloc_bytes, run.mem_frees, run.mem_open_bytes) == (8, 11841687, 8, 0)
