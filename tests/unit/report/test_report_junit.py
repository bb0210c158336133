"""JUnit XML: parses with xml.etree, one suite per board, failure/error/skipped counted right."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from hil.records import BudgetVerdicts, JobResult, RunSummary
from hil.report import run_json, write_junit


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
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == (
        "5",
        "2",
        "1",
        "1",
    )
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


def test_run_json_is_exactly_the_model_dump() -> None:
    summary = _summary()
    assert json.loads(run_json(summary)) == summary.model_dump(mode="json")
    assert RunSummary.model_validate_json(run_json(summary)) == summary
