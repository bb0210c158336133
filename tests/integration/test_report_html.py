"""`hil report html` and `hil run --html` opened in a real browser (headless Chromium, Debian's `chromium`).

Real runs on a simulated Orin (real sshd, real ONNX Runtime), then the page in Chromium over the DevTools
protocol: no console error, no network request, one matrix cell per result, one trend chart per series,
every chart drawn (its canvas holds pixels of its data series' colour, not just axes), every matrix link
reaching its result's details. A real `slow` fault ends a run in a regression: its cell is red and both
frame-time distributions are drawn. Screenshots are saved under $HIL_TEST_ARTIFACTS (default
test-artifacts/).
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO, Hil, needs_sshd, write_sim_inventory
from tests.fixtures.chromium import Browser, chromium_binary

CHROMIUM = chromium_binary()
pytestmark = [
    needs_sshd,
    pytest.mark.skipif(
        CHROMIUM is None, reason="no chromium (Debian's `chromium` package; `make test` installs it as root)"
    ),
]

MODEL = REPO / "artifacts/models/dms-small.onnx"
CLIP = REPO / "artifacts/clips/cabin-01.mp4"
BOARD = "orin-sim-01"
ARTIFACTS = Path(os.environ.get("HIL_TEST_ARTIFACTS", REPO / "test-artifacts"))

# Per chart kind, the colour (r, g, b) of the series it exists to show (hil/report/assets/report.js).
SERIES_COLOUR = {
    "trend": (30, 136, 229), "power": (244, 81, 30), "power-modelled": (142, 36, 170),
    "result": (229, 57, 53), "baseline": (120, 120, 120),
}  # fmt: skip

PAGE_FACTS = """(() => {
  const near = (d, i, c) => Math.abs(d[i] - c[0]) < 40 && Math.abs(d[i + 1] - c[1]) < 40
    && Math.abs(d[i + 2] - c[2]) < 40 && d[i + 3] > 100;
  const colours = %s;
  const charts = [...document.querySelectorAll('.chart')].map(el => {
    const canvas = el.querySelector('canvas');
    if (!canvas) return {kind: el.className, drawn: 0};
    const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let kind = el.classList.contains('trend') ? 'trend' : el.classList.contains('dist') ? 'dist' : 'power';
    let colour = colours[kind];
    if (kind === 'power' && el.dataset.modelled === 'true') colour = colours['power-modelled'];
    let drawn = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (kind === 'dist' ? near(d, i, el.dataset.which === 'result' ? colours.result : colours.baseline)
          : near(d, i, colour)) drawn++;
    }
    return {kind, drawn, result: el.dataset.result, which: el.dataset.which || null};
  });
  const cells = [...document.querySelectorAll('a.cell')].map(a => ({
    href: a.getAttribute('href'), result: a.dataset.result,
    status: [...a.classList].find(c => c.startsWith('s-')),
    background: getComputedStyle(a).backgroundColor,
    reaches: !!document.getElementById(a.getAttribute('href').slice(1)),
  }));
  return {charts, cells, title: document.title};
})()"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM is not None
    opened = Browser(CHROMIUM)
    yield opened
    opened.close()


def _facts(browser: Browser, page: Path, shot: str) -> dict:
    browser.open(page.absolute().as_uri())
    facts = browser.evaluate(PAGE_FACTS % json.dumps(SERIES_COLOUR))
    browser.screenshot(ARTIFACTS / shot)
    assert browser.console_errors() == []
    assert [u for u in browser.requests() if u != page.absolute().as_uri()] == []  # nothing fetched
    return dict(facts)


def _run(hil: Hil, inventory: Path, *extra: str) -> tuple[int, dict]:
    proc = hil(
        "run", "-i", str(inventory), "--model", str(MODEL), "--clip", str(CLIP), "--precision", "fp32,int8",
        "--warmup", "10", "--max-frames", "200", "--json", *extra,
    )  # fmt: skip
    assert proc.stdout.strip().startswith("{"), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def test_report_of_runs_and_of_a_regression_in_chromium(hil: Hil, tmp_path: Path, browser: Browser) -> None:
    rack = write_sim_inventory(tmp_path / "rack.yaml", {BOARD: "orin"})
    hil.env["HIL_REGRESSION"] = "min_baseline=2"  # judge from the third run on: fewer runs for the test
    for _ in range(2):
        code, payload = _run(hil, rack.inventory)
        assert code == 0, payload

    # After runs: `hil report html last` writes one page that opens offline with everything drawn.
    page = tmp_path / "out" / "report.html"
    made = hil("report", "html", "last", "--out", str(page), "--json")
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["bytes"] == page.stat().st_size
    facts = _facts(browser, page, "report-html-last.png")
    results = payload["results"]
    assert len(facts["cells"]) == len(results) == 2  # one matrix cell per result
    assert all(c["reaches"] for c in facts["cells"]), facts["cells"]
    trends = [c for c in facts["charts"] if c["kind"] == "trend"]
    assert len(trends) == len({(r["board"], r["model"], r["precision"], r["clip"]) for r in results})
    powers = [c for c in facts["charts"] if c["kind"] == "power"]
    assert len(powers) == len(results)  # every result has its (modelled) power trace
    assert all(c["drawn"] > 20 for c in facts["charts"]), facts["charts"]
    html = page.read_text()
    assert "modelled (sim-model" in html and "http://" not in html.replace("http://www.w3.org", "")

    # A real slowdown: the run ends in a regression; --html and --junit write both files.
    assert hil("sim", "fault", BOARD, "runtime=slow", "-i", str(rack.inventory)).returncode == 0
    junit, nightly = tmp_path / "junit.xml", tmp_path / "nightly.html"
    for _ in range(3):  # a host too busy to judge says noisy:latency; the next try faces the same baseline
        code, payload = _run(hil, rack.inventory, "--junit", str(junit), "--html", str(nightly))
        if payload["status"] == "regression":
            break
    assert code == 1 and payload["status"] == "regression", payload["results"]
    assert ET.parse(junit).getroot().iter("failure") is not None and junit.stat().st_size > 0
    facts = _facts(browser, nightly, "report-html-regression.png")
    regressed = [c for c in facts["cells"] if c["status"] == "s-regression"]
    assert regressed and all(c["background"] == "rgb(229, 57, 53)" for c in regressed)  # red
    for cell in regressed:
        dists = [c for c in facts["charts"] if c["kind"] == "dist" and c["result"] == cell["result"]]
        assert sorted(c["which"] for c in dists) == ["baseline", "result"]
        assert all(c["drawn"] > 20 for c in dists), dists
    assert all(c["drawn"] > 20 for c in facts["charts"]), facts["charts"]
