"""The command modules, in the order `hil --help` lists them. Each has `register(app)`.

Most command modules import ONNX Runtime, OpenCV, numpy or paramiko at their top (most of a second), so a
command line registers only what it runs:
- a known command registers its own module alone (`hil sim up` never imports what `hil run` needs; every
  test, script and nightly job pays this start-up once per call);
- `hil` / `hil --help` only lists commands: it registers INDEX, stand-ins carrying each command's summary
  (tests/unit/history/test_fast_commands.py checks INDEX against the real commands, so it cannot drift);
- an unknown word registers every command, so the error can suggest the right one.
"""

from __future__ import annotations

import importlib
from types import ModuleType

import typer

NAMES = (
    "run", "show", "history", "compare", "trend", "export", "parse", "importer", "assets", "boards", "sim",
    "store", "deploy", "keys", "report", "diagnose",
)  # fmt: skip
# Command name -> the module that registers it.
MODULE_OF = {
    **{name: name for name in NAMES if name not in ("importer", "assets")},
    "import": "importer", "calibrate": "assets", "quantize": "assets", "clipgen": "assets",
}  # fmt: skip
# (command, the first paragraph of its help), in the order of NAMES' registration.
INDEX = (
    ("run", "Replay recorded cabin clips through models on boards and check them against budgets."),
    ("show", "Show a stored run: its results table, one result in full, or the logs behind it."),
    ("history", "Past results from the store, newest first."),
    ("compare", "Compare two runs metric by metric, with significance and verdicts."),
    ("trend", "Plot a metric over runs in the terminal, per board x model x precision x clip."),
    ("export", "Write results as CSV or JSON Lines (one result per line), to a file or stdout."),
    ("parse", "Parse a vendor tool's output into hil's normalized form and show it."),
    ("import", "Store a measurement made by hand so it joins the board's history, marked as imported."),
    ("calibrate", "Sample an INT8 calibration set from clips, stratified over clips, states and lighting."),
    (
        "quantize",
        "Write FP16 and/or INT8 (QDQ) variants of an ONNX model with their cards; optionally score them.",
    ),
    ("clipgen", "Render a synthetic NIR driver clip with per-frame labels (CSV and OpenLABEL)."),
    (
        "deploy",
        "Roll an engine out to vehicles: canaries first, in waves, gated on how it behaves on each vehicle.",
    ),
    (
        "diagnose",
        "Find the layers where a quantized model departs from its FP32 reference, and who is to blame.",
    ),
    ("boards", "The boards of an inventory, and their SSH host keys."),
    (
        "sim",
        "The simulated rack: one real OpenSSH sshd per simulated board on a loopback address, with emulated "
        "vendor tools. `hil run` starts what it needs by itself; use these to keep it up.",
    ),
    ("store", "Maintain the results store."),
    ("keys", "The key that signs engine manifests (vehicles verify them with openssl)."),
    ("report", "Write a stored run as a report: one self-contained HTML page for a browser."),
)


def _modules(names: tuple[str, ...]) -> list[ModuleType]:
    return [importlib.import_module(f"hil.cli.{name}") for name in names]


def register(app: typer.Typer, command: str | None = None, help_only: bool = False) -> None:
    """Register the commands: only the module of `command` (the one being run) when it is known, the INDEX
    stand-ins when `help_only` (the top-level help, where no command runs), else every one."""
    if help_only:
        for name, summary in INDEX:
            app.command(name, help=summary)(_stand_in)
        return
    names = (MODULE_OF[command],) if command in MODULE_OF else NAMES
    for module in _modules(names):
        module.register(app)


def _stand_in() -> None:
    """Never run: `hil --help` lists commands without calling them."""
