"""`hil import`: hand-made measurements join the history, marked as imported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hil.measure.budgets import Budgets
from hil.parsers.trtexec import parse_trtexec
from hil.records import LatencyStats
from hil.runs.importer import from_trtexec
from hil.store.db import Store
from tests.conftest import Hil
from tests.unit.parsers.conftest import REAL_LOGS

needs_logs = pytest.mark.skipif(
    not REAL_LOGS.is_dir(), reason="../shared/real-logs is absent (a user's clone)"
)


@needs_logs
def test_import_trtexec_and_tegrastats_show_in_history_as_imported(hil: Hil) -> None:
    trt = hil(
        "import", "trtexec", str(REAL_LOGS / "trtexec-05.log"), "-b", "orin-lab-1", "-m", "yolo", "--json"
    )
    assert trt.returncode == 0, trt.stderr
    result = json.loads(trt.stdout)
    expected = json.loads((REAL_LOGS / "trtexec-05.log.json").read_text())["expected"]
    assert result["source"] == "import" and result["precision"] == "fp16"
    assert result["latency_kind"] == "device_compute"
    gpu = expected["gpu_compute_ms"]
    assert result["latency_ms"]["mean"] == pytest.approx(gpu["mean"])
    assert result["latency_ms"]["p99"] == pytest.approx(gpu["p99"])
    assert result["fps"] == pytest.approx(expected["throughput_qps"])
    # trtexec's own statistics over a number of queries it does not print: n unknown, never 0.
    assert result["latency_ms"]["n"] is None and result["latency_ms"]["percentiles_from"] == "trtexec"
    assert result["latency_ms"]["p50"] == pytest.approx(gpu["median"])
    assert "trtexec's own, over an unknown sample count" in trt.stderr
    teg = hil("import", "tegrastats", str(REAL_LOGS / "tegrastats-01.txt"), "-b", "orin-lab-1", "-m", "yolo",
              "-p", "fp16")  # fmt: skip
    assert teg.returncode == 0, teg.stderr
    history = hil("history", "--board", "orin-lab-1", "--json")
    rows = json.loads(history.stdout)["results"]
    assert len(rows) == 2 and all(r["source"] == "import" for r in rows)
    [timed] = [r for r in rows if r["p99"] is not None]
    assert timed["n"] is None and timed["percentiles_from"] == "trtexec"
    assert any(r["power_w"] and r["power_w"] > 0 for r in rows)
    table = hil("history", "--board", "orin-lab-1")
    assert "imported" in table.stdout


def test_import_rejects_unknown_kind_and_text_it_cannot_read(hil: Hil, tmp_path: Path) -> None:
    junk = tmp_path / "junk.log"
    junk.write_text("hello\nworld\n")
    bad_kind = hil("import", "snpe", str(junk), "-b", "x", "-m", "y")
    assert bad_kind.returncode == 2 and "trtexec" in bad_kind.stderr
    unreadable = hil("import", "trtexec", str(junk), "-b", "x", "-m", "y")
    assert unreadable.returncode == 2
    assert not (tmp_path / "hil.sqlite").exists() or "junk" not in (
        tmp_path / "hil.sqlite"
    ).read_bytes().decode(errors="ignore")


TAIL = (
    "&&&& RUNNING TensorRT.trtexec [TensorRT v8502] # trtexec --loadEngine=m.engine --fp16\n"
    "[I] GPU Compute Time: min = 10.0 ms, max = 10.4 ms, mean = 10.2 ms, percentile(99%) = 10.35 ms\n"
    "[I] Throughput: 97.5 qps\n"
    "&&&& PASSED TensorRT.trtexec [TensorRT v8502] # trtexec --loadEngine=m.engine --fp16\n"
)


def test_a_median_trtexec_did_not_print_stays_unknown_and_survives_the_store(tmp_path: Path) -> None:
    # A --loadEngine run does not say its precision: the caller does (hil import --precision).
    result = from_trtexec(parse_trtexec(TAIL), "orin-1", "orin", "m", "fp16", Budgets())
    lat = result.latency_ms
    assert lat is not None
    assert (lat.mean, lat.p50, lat.p90, lat.p99, lat.n) == (10.2, None, None, 10.35, None)  # p50 is no mean
    assert lat.percentiles_from == "trtexec" and lat.insufficient == []
    assert result.budgets.latency is True  # judged on trtexec's p99, which it printed
    with Store.open(tmp_path / "h.sqlite") as store:
        store.begin_run("r1", inventory="", argv=[])
        store.record_job("r1", result, [], [])
        store.finish_run("r1", result.status)
        [row] = store.db.execute("SELECT lat_n, lat_p50, lat_percentiles_from FROM results").fetchall()
    assert row == (None, None, "trtexec")


def test_hils_own_statistics_say_so() -> None:
    own = LatencyStats(min=1, mean=2, p50=2, p90=None, p99=None, max=3, n=5, insufficient=["p90", "p99"])
    assert own.percentiles_from is None  # hil computed them from its n samples
