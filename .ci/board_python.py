"""Check that every file hil pushes to a board parses and runs at the boards' oldest Python (3.8).

JetPack 5 is Ubuntu 20.04 with Python 3.8 (and TI's 08.x tools run on 3.6-3.8), so the harness bundle
(hil.harness.bundle(): hil/harness/*.py and the shared hil.measure decoders) must not use anything newer.
Three checks, each catching what the others miss:

1. vermin (a maintained static checker of minimum Python versions) with target 3.8: `zip(strict=)`,
   `dict |=`, `str.removesuffix` on a known str, new modules and functions.
2. `ast.parse(feature_version=(3, 8))`: grammar newer than 3.8 (`match`, parenthesised context managers).
3. Expressions Python evaluates at import or call time although they look like annotations: `tuple[...]`,
   `list[...]`, `collections.abc.X[...]` subscripts and `X | None` unions outside annotations and outside
   `if TYPE_CHECKING:` (vermin does not see a module-level alias such as `Slot = tuple[float, float]`), and
   `.removesuffix(` / `.removeprefix(` on anything (vermin sees them only on values it knows are str).

And where a real Python 3.8 interpreter is found (HIL_PYTHON38, `python3.8` on PATH, or pyenv's), every file
is byte-compiled by it too. Usage: python .ci/board_python.py [FILE ...] (default: the harness bundle).
Exit 0 when every file passes, 1 with one line per problem otherwise.
"""

from __future__ import annotations

import ast
import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

TARGET = (3, 8)
GENERIC_BUILTINS = {"tuple", "list", "dict", "set", "frozenset", "type"}
ABC_GENERICS = {
    "Callable", "Iterable", "Iterator", "Generator", "Mapping", "MutableMapping", "Sequence",
    "MutableSequence", "Set", "MutableSet", "Collection", "Container", "Awaitable", "Coroutine",
    "AsyncIterator", "AsyncIterable", "AsyncGenerator", "Reversible", "ItemsView", "KeysView", "ValuesView",
}  # fmt: skip
NEW_STR_METHODS = {"removesuffix", "removeprefix"}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _typeish(node: ast.expr) -> bool:
    """A name, subscript or None that reads as a type in `A | B`."""
    if isinstance(node, ast.Constant):
        return node.value is None
    if isinstance(node, ast.Name):
        return node.id in GENERIC_BUILTINS | {"int", "float", "str", "bytes", "bool"} or node.id[:1].isupper()
    if isinstance(node, ast.Subscript):
        return _typeish(node.value)
    if isinstance(node, ast.Attribute):
        return node.attr[:1].isupper()
    return isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr)


class _Runtime(ast.NodeVisitor):
    """Constructs newer than 3.8 in code that runs (annotations and TYPE_CHECKING blocks are skipped)."""

    def __init__(self, abc_names: set[str]) -> None:
        self.problems: list[tuple[int, str]] = []
        self.abc_names = abc_names  # names imported from collections.abc (typing's own subscript at 3.8)

    def _skip_annotations(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for dec in node.decorator_list:
            self.visit(dec)
        args = node.args
        for default in [*args.defaults, *(d for d in args.kw_defaults if d is not None)]:
            self.visit(default)
        for stmt in node.body:
            self.visit(stmt)

    visit_FunctionDef = _skip_annotations
    visit_AsyncFunctionDef = _skip_annotations

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            for stmt in node.orelse:
                self.visit(stmt)
            return
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        base = node.value
        if isinstance(base, ast.Name) and base.id in GENERIC_BUILTINS:
            self.problems.append((node.lineno, f"{base.id}[...] evaluated at run time needs Python 3.9"))
        elif isinstance(base, ast.Attribute) and base.attr in ABC_GENERICS:
            self.problems.append((node.lineno, f"{base.attr}[...] evaluated at run time needs Python 3.9"))
        elif isinstance(base, ast.Name) and base.id in self.abc_names:
            self.problems.append((node.lineno, f"collections.abc {base.id}[...] evaluated at run time needs "
                                               "Python 3.9 (typing's own is fine)"))  # fmt: skip
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if isinstance(node.op, ast.BitOr) and _typeish(node.left) and _typeish(node.right):
            both = isinstance(node.left, ast.Constant) or isinstance(node.right, ast.Constant)
            names = {n.id for n in (node.left, node.right) if isinstance(n, ast.Name)}
            if both or names & (GENERIC_BUILTINS | {"int", "float", "str", "bytes", "bool"}):
                self.problems.append(
                    (node.lineno, "X | Y type union evaluated at run time needs Python 3.10")
                )
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in NEW_STR_METHODS:
            self.problems.append((node.lineno, f"str.{func.attr}() needs Python 3.9"))
        strict = any(k.arg == "strict" for k in node.keywords)
        if isinstance(func, ast.Name) and func.id in {"zip", "map"} and strict:
            self.problems.append((node.lineno, f"{func.id}(strict=) needs Python 3.10"))
        self.generic_visit(node)


def check_source(path: str, text: str) -> list[str]:
    """Problems of one file by checks 2 and 3 (no subprocess): `path:line: what`."""
    try:
        ast.parse(text, filename=path, feature_version=TARGET)
    except SyntaxError as exc:
        return [f"{path}:{exc.lineno}: does not parse at Python 3.8: {exc.msg}"]
    tree = ast.parse(text, filename=path)
    abc_names = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "collections.abc"
        for alias in node.names
    }
    visitor = _Runtime(abc_names)
    visitor.visit(tree)
    return [f"{path}:{line}: {what}" for line, what in sorted(set(visitor.problems))]


def vermin(paths: list[str]) -> list[str]:
    exe = shutil.which("vermin", path=str(Path(sys.executable).parent)) or shutil.which("vermin")
    if exe is None:
        return ["vermin is not installed (it is in requirements.lock: run make setup)"]
    res = subprocess.run(
        [exe, "-t=3.8-", "--no-tips", "--violations", "--no-make-paths-absolute", *paths],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if res.returncode == 0:
        return []
    lines = [
        ln for ln in res.stdout.splitlines() if ln.strip() and not ln.startswith(("Detecting", "Analyzing"))
    ]
    return ["vermin (target 3.8): " + ln.strip() for ln in lines] or [f"vermin failed: {res.stderr.strip()}"]


def python38() -> str | None:
    """A real Python 3.8 interpreter on this machine, if any."""
    candidates = [os.environ.get("HIL_PYTHON38", ""), shutil.which("python3.8") or ""]
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    candidates += sorted(glob.glob(f"{root}/versions/3.8*/bin/python3.8"))
    for exe in candidates:
        if exe and os.access(exe, os.X_OK):
            res = subprocess.run([exe, "-c", "import sys; print(sys.version_info[:2] == (3, 8))"],
                                 capture_output=True, text=True, check=False)  # fmt: skip
            if res.stdout.strip() == "True":
                return exe
    return None


def compile38(exe: str, paths: list[str]) -> list[str]:
    code = (
        "import sys\nbad = 0\nfor p in sys.argv[1:]:\n"
        "    try:\n        compile(open(p).read(), p, 'exec')\n"
        "    except SyntaxError as e:\n"
        "        bad = 1; print('%s:%s: Python 3.8 cannot compile it: %s' % (p, e.lineno, e.msg))\n"
        "sys.exit(bad)\n"
    )
    res = subprocess.run([exe, "-c", code, *paths], capture_output=True, text=True, check=False)
    return res.stdout.splitlines() if res.returncode else []


def bundle_paths() -> list[str]:
    from hil.harness import bundle

    return [str(local) for local, _ in bundle()]


def main(argv: list[str]) -> int:
    paths = argv or bundle_paths()
    problems: list[str] = []
    for path in paths:
        problems += check_source(path, Path(path).read_text())
    problems += vermin(paths)
    exe = python38()
    if exe is not None:
        problems += compile38(exe, paths)
    for line in problems:
        print(line)
    where = f"compiled by {exe}" if exe else "no Python 3.8 interpreter here to compile with"
    if problems:
        print(f"board Python: {len(paths)} pushed files checked for Python 3.8; {len(problems)} problem(s)")
        return 1
    print(f"board Python: {len(paths)} pushed files are Python 3.8 clean ({where})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
