"""The history commands and `hil --help` never import the heavy libraries; the help index cannot drift."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import typer

from hil.cli import commands
from hil.store import Store
from tests.unit.history.test_store_history import _frames, _record, _result

HEAVY = ("numpy", "onnxruntime", "cv2", "paramiko", "fabric", "onnx", "sqlite_utils")
PROBE = """
import json, sys
sys.argv = ["hil", *json.loads(sys.argv[1])]
from hil.cli import main
try:
    main.main()
except SystemExit:
    pass
sys.stderr.write("\\nLOADED " + json.dumps(sorted(m for m in {heavy!r} if sys.modules.get(m))) + "\\n")
"""


def _loaded(*args: str) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), json.dumps(args)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    line = [x for x in proc.stderr.splitlines() if x.startswith("LOADED ")]
    assert line, proc.stderr
    return json.loads(line[-1].removeprefix("LOADED "))


def test_index_matches_the_real_commands() -> None:
    app = typer.Typer()
    commands.register(app)
    group = typer.main.get_command(app)
    real = [
        (name, re.sub(r"\s+", " ", (group.commands[name].help or "").split("\n\n")[0]).strip())  # type: ignore[attr-defined]
        for name in group.list_commands(None)  # type: ignore[attr-defined, arg-type]
    ]
    assert real == list(commands.INDEX), "update commands.INDEX with the new or changed command"


def test_history_commands_and_help_import_no_heavy_module(tmp_path: Path) -> None:
    db = tmp_path / "hil.sqlite"
    with Store.open(db) as store:
        for i in range(4):
            _record(store, f"r{i}", _result(), _frames(20, 1.0, seed=i))
    assert _loaded("--help") == []
    assert _loaded("history", "--db", str(db)) == []
    assert _loaded("history", "--db", str(db), "--plot") == []
    assert _loaded("compare", "r0", "r1", "--db", str(db)) == []
    assert _loaded("trend", "--db", str(db), "--json") == []
    # The probe itself works: a command that needs numpy does import it.
    assert "numpy" in _loaded("run", "--help")


def test_a_command_imports_only_what_it_needs() -> None:
    # Each command registers its own module alone: `hil sim`, `hil keys` or `hil show` (called by every
    # script and test, many times a run) never pay for what `hil run` imports.
    assert _loaded("keys", "--help") == []
    assert not {"onnx", "onnxruntime", "cv2", "numpy"} & set(_loaded("sim", "--help"))
    assert not {"onnx", "onnxruntime", "cv2", "paramiko"} & set(_loaded("show", "--help"))
    assert not {"onnx", "onnxruntime", "cv2", "paramiko"} & set(_loaded("import", "--help"))
    # An unknown word registers every command, so click can suggest the one meant.
    assert "onnx" in _loaded("bogus")
