"""`make bench` / bench/run.py: every bench/bench_*.py is found and its figures land beside their anchors in
docs/benchmarks.md. (The benchmarks themselves are not run here: they are not tests.)"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
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
    assert {"transport", "harness"} <= set(found)
    for path in found.values():
        module = runner.load(path)
        assert callable(module.run)
        assert "def run(quick: bool = False)" in path.read_text()
        assert 'if __name__ == "__main__":' in path.read_text()


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
