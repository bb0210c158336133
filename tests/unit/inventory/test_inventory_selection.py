"""`select_boards`: KEY=VALUE terms, ANDed, with globs; clear errors for bad terms and empty results."""

from __future__ import annotations

import pytest

from hil.errors import InventoryError
from hil.inventory import Inventory, load_inventory, select_boards
from tests.unit.inventory.inventory_helpers import EXAMPLE, PLATFORMS


@pytest.fixture(scope="module")
def lab() -> Inventory:
    inv = load_inventory(EXAMPLE, PLATFORMS)
    # One simulated board, so sim=true has something to find.
    inv.boards["orin-02"] = inv.boards["orin-02"].model_copy(update={"sim": True})
    return inv


def names(inv: Inventory, where: list[str]) -> list[str]:
    return [board.name for board in select_boards(inv, where)]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (
            [],
            [
                "orin-01",
                "orin-02",
                "qcs-01",
                "tda4-01",
                "car-017",
                "car-021",
                "car-022",
                "car-023",
                "snpe-host",
                "tidl-host",
            ],
        ),
        (["name=orin-01"], ["orin-01"]),
        (["name=car-02*"], ["car-021", "car-022", "car-023"]),
        (["platform=qcs8255"], ["qcs-01", "car-017", "car-021", "car-022", "car-023", "snpe-host"]),
        (["group=rack"], ["orin-01", "orin-02", "qcs-01", "tda4-01"]),
        (["group=vehicles"], ["car-017", "car-021", "car-022", "car-023"]),  # through child groups
        (["group=wave_*"], ["car-021", "car-022", "car-023"]),
        (["tag=canary"], ["car-017"]),
        (["tag=n?ghtly", "platform=orin"], ["orin-01", "orin-02"]),
        (["sim=true"], ["orin-02"]),
        (["sim=False", "group=rack"], ["orin-01", "qcs-01", "tda4-01"]),
        (["platform=qcs8255", "group=rack"], ["qcs-01"]),
        (["name=orin-*", "name=*-01"], ["orin-01"]),
    ],
)
def test_selection(lab: Inventory, where: list[str], expected: list[str]) -> None:
    assert names(lab, where) == expected


@pytest.mark.parametrize("term", ["platform", "=orin", "platform=", "orin"])
def test_malformed_term(lab: Inventory, term: str) -> None:
    with pytest.raises(InventoryError, match="malformed selection") as caught:
        select_boards(lab, [term])
    assert caught.value.hint is not None and "name, platform, group, tag, sim" in caught.value.hint


def test_unknown_key_names_the_valid_ones(lab: Inventory) -> None:
    with pytest.raises(InventoryError) as caught:
        select_boards(lab, ["os=linux"])
    assert caught.value.message == (
        "unknown selection key 'os' in 'os=linux' (valid keys: name, platform, group, tag, sim)"
    )


def test_sim_takes_true_or_false(lab: Inventory) -> None:
    with pytest.raises(InventoryError, match="sim is true or false"):
        select_boards(lab, ["sim=maybe"])


def test_nothing_matches_lists_the_boards(lab: Inventory) -> None:
    with pytest.raises(InventoryError) as caught:
        select_boards(lab, ["platform=orin", "tag=canary"])
    assert caught.value.message == f"{EXAMPLE}: no board matches platform=orin tag=canary"
    hint = caught.value.hint or ""
    assert "orin-01 (orin; rack,orin; nightly,agx)" in hint
    assert "car-017 (qcs8255; vehicles,canary; canary,eu)" in hint
