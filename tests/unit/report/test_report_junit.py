"""JUnit XML: parses with xml.etree, one suite per board, failure/error/skipped counted right."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import xmlschema

from hil.records import BudgetVerdicts, JobResult, RunSummary
from hil.report import run_json, write_junit

XSD = Path(__file__).resolve().parents[2] / "fixtures" / "junit" / "junit.xsd"


def _r(board: str, status: str, **changes: object) -> JobResult:
    base = JobResult(
        board=board, platform="orin", model="dms-v3", precision="fp16", clip="day", status="pass"
    )
    return base.model_copy(update={"status": status, **changes})


def _summary() -> RunSummary:
    return RunSummary(
        run_id="r-1",
        status="fail",
        results=[
            _r("orin-01", "pass", budgets=BudgetVerdicts(latency=True)),
            _r("orin-01", "fail", clip="night", budgets=BudgetVerdicts(latency=False, power=False)),
            _r("orin-01", "regression", precision="int8", error="p99 14.2 ms vs 11.0 ms over 30 nights"),
            _r(
                "qcs-01",
                "infra_error",
                stage="connect",
                error="ssh: timed out <after> 30 s & gave up \x1b[31m",
            ),
            _r("qcs-01", "skipped", error="no QNN SDK on this board"),
        ],
    )


def test_junit_counts_and_structure(tmp_path: Path) -> None:
    path = tmp_path / "ci" / "junit.xml"
    write_junit(_summary(), path)
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("5", "2", "1")
    assert root.get("skipped") is None  # Jenkins' schema has no skipped count on testsuites
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert set(suites) == {"orin-01", "qcs-01"}
    orin = suites["orin-01"]
    assert (orin.get("tests"), orin.get("failures"), orin.get("errors")) == ("3", "2", "0")
    names = [case.get("name") for case in orin.iter("testcase")]
    assert names == ["dms-v3/fp16/day", "dms-v3/fp16/night", "dms-v3/int8/day"]
    failures = [f for f in root.iter("failure")]
    assert [f.get("type") for f in failures] == ["fail", "regression"]
    assert "budgets failed: latency, power" in (failures[0].get("message") or "")
    assert "p99 14.2 ms" in (failures[1].get("message") or "")
    [error] = root.iter("error")
    assert error.get("type") == "connect"
    assert "<after> 30 s & gave up" in (error.get("message") or "")
    assert len(list(root.iter("skipped"))) == 1
    assert not list(tmp_path.glob("ci/*.partial"))


def test_control_characters_cannot_break_the_xml(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    write_junit(_summary(), path)
    raw = path.read_bytes()
    assert b"\x1b" not in raw
    [error] = ET.parse(path).getroot().iter("error")
    assert "\\x1b[31m" in (error.text or "")


def test_run_json_is_the_model_dump_with_the_compression_tables() -> None:
    summary = _summary()
    document = json.loads(run_json(summary))
    assert document["compression"], "every board and model has its compression table"
    assert {(t["board"], t["model"]) for t in document["compression"]} == {
        (r.board, r.model) for r in summary.results if r.status in ("pass", "fail", "regression")
    }
    assert {k: v for k, v in document.items() if k != "compression"} == {
        k: v for k, v in summary.model_dump(mode="json").items() if k != "compression"
    }
    assert RunSummary.model_validate_json(run_json(summary)).results == summary.results


def test_junit_is_valid_against_the_ci_schema_with_times_reasons_and_fingerprint(tmp_path: Path) -> None:
    summary = _summary()
    summary.results[0].fingerprint.update({"kernel": "5.15.136-tegra", "tensorrt": "10.3.0"})
    times = {("orin-01", "dms-v3", "fp16", "day"): 12.5, ("qcs-01", "dms-v3", "fp16", "day"): 0.25}
    path = tmp_path / "junit.xml"
    write_junit(summary, path, times)
    xmlschema.XMLSchema(XSD).validate(path)  # raises with the offending element when invalid
    root = ET.parse(path).getroot()
    first = next(root.iter("testcase"))
    assert first.get("time") == "12.500"  # the job's wall time
    orin = next(s for s in root.iter("testsuite") if s.get("name") == "orin-01")
    props = {p.get("name"): p.get("value") for p in orin.iter("property")}
    assert props["fingerprint.kernel"] == "5.15.136-tegra" and props["run_id"] == "r-1"
    [skipped] = root.iter("skipped")
    assert skipped.get("message") == "no QNN SDK on this board"


def test_schema_rejects_what_jenkins_would(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text(
        '<testsuites skipped="1"><testsuite name="a" tests="1" failures="0" errors="0"/></testsuites>'
    )
    assert not xmlschema.XMLSchema(XSD).is_valid(bad)
