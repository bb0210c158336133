"""A deployment that changed nothing says so: its status (and so its exit code) differs from a rollout's."""

from __future__ import annotations

import pytest

from hil.cli.deploy import EXIT
from hil.fleet.rollout import final_status


@pytest.mark.parametrize(
    ("states", "status"),
    [
        (["switched", "incompatible", "unchanged"], "done"),
        (["switched", "deferred"], "partial"),
        (["unchanged", "unchanged"], "unchanged"),
        (["unchanged", "incompatible"], "unchanged"),
        (["incompatible", "incompatible"], "nothing_delivered"),
        (["incompatible", "failed"], "nothing_delivered"),  # a failure the wave rules allowed
        (["incompatible", "deferred"], "partial"),  # someone may still get it on resume
        ([], "nothing_delivered"),
    ],
)
def test_final_status(states: list[str], status: str) -> None:
    assert final_status(states) == status


def test_nothing_delivered_has_an_exit_code_of_its_own() -> None:
    assert EXIT["nothing_delivered"] not in {EXIT[s] for s in EXIT if s != "nothing_delivered"}
    assert EXIT["done"] == EXIT["unchanged"] == 0
