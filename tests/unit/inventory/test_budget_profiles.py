"""Budget profiles: shipped `default` and `in-vehicle`, inventory-defined ones, `budgets:` on top."""

from __future__ import annotations

import pytest

from hil.errors import InventoryError
from hil.inventory import load_inventory
from tests.unit.inventory.inventory_helpers import PLATFORMS, WriteInventory, line_of


def test_profiles_from_the_inventory_and_shipped_ones_with_budgets_on_top(
    write_inventory: WriteInventory,
) -> None:
    path = write_inventory(
        """
        all:
          vars:
            budget_profiles:
              bench: {latency_ms: 50, fps_min: 10}
          children:
            cars:
              vars:
                budget_profile: in-vehicle
              hosts:
                car-1: {platform: qcs8255, ansible_host: 10.0.0.1}
                car-2: {platform: qcs8255, ansible_host: 10.0.0.2, budgets: {power_w: 2.5}}
            lab:
              hosts:
                orin-1: {platform: orin, ansible_host: 10.0.0.3}
                orin-2: {platform: orin, ansible_host: 10.0.0.4, budget_profile: bench}
        """
    )
    inv = load_inventory(path, PLATFORMS)
    car = inv.board("car-1").budgets
    assert (car.latency_ms, car.fps_min, car.power_w, car.memory_mb, car.accuracy) == (20, 50, 1.5, 200, 0.95)
    assert inv.board("car-2").budgets.power_w == 2.5 and inv.board("car-2").budgets.latency_ms == 20
    default = inv.board("orin-1").budgets
    assert (default.latency_ms, default.power_w, default.memory_mb, default.accuracy) == (100, 5, 500, 0.95)
    assert default.fps_min is None and inv.board("orin-1").budget_profile == "default"
    bench = inv.board("orin-2").budgets
    assert (bench.latency_ms, bench.fps_min, bench.power_w) == (50, 10, 5.0)  # unset keys: the defaults


def test_plain_budgets_keep_working_and_an_unknown_profile_says_which_exist(
    write_inventory: WriteInventory,
) -> None:
    path = write_inventory(
        """
        all:
          vars:
            budgets: {latency_ms: 40, judge_modelled_power: true}
          hosts:
            b1: {platform: orin, ansible_host: 10.0.0.1}
        """
    )
    board = load_inventory(path, PLATFORMS).board("b1")
    assert board.budgets.latency_ms == 40 and board.budgets.judge_modelled_power is True
    assert board.budgets.power_w == 5.0
    bad = write_inventory(
        """
        all:
          hosts:
            b1: {platform: orin, ansible_host: 10.0.0.1, budget_profile: in-car}
        """
    )
    with pytest.raises(InventoryError) as caught:
        load_inventory(bad, PLATFORMS)
    message = caught.value.message
    assert f"{bad}:{line_of(bad, 'b1:')}" in message
    assert "unknown budget_profile 'in-car'" in message and "default, in-vehicle" in message


def test_a_profile_loosens_or_tightens_the_loss_allowances_and_a_wrong_name_is_refused(
    write_inventory: WriteInventory,
) -> None:
    from hil.runs.target import allowances

    path = write_inventory(
        """
        all:
          vars:
            budget_profiles:
              strict: {loss: {points: {int8: 1}, nme_pct: 5}, recall_min: {phone: 0.9}}
          hosts:
            o1: {platform: orin, ansible_host: 10.0.0.1, budget_profile: strict}
            o2: {platform: orin, ansible_host: 10.0.0.2}
        """
    )
    inv = load_inventory(path, PLATFORMS)
    strict = allowances(inv.board("o1").budgets.loss)
    assert strict.overall("int8") == 1 and strict.overall("fp16") == 0.5 and strict.nme_pct == 5
    assert inv.board("o1").budgets.recall_min == {"phone": 0.9}
    default = allowances(inv.board("o2").budgets.loss)
    assert (default.overall("fp16"), default.overall("int16"), default.overall("int8")) == (0.5, 1, 2)
    assert default.class_recall("int8") == 5 and default.nme_pct == 10 and default.events
    bad = write_inventory(
        """
        all:
          vars:
            budgets: {loss: {points: {int4: 5}}}
          hosts:
            b1: {platform: orin, ansible_host: 10.0.0.1}
        """
    )
    with pytest.raises(InventoryError, match="no loss allowance for 'int4'"):
        load_inventory(bad, PLATFORMS)
