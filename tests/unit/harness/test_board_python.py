"""Everything pushed to a board must run on Python 3.8 (JetPack 5): make lint runs .ci/board_python.py,
so a harness change using a newer construct fails make test. These tests run the same checker on the real
bundle and on copies of board_harness.py with one 3.9/3.10-only construct each."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from hil.harness import bundle

ROOT = Path(__file__).resolve().parents[3]
CHECKER = ROOT / ".ci" / "board_python.py"


def check(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(CHECKER), *map(str, paths)], capture_output=True, text=True, check=False
    )


def test_the_pushed_bundle_is_python38_clean() -> None:
    res = check()
    assert res.returncode == 0, res.stdout + res.stderr
    assert f"{len(bundle())} pushed files are Python 3.8 clean" in res.stdout


NEWER = {
    "zip_strict": ("pairs = list(zip([1], [2], strict=True))\n", "zip(strict)"),
    "alias_generic": ("Pair = tuple[int, int]\n", "tuple[...] evaluated at run time"),
    "alias_union": ("Maybe = int | None\n", "X | Y type union"),
    "removesuffix": ("NAME = __file__.removesuffix('.py')\n", "removesuffix"),
    "dict_merge": ("D = {'a': 1}\nD |= {'b': 2}\n", "dict union"),
    "match": ("match sys.argv:\n    case _:\n        pass\n", "does not parse at Python 3.8"),
    "abc_alias": ("from collections.abc import Callable as C2\nF = C2[[int], int]\n", "collections.abc"),
}


@pytest.mark.parametrize("name", sorted(NEWER))
def test_a_newer_construct_in_the_harness_fails_the_check(tmp_path: Path, name: str) -> None:
    snippet, expected = NEWER[name]
    source = (ROOT / "hil" / "harness" / "board_harness.py").read_text()
    changed = tmp_path / "board_harness.py"
    changed.write_text(source + "\n" + snippet)
    res = check(changed)
    assert res.returncode == 1, res.stdout
    assert expected in res.stdout, res.stdout
    (tmp_path / "same.py").write_text(source)
    assert check(tmp_path / "same.py").returncode == 0  # the unchanged copy passes: the snippet failed it


def test_annotations_and_type_checking_blocks_are_not_flagged(tmp_path: Path) -> None:
    ok = tmp_path / "ok.py"
    ok.write_text(
        "from __future__ import annotations\nfrom typing import TYPE_CHECKING, Callable\n"
        "if TYPE_CHECKING:\n    Pair = tuple[int, int | None]\n"
        "F = Callable[[int], int]\n"
        "def f(x: list[int] | None = None) -> dict[str, int]:\n    y: tuple[int, ...] = (1,)\n    return {}\n"
    )
    res = check(ok)
    assert res.returncode == 0, res.stdout


def test_make_lint_runs_the_check_and_ruff_lints_the_bundle_as_38() -> None:
    lint = (ROOT / "Makefile").read_text().split("\nlint:", 1)[1].split("\n\n", 1)[0]
    assert ".ci/board_python.py" in lint
    targets = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]["per-file-target-version"]
    for _, rel in bundle():
        path = rel if "/" in rel else f"hil/harness/{rel}"
        assert any(Path(path).match(pattern) and v == "py38" for pattern, v in targets.items()), path
