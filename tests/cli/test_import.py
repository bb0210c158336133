"""`hil import`: hand-made measurements join the history, marked as imported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import REPO, Hil

REAL_LOGS = REPO.parent / "shared" / "real-logs"
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
    teg = hil("import", "tegrastats", str(REAL_LOGS / "tegrastats-01.txt"), "-b", "orin-lab-1", "-m", "yolo",
              "-p", "fp16")  # fmt: skip
    assert teg.returncode == 0, teg.stderr
    history = hil("history", "--board", "orin-lab-1", "--json")
    rows = json.loads(history.stdout)["results"]
    assert len(rows) == 2 and all(r["source"] == "import" for r in rows)
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
