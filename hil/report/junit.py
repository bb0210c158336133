"""JUnit XML for the CI server: a testsuite per board, a testcase per board x model x precision x clip.

fail and regression are <failure> (the model is at fault), infra_error is <error> (the board or the rack
is), skipped is <skipped/> with its reason. A testcase's time is that job's wall time (when the run measured
it); the board's fingerprint (kernel, OS, toolchain versions) is the testsuite's <properties>, where the
schema Jenkins and GitLab read allows them; the root carries no `skipped` count, which that schema rejects.
Tool output can carry ANSI escapes and other control characters that XML 1.0
cannot hold at all, not even escaped; they are replaced so that the file always parses.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from hil.records import JobResult, RunSummary

# Characters outside the XML 1.0 Char production.
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean(text: str) -> str:
    """Text that XML 1.0 can carry: each forbidden character becomes a visible \\xNN escape."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _task(r: JobResult) -> list[str]:
    """A detection / landmark / regression model's headline figures (docs/results.md, "Task metrics")."""
    if r.task is None or r.task == "classification":
        return []
    metrics = r.task_metrics or {}
    keys = {"detection": ("map50", "f1"), "landmarks": ("nme", "failure_rate"), "regression": ("mae",)}
    return [f"task={r.task}", *(f"{k}={metrics.get(k)}" for k in keys.get(r.task, ()))]


def _metrics(r: JobResult) -> str:
    lat = r.latency_ms
    parts = [
        f"accuracy={r.accuracy}",
        *_task(r),
        f"p50_ms={None if lat is None else lat.p50}",
        f"p99_ms={None if lat is None else lat.p99}",
        f"n={None if lat is None else lat.n}",
        f"fps={r.fps}",
        f"power_w={r.power_w}" + (" (modelled)" if r.power_source == "sim-model" else ""),
        f"memory_peak_mb={r.memory_peak_mb}",
        f"conversion_s={r.conversion_s}",
        f"engine_bytes={r.engine_bytes}",
    ]
    budgets = ", ".join(f"{k}={v}" for k, v in r.budgets.model_dump().items())
    return "\n".join([*parts, f"budgets: {budgets}"])


Times = dict[tuple[str, str, str, str], float]  # (board, model, precision, clip) -> wall seconds


def _key(r: JobResult) -> tuple[str, str, str, str]:
    return (r.board, r.model, r.precision, r.clip)


def _testcase(suite: ET.Element, r: JobResult, seconds: float) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        name=clean(f"{r.model}/{r.precision}/{r.clip}"),
        classname=clean(f"hil.{r.platform}.{r.board}"),
        time=f"{seconds:.3f}",
    )
    stage = f" [{r.stage}]" if r.stage else ""
    if r.status in ("fail", "regression"):
        failed = r.budgets.failed()
        message = f"{r.status}{stage}: " + (
            "budgets failed: " + ", ".join(failed) if failed else (r.error or "check failed")
        )
        if failed and r.error:  # the values and limits: "over budget: p99 latency 131.2 ms > 100 ms"
            message += f" ({r.error})"
        node = ET.SubElement(case, "failure", message=clean(message), type=r.status)
        node.text = clean("\n".join(filter(None, [r.error, _metrics(r)])))
    elif r.status == "infra_error":
        message = f"infrastructure error{stage}: {r.error or 'unknown'}"
        node = ET.SubElement(case, "error", message=clean(message), type=r.stage or "infra_error")
        node.text = clean(r.error or "")
    elif r.status == "skipped":
        ET.SubElement(case, "skipped", message=clean(r.error or "skipped"), type=r.stage or "skipped")
    ET.SubElement(case, "system-out").text = clean(_metrics(r))


def junit_tree(summary: RunSummary, times: Times | None = None) -> ET.ElementTree[ET.Element]:
    """`times`: each job's wall time; without it, a job's conversion time (0 when none) stands in."""
    times = times or {}
    boards: dict[str, list[JobResult]] = {}
    for r in summary.results:
        boards.setdefault(r.board, []).append(r)
    root = ET.Element("testsuites", name=clean(f"hil run {summary.run_id}"))
    totals = {"tests": 0, "failures": 0, "errors": 0}
    total_s = 0.0
    for board, results in boards.items():
        seconds = [times.get(_key(r), r.conversion_s or 0.0) for r in results]
        counts = {
            "tests": len(results),
            "failures": sum(r.status in ("fail", "regression") for r in results),
            "errors": sum(r.status == "infra_error" for r in results),
            "skipped": sum(r.status == "skipped" for r in results),
        }
        attrs = {
            "name": clean(board),
            **{k: str(v) for k, v in counts.items()},
            "time": f"{sum(seconds):.3f}",
        }
        suite = ET.SubElement(root, "testsuite", attrs)
        fingerprint: dict[str, str] = {}
        for r in results:
            fingerprint.update(r.fingerprint)
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="run_id", value=clean(summary.run_id))
        ET.SubElement(props, "property", name="platform", value=clean(results[0].platform))
        for key, value in sorted(fingerprint.items()):
            ET.SubElement(props, "property", name=clean(f"fingerprint.{key}"), value=clean(value))
        for r, s in zip(results, seconds, strict=True):
            _testcase(suite, r, s)
        for key in totals:
            totals[key] += counts[key]
        total_s += sum(seconds)
    root.attrib.update({k: str(v) for k, v in totals.items()})
    root.set("time", f"{total_s:.3f}")
    return ET.ElementTree(root)


def write_junit(summary: RunSummary, path: Path, times: Times | None = None) -> None:
    """Write the run as JUnit XML to `path` (UTF-8, with an XML declaration)."""
    tree = junit_tree(summary, times)
    ET.indent(tree)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written aside and renamed, so a CI server never picks up half a file.
    partial = path.with_name(path.name + ".partial")
    tree.write(partial, encoding="utf-8", xml_declaration=True)
    partial.replace(path)
