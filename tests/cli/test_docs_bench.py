"""`make bench` / bench/run.py: every bench/bench_*.py is found and its figures land beside their anchors in
docs/benchmarks.md. (The benchmarks themselves are not run here: they are not tests.)"""

from __future__ import annotations

import importlib.util
import inspect
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from tests.conftest import REPO


def _runner() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_runner", REPO / "bench" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_benchmark_has_the_shared_shape() -> None:
    runner = _runner()
    found = runner.available()
    assert {"transport", "harness", "rack", "deploy", "history", "false_alarms"} <= set(found)
    for name, path in found.items():
        module = runner.load(path)
        params = list(inspect.signature(module.run).parameters.values())
        # run(quick: bool = False, ...): the runner calls run(quick=...), a benchmark's own options follow
        assert params[0].name == "quick" and params[0].default is False, name
        assert all(p.default is not inspect.Parameter.empty for p in params), name
        assert 'if __name__ == "__main__":' in path.read_text(), name


def test_the_report_pairs_each_figure_with_its_anchor_and_says_what_was_skipped() -> None:
    runner = _runner()
    from benchlib import figure  # bench/ is on sys.path once run.py is loaded

    results = [
        {
            "name": "transport",
            "title": "Transport",
            "seconds": 1.0,
            "figures": [figure("round trip", "ms", 6.0, "ssh with ControlMaster", 3.0)],
            "notes": ["one board"],
        },
        {"name": "broken", "title": "Broken", "seconds": 0.1, "figures": [], "error": "OSError: no sshd"},
        {
            "name": "push",
            "title": "Push",
            "seconds": 1.0,
            "figures": [figure("push", "ms", 5.0, "rsync", None)],
            "notes": ["rsync is not installed"],
        },
    ]
    text = runner.markdown(results, quick=False)
    assert "| round trip | 6.000 ms | ssh with ControlMaster | 3.000 ms | 2.00x |" in text
    assert "**Failed:** `OSError: no sshd`" in text
    assert "| push | 5.000 ms | rsync | skipped | – |" in text and "rsync is not installed" in text


def test_an_unknown_benchmark_is_a_usage_error() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "run.py"), "no-such-bench"], capture_output=True, text=True
    )
    assert done.returncode == 2 and "there are:" in done.stderr and "transport" in done.stderr


def test_the_writer_keeps_hand_measured_text_and_the_sections_it_did_not_run() -> None:
    runner = _runner()
    from benchlib import figure

    def result(name: str, value: float) -> dict[str, object]:
        return {"name": name, "title": name.title(), "seconds": 1.0, "notes": [],
                "figures": [figure("round trip", "ms", value, "ssh", 2.0)]}  # fmt: skip

    hand = "## History at scale (by hand)\n\n| what | hil |\n|---|---|\n| 1 M results | 0.38 ms |\n"
    first = runner.markdown([result("transport", 4.0), result("rack", 6.0)], quick=False)
    first += f"\n{runner.HAND_MEASURED}\n\n{hand}"
    # Rerunning one benchmark rewrites its section only; the other keeps its figures, the hand part its words.
    second = runner.markdown([result("rack", 8.0)], quick=True, previous=first, order=["transport", "rack"])
    assert "| round trip | 4.000 ms | ssh | 2.000 ms | 2.00x |" in second
    assert "| round trip | 8.000 ms | ssh | 2.000 ms | 4.00x |" in second
    assert "6.000 ms" not in second and "quick mode" in second
    assert second.index("## Transport") < second.index("## Rack") < second.index(runner.HAND_MEASURED)
    assert second.endswith(hand)
    # A count stands beside the count expected, printed as a count; a ratio with a zero anchor is no ratio.
    fa = {
        "name": "fa",
        "seconds": 1.0,
        "notes": [],
        "figures": [figure("false alarms", "runs", 0, "none", 0)],
    }
    counts = runner.markdown([fa], quick=False)
    assert "| false alarms | 0 runs | none | 0 runs | – |" in counts


def test_writing_one_benchmark_keeps_the_rest_of_the_doc(tmp_path: Path) -> None:
    # The real runner and benchlib beside one tiny benchmark (a copy: the repository's benchmarks are slow).
    bench = tmp_path / "bench"
    bench.mkdir()
    for name in ("run.py", "benchlib.py"):
        shutil.copy(REPO / "bench" / name, bench / name)
    (bench / "bench_tiny.py").write_text(
        "from benchlib import figure, main\n\n\ndef run(quick: bool = False):\n"
        "    return {'name': 'tiny', 'title': 'Tiny', 'notes': ['n'], "
        "'figures': [figure('sum', 'ms', 3.0, 'a loop', 1.5)]}\n\n\n"
        "if __name__ == '__main__':\n    main(run)\n"
    )
    doc = tmp_path / "benchmarks.md"
    runner = _runner()
    kept = "<!-- bench:harness -->\n## Harness\n\nmeasured earlier\n<!-- /bench:harness -->\n"
    doc.write_text(f"# Benchmarks\n\n{kept}\n{runner.HAND_MEASURED}\n\nby hand\n")
    argv = [sys.executable, str(bench / "run.py"), "tiny", "--quick", "--write", "--doc", str(doc)]
    done = subprocess.run(argv, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    text = doc.read_text()
    assert kept in text and text.endswith(f"{runner.HAND_MEASURED}\n\nby hand\n")
    assert "| sum | 3.000 ms | a loop | 1.500 ms | 2.00x |" in text and "quick mode" in text
    done = subprocess.run([*argv[:2], "tiny", "--json"], capture_output=True, text=True)
    assert json.loads(done.stdout)["figures"][0]["ratio"] == 2.0 and doc.read_text() == text  # no --write


def test_a_doc_without_markers_loses_nothing(tmp_path: Path) -> None:
    bench = tmp_path / "bench"
    bench.mkdir()
    for name in ("run.py", "benchlib.py"):
        shutil.copy(REPO / "bench" / name, bench / name)
    (bench / "bench_tiny.py").write_text(
        "from benchlib import figure\n\n\ndef run(quick: bool = False):\n"
        "    return {'name': 'tiny', 'figures': [figure('sum', 'ms', 3.0, 'a loop', 1.5)]}\n"
    )
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\n## Measured by hand\n\n| 1 M results | 0.38 ms |\n")
    done = subprocess.run(
        [sys.executable, str(bench / "run.py"), "--doc", str(doc)], capture_output=True, text=True
    )
    assert done.returncode == 0 and "no section markers" in done.stderr
    text = doc.read_text()
    assert "| sum | 3.000 ms | a loop | 1.500 ms | 2.00x |" in text
    assert text.endswith("## Measured by hand\n\n| 1 M results | 0.38 ms |\n")
