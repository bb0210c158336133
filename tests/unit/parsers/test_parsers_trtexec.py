"""trtexec variations the real captures do not cover: TensorRT 7 blocks, 8.0-8.2, 10 without build tag,
several runs per file, runs that never finished, precision from flags, and text that is not trtexec."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hil.errors import ParseError
from hil.parsers.trtexec import parse_trtexec, tensorrt_version

Read = Callable[[str], str]


def test_trt7_blocks_and_two_appended_runs(fixture_text: Read) -> None:
    first, second = parse_trtexec(fixture_text("trtexec-trt7-two-runs.log")).invocations
    assert (first.status, first.tensorrt_version, first.precision, first.batch) == (
        "passed",
        None,  # TensorRT 7 banners carry no version token
        ["fp32", "fp16"],
        1,
    )
    assert first.throughput_qps is None  # `throughput: 0 qps` is TensorRT 7's bug, not a measurement
    assert first.latency_ms is not None and first.gpu_compute_ms is not None and first.enqueue_ms is not None
    assert (first.latency_ms.min, first.latency_ms.mean, first.latency_ms.p99) == (2.20081, 2.27686, 2.55957)
    assert first.latency_ms.p90 is None
    assert (first.gpu_compute_ms.median, first.gpu_compute_ms.p99) == (1.98068, 2.26978)
    assert first.enqueue_ms.mean is None  # TensorRT 7 prints no mean enqueue time
    assert first.h2d_ms is None and first.d2h_ms is None
    # `--loadEngine=... --int8`: the engine's precision was decided at its build, the flag says nothing
    assert (second.precision, second.batch, second.throughput_qps) == (None, 4, 3451.62)
    assert second.latency_ms is not None and second.gpu_compute_ms is not None
    # `--percentile=90` makes the single percentile line the p90
    assert (second.latency_ms.p90, second.latency_ms.p99) == (1.18262, None)
    assert second.gpu_compute_ms.p90 == 0.995117


def test_trt82_end_to_end_line_is_not_taken_for_latency(fixture_text: Read) -> None:
    [run] = parse_trtexec(fixture_text("trtexec-trt82-end-to-end.log")).invocations
    assert (run.status, run.tensorrt_version, run.precision, run.batch) == (
        "passed",
        "8.2.1",
        ["fp32", "int8"],
        None,
    )
    assert run.latency_ms is not None and run.h2d_ms is not None
    assert (run.latency_ms.min, run.latency_ms.p99, run.latency_ms.p95) == (2.45728, 2.74414, None)
    assert run.h2d_ms.mean == 0.0812378
    assert run.throughput_qps == 395.271


def test_trt10_banner_without_build_tag(fixture_text: Read) -> None:
    [run] = parse_trtexec(fixture_text("trtexec-trt10-no-build-tag.log")).invocations
    assert (run.tensorrt_version, run.precision) == ("10.3.0", ["fp32", "fp16", "int8"])
    assert run.d2h_ms is not None and run.d2h_ms.p95 == 0.0251465


def test_failed_run_and_run_that_never_finished(fixture_text: Read) -> None:
    failed, unfinished = parse_trtexec(fixture_text("trtexec-trt86-error-then-crash.log")).invocations
    assert (failed.status, failed.precision, failed.latency_ms) == ("failed", ["fp32", "int8"], None)
    assert (unfinished.status, unfinished.tensorrt_version, unfinished.precision) == (
        "failed",
        "8.6.1",
        ["fp32", "fp16"],
    )


@pytest.mark.parametrize(
    ("command", "precision"),
    [
        ("trtexec --onnx=m.onnx", ["fp32"]),
        ("trtexec --onnx=m.onnx --int8", ["fp32", "int8"]),
        ("trtexec --onnx=m.onnx --best", ["fp32", "fp16", "int8"]),
        ("trtexec --onnx=m-fp16.onnx --saveEngine=fp16.engine", ["fp32"]),  # `fp16` in a name is no flag
        ("trtexec --loadEngine=m.engine --fp16", None),  # precision unknown: the engine's build set it
        ("trtexec --loadEngine m.engine", None),
    ],
)
def test_pasted_tail_takes_precision_from_the_echoed_command(
    command: str, precision: list[str] | None
) -> None:
    text = (
        "[I] Throughput: 120.5 qps\n"
        "[I] Latency: min = 8.1 ms, max = 9.9 ms, mean = 8.3 ms, median = 8.2 ms, percentile(99%) = 9.1 ms\n"
        f"&&&& PASSED TensorRT.trtexec [TensorRT v8601] # {command}\n"
    )
    [run] = parse_trtexec(text).invocations
    assert (run.status, run.precision, run.throughput_qps) == ("passed", precision, 120.5)
    assert run.latency_ms is not None and run.latency_ms.p99 == 9.1


def test_verbose_explanations_and_wrapper_prefixes_are_not_data() -> None:
    text = (
        "&&&& RUNNING TensorRT.trtexec [TensorRT v8401] # trtexec --onnx=m.onnx\n"
        "[INFO] [08/17/2022-07:51:05] [I] Throughput: 50 qps\n"
        "[08/17/2022-07:51:05] [V] Throughput: the observed throughput computed by dividing ...\n"
        "[08/17/2022-07:51:05] [V] Latency: min = 1 ms, max = 1 ms, mean = 1 ms, median = 1 ms\n"
        "&&&& PASSED TensorRT.trtexec [TensorRT v8401] # trtexec --onnx=m.onnx\n"
    )
    [run] = parse_trtexec(text).invocations
    assert run.throughput_qps == 50.0
    assert run.latency_ms is None  # only [I] lines are data


@pytest.mark.parametrize(
    ("code", "version"),
    [("7103", "7.1.3"), ("8203", "8.2.3"), ("8401", "8.4.1"), ("8601", "8.6.1"), ("101401", "10.14.1")],
)
def test_banner_version_codes(code: str, version: str) -> None:
    assert tensorrt_version(code) == version
    assert tensorrt_version("110000") == "11.0.0"


def test_numbers_without_a_status_line_are_refused() -> None:
    with pytest.raises(ParseError, match="PASSED"):
        parse_trtexec("[I] Throughput: 97.8 qps\n[I] Latency: min = 10.6 ms, max = 10.9 ms\n")


@pytest.mark.parametrize("text", ["", "hello\nworld\n", "RAM 1/2MB CPU [1%@2]\n"])
def test_text_that_is_not_trtexec_is_an_error(text: str) -> None:
    with pytest.raises(ParseError, match=r"not trtexec output: looked for `&&&&"):
        parse_trtexec(text)


def test_a_loaded_engine_run_says_precision_unknown_even_with_build_options_printed() -> None:
    text = (
        "&&&& RUNNING TensorRT.trtexec [TensorRT v100300] # trtexec --loadEngine=dms.engine\n"
        "[I] === Build Options ===\n[I] Precision: FP32\n"
        "[I] Throughput: 300 qps\n"
        "&&&& PASSED TensorRT.trtexec [TensorRT v100300] # trtexec --loadEngine=dms.engine\n"
    )
    [run] = parse_trtexec(text).invocations
    assert run.precision is None
