"""The HTML report's page without a browser: self-contained, one cell per result, one trend per series, the
regression's two distributions, the vendored uPlot checked (tests/integration/test_report_html.py opens
pages in Chromium)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from hil.errors import ConfigError
from hil.report import html_page
from hil.report.html import write_html
from hil.runs.verdict import judge_results
from hil.store import Store
from hil.store.reader import StoreReader
from hil.store.rows import JobLog
from tests.unit.history.test_store_history import _frames, _record, _result

TEGRASTATS = "\n".join(
    f"{1796679458.2 + i / 10:.6f} 12-07-2026 21:37:38 RAM 1991/24105MB (lfb 785x4MB) "
    f"CPU [100%@2596,100%@2596] GR3D_FREQ 0% VDD_IN {3000 + 50 * i}mW/3000mW "
    "VDD_CPU_GPU_CV 600mW/600mW VDD_SOC 1000mW/1000mW"
    for i in range(20)
)


def _store(path: Path) -> str:
    """Three quiet runs of two series, then a run whose fp16 series is twice as slow: a regression."""
    with Store.open(path) as store:
        for i in range(4):
            run = f"r{i}"
            store.begin_run(run, inventory="sim", argv=["run"])
            for precision, centre in (("fp16", 2.0), ("int8", 1.0)):
                slow = 2.0 if (i == 3 and precision == "fp16") else 1.0
                result = _result(precision=precision, power_w=3.0, power_source="tegrastats")
                logs = [
                    JobLog(kind="power", command="tegrastats --interval 100", text=TEGRASTATS),
                    JobLog(kind="convert", command="trtexec --onnx=m.onnx --fp16", text="x\n" * 100),
                ]
                store.record_job(run, result, _frames(60, centre * slow, seed=10 * i + len(precision)), logs)
            judge_results(store, run, [_result(precision="fp16"), _result(precision="int8")])
            store.finish_run(run, "regression" if i == 3 else "pass")
    return "r3"


def test_the_page_is_self_contained_and_shows_every_result(tmp_path: Path) -> None:
    path = tmp_path / "hil.sqlite"
    run = _store(path)
    page = tmp_path / "report.html"
    with StoreReader.open(path) as reader:
        size = write_html(reader, run, page, last=30)
    html = page.read_text()
    assert size == len(html.encode())
    # Nothing is loaded from anywhere: no src/href to another document, no URL but the page's own anchors.
    assert not re.search(r"""(src|href)=["'](?!#)""", html)
    assert "uPlot" in html and "<script src" not in html
    cells = re.findall(r'<a class="cell s-(\w+)" href="#r(\d+)"', html)
    assert [s for s, _ in cells] == ["regression", "pass"]  # one cell per result of the run
    for _, rid in cells:
        assert f'id="r{rid}"' in html  # its details
    assert html.count('class="chart trend"') == 2 and html.count('class="chart power"') == 2
    regressed = cells[0][1]
    assert html.count(f'class="chart dist" data-result="{regressed}"') == 2
    data = json.loads(re.search(r'id="hil-data">(.*?)</script>', html, re.S).group(1))  # type: ignore[union-attr]
    by_id = {str(r["id"]): r for r in data["results"]}
    dist = by_id[regressed]["dist"]
    assert len(dist["result"]) == 55 and len(dist["baseline"]) == 3 * 55  # frames after warm-up
    assert min(dist["result"]) > max(dist["baseline"]) * 0.5
    assert len(by_id[regressed]["history"]["points"]) == 4 and by_id[regressed]["history"]["baseline"] == [
        0,
        1,
        2,
    ]
    trace = by_id[regressed]["trace"]
    assert trace[0] == [0.0, 3.0] and len(trace) == 20  # watts from the platform's tegrastats parser
    assert "trtexec --onnx=m.onnx --fp16" in html  # the converter's exact command line


def test_bad_input_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "hil.sqlite"
    with Store.open(path) as store:
        _record(store, "r1", _result(), _frames(20, 1.0, seed=1))
    with StoreReader.open(path) as reader:
        with pytest.raises(ConfigError, match="no run 'nope'"):
            write_html(reader, "nope", tmp_path / "x.html")
        with pytest.raises(ConfigError, match="is a folder"):
            write_html(reader, "r1", tmp_path)
        with pytest.raises(ConfigError, match="--last"):
            write_html(reader, "r1", tmp_path / "x.html", last=0)


def test_the_vendored_library_is_the_published_file(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "uPlot" in html_page._vendor("uPlot.iife.min.js")
    monkeypatch.setitem(html_page.VENDOR, "uPlot.min.css", "0" * 64)
    with pytest.raises(RuntimeError, match="not the file hil was built with"):
        html_page._vendor("uPlot.min.css")


def test_a_suite_file_names_the_report(tmp_path: Path, material: tuple[Path, Path]) -> None:
    from hil.runs.suitefile import load_suite_file

    model, _ = material
    path = tmp_path / "nightly.yaml"
    path.write_text(f"models: [{model.name}]\nclips: ['*.mp4']\nhtml: reports/nightly.html\n")
    assert load_suite_file(path).spec.html == "reports/nightly.html"
    path.write_text(f"models: [{model.name}]\nclips: ['*.mp4']\nhtml: [a, b]\n")
    with pytest.raises(ConfigError, match="html"):
        load_suite_file(path)
