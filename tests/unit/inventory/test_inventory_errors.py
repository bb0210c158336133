"""Every inventory error names the file, the dotted path and the line where the bad value is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from hil.errors import InventoryError
from hil.inventory import load_inventory
from tests.unit.inventory.inventory_helpers import PLATFORMS, WriteInventory, line_of


def load_error(path: Path) -> InventoryError:
    with pytest.raises(InventoryError) as caught:
        load_inventory(path, PLATFORMS)
    return caught.value


def located(path: Path, snippet: str, dotted: str, occurrence: int = 1) -> str:
    """The start every located message has: `FILE:LINE: PATH:`."""
    return f"{path}:{line_of(path, snippet, occurrence)}: {dotted}:"


def test_unknown_key_on_a_board_suggests_the_right_one(write_inventory: WriteInventory) -> None:
    path = write_inventory(
        """
        all:
          children:
            rack:
              hosts:
                orin-01:
                  ansible_host: 10.0.0.21
                  platfrom: orin
        """
    )
    error = load_error(path)
    where = located(path, "platfrom", "all.children.rack.hosts.orin-01.platfrom")
    assert error.message == f"{where} unknown key 'platfrom' (did you mean 'platform'?)"
    assert error.hint is not None and "board_tags" in error.hint


def test_unknown_keys_in_group_vars_and_nested_mappings_are_all_reported(
    write_inventory: WriteInventory,
) -> None:
    path = write_inventory(
        """
        all:
          vars:
            budgets: {latncy_ms: 50}
          children:
            rack:
              vars:
                wrokdir: w
              hosts:
                a: {platform: orin, power: {source: tegrastats, intervall_ms: 5}}
        """
    )
    message = load_error(path).message
    assert f"{located(path, 'wrokdir', 'all.children.rack.vars.wrokdir')} unknown key 'wrokdir'" in message
    assert "did you mean 'workdir'?" in message
    # Nested keys are checked when the board is validated, after the layout is sound.
    path = write_inventory(
        """
        all:
          vars:
            budgets: {latncy_ms: 50}
          children:
            rack:
              hosts:
                a: {platform: orin, power: {source: tegrastats, intervall_ms: 5}}
        """
    )
    lines = load_error(path).message.splitlines()
    assert lines == [
        f"{located(path, 'latncy_ms', 'all.vars.budgets.latncy_ms')} unknown key 'latncy_ms' "
        "(did you mean 'latency_ms'?)",
        f"{located(path, 'intervall_ms', 'all.children.rack.hosts.a.power.intervall_ms')} "
        "unknown key 'intervall_ms' (did you mean 'interval_ms'?)",
    ]


def test_unknown_key_in_a_group_body(write_inventory: WriteInventory) -> None:
    path = write_inventory(
        """
        all:
          children:
            rack:
              host:
                a: {platform: orin}
        """
    )
    error = load_error(path)
    assert error.message == f"{located(path, 'host:', 'all.children.rack.host')} unknown key 'host' " + (
        "(did you mean 'hosts'?)"
    )


def test_tags_and_name_are_refused_with_what_to_write(write_inventory: WriteInventory) -> None:
    path = write_inventory(
        """
        all:
          hosts:
            a: {platform: orin, tags: [nightly], name: other}
        """
    )
    error = load_error(path)
    assert f"{path}:3: all.hosts.a.tags: key 'tags' is not read by hil" in error.message
    assert f"{path}:3: all.hosts.a.name: key 'name' is not read by hil" in error.message
    assert error.hint is not None and "board_tags" in error.hint


def test_unknown_platform_lists_the_known_ones(write_inventory: WriteInventory) -> None:
    path = write_inventory(
        """
        all:
          hosts:
            a:
              platform: jetson
        """
    )
    error = load_error(path)
    where = located(path, "jetson", "all.hosts.a.platform")
    assert error.message == f"{where} unknown platform 'jetson' (known: orin, qcs8255, tda4vm)"
    assert error.hint == "known platforms: orin, qcs8255, tda4vm"


def test_inherited_bad_value_points_at_the_group_line_once(write_inventory: WriteInventory) -> None:
    path = write_inventory(
        """
        all:
          children:
            rack:
              vars:
                platform: orn
                ansible_port: 70000
              hosts:
                a:
                b:
        """
    )
    lines = load_error(path).message.splitlines()
    assert lines == [
        f"{located(path, 'orn', 'all.children.rack.vars.platform')} unknown platform 'orn' "
        "(known: orin, qcs8255, tda4vm)",
        f"{located(path, '70000', 'all.children.rack.vars.ansible_port')} bad port 70000: "
        "a port is a number from 1 to 65535",
    ]


def test_missing_platform_points_at_the_board(write_inventory: WriteInventory) -> None:
    path = write_inventory(
        """
        all:
          hosts:
            a:
              ansible_host: 10.0.0.1
        """
    )
    error = load_error(path)
    assert error.message == f"{path}:3: all.hosts.a.platform: missing 'platform'"
    assert error.hint is not None and "on one of its groups" in error.hint


def test_duplicate_key_in_one_mapping(write_inventory: WriteInventory) -> None:
    path = write_inventory(
        """
        all:
          hosts:
            orin-01: {platform: orin}
            orin-01: {platform: tda4vm}
        """
    )
    error = load_error(path)
    where = located(path, "orin-01", "all.hosts.orin-01", occurrence=2)
    assert error.message == f"{where} duplicate key 'orin-01' (first written at line 3)"
    assert error.hint is not None and "keeps only the last" in error.hint


def test_duplicate_variable_in_a_board(write_inventory: WriteInventory) -> None:
    path = write_inventory(
        """
        all:
          hosts:
            a:
              platform: orin
              ansible_port: 22
              ansible_port: 2222
        """
    )
    assert load_error(path).message.startswith(f"{path}:6: all.hosts.a.ansible_port: duplicate key")


def test_board_defined_twice_with_different_variables(write_inventory: WriteInventory) -> None:
    path = write_inventory(
        """
        all:
          children:
            rack:
              hosts:
                orin-01: {platform: orin}
            nightly:
              hosts:
                orin-01: {platform: tda4vm}
        """
    )
    error = load_error(path)
    where = located(path, "orin-01", "all.children.nightly.hosts.orin-01", occurrence=2)
    assert error.message == (
        f"{where} board 'orin-01' is defined twice with different variables "
        "(first at all.children.rack.hosts.orin-01, line 5)"
    )


@pytest.mark.parametrize("port", ["0", "65536", "-1"])
def test_bad_port(write_inventory: WriteInventory, port: str) -> None:
    path = write_inventory(f"all:\n  hosts:\n    a:\n      platform: orin\n      ansible_port: {port}\n")
    message = load_error(path).message
    assert (
        message == f"{path}:5: all.hosts.a.ansible_port: bad port {port}: a port is a number from 1 to 65535"
    )


def test_port_that_is_not_a_number(write_inventory: WriteInventory) -> None:
    path = write_inventory("all:\n  hosts:\n    a:\n      platform: orin\n      ansible_port: ssh\n")
    assert load_error(path).message.startswith(
        f"{path}:5: all.hosts.a.ansible_port: Input should be a valid integer"
    )


def test_bad_jump_host_port(write_inventory: WriteInventory) -> None:
    path = write_inventory("all:\n  hosts:\n    a:\n      platform: orin\n      jump_host: ops@rack:99999\n")
    message = load_error(path).message
    assert (
        message == f"{path}:5: all.hosts.a.jump_host.port: bad port 99999: a port is a number from 1 to 65535"
    )


@pytest.mark.parametrize(
    "host",
    ['""', '"10.0.0.1 ; reboot"', '"orin 01"', "-oProxyCommand=touch", '"$(reboot)"', '"a`b`"', '"a|b"'],
)
def test_bad_host(write_inventory: WriteInventory, host: str) -> None:
    path = write_inventory(f"all:\n  hosts:\n    a:\n      platform: orin\n      ansible_host: {host}\n")
    message = load_error(path).message
    assert message.startswith(f"{path}:5: all.hosts.a.ansible_host: bad host ")
    assert "without spaces or shell characters" in message


def test_bad_jump_host_host(write_inventory: WriteInventory) -> None:
    path = write_inventory('all:\n  hosts:\n    a:\n      platform: orin\n      jump_host: "ops@rack;id"\n')
    assert load_error(path).message.startswith(f"{path}:5: all.hosts.a.jump_host.host: bad host 'rack;id'")


@pytest.mark.parametrize("name", ['"orin 01"', '"orin;01"', "-orin", "orin-[01:04]", '"$(id)"', ".hidden"])
def test_bad_board_name(write_inventory: WriteInventory, name: str) -> None:
    path = write_inventory(
        f"all:\n  children:\n    rack:\n      hosts:\n        {name}: {{platform: orin}}\n"
    )
    error = load_error(path)
    assert error.message.startswith(f"{path}:5: all.children.rack.hosts.")
    assert ": bad board name " in error.message
    assert error.hint is not None
    if "[" in name:
        assert "host ranges" in error.hint
    else:  # the hint for a plain bad name suggests a valid one, not Ansible ranges
        assert "host ranges" not in error.hint and "rename it, e.g. '" in error.hint


def test_bad_group_name(write_inventory: WriteInventory) -> None:
    path = write_inventory("all:\n  children:\n    my-rack:\n      hosts:\n        a: {platform: orin}\n")
    message = load_error(path).message
    assert message.startswith(f"{path}:3: all.children.my-rack: bad group name 'my-rack'")


def test_group_that_contains_itself(write_inventory: WriteInventory) -> None:
    path = write_inventory(
        """
        all:
          children:
            a:
              children:
                b:
                  children:
                    a:
        """
    )
    assert (
        load_error(path).message
        == f"{path}:7: all.children.a.children.b.children.a: group 'a' contains itself"
    )


def test_missing_file_says_how_to_make_one(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    error = load_error(path)
    assert error.message == f"{path}: no such inventory file"
    assert error.hint is not None and "inventory/example-lab.yaml" in error.hint


def test_invalid_yaml_gives_the_line(write_inventory: WriteInventory) -> None:
    path = write_inventory(
        """
        all:
          hosts:
            a: {platform: orin
            b: {platform: orin}
        """
    )
    message = load_error(path).message
    assert message.startswith(f"{path}:4: invalid YAML: ")
    assert "started at line 3" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ":1: (top level): not an inventory in Ansible's layout: it must start with 'all:'"),
        ("- a\n- b\n", ":1: (top level): not an inventory in Ansible's layout: it must start with 'all:'"),
        ("rack:\n  hosts:\n    a:\n", ":1: rack: expected 'all:' at the top, found 'rack'"),
        ("all: [a, b]\n", ":1: all: expected a mapping of a group (with hosts, vars or children), got list"),
        ("all:\n  hosts: [a, b]\n", ":2: all.hosts: expected a mapping of board names, got list"),
    ],
)
def test_not_the_ansible_layout(write_inventory: WriteInventory, text: str, expected: str) -> None:
    path = write_inventory(text)
    error = load_error(path)
    assert error.message.startswith(f"{path}{expected}")


def test_inventory_without_boards(write_inventory: WriteInventory) -> None:
    path = write_inventory("all:\n  vars:\n    platform: orin\n")
    assert load_error(path).message == f"{path}:1: all: the inventory defines no boards"


def test_power_spec_must_match_its_source(write_inventory: WriteInventory) -> None:
    path = write_inventory(
        """
        all:
          hosts:
            a:
              platform: qcs8255
              power: {source: command}
            b:
              platform: orin
              power: {source: tegrastats, hwmon_path: /sys/class/hwmon/hwmon1}
        """
    )
    assert load_error(path).message.splitlines() == [
        f"{path}:5: all.hosts.a.power: source 'command' needs a 'command' to run",
        f"{path}:8: all.hosts.b.power: 'hwmon_path' is only read with source 'hwmon', not 'tegrastats'",
    ]


def test_accuracy_budget_is_a_fraction(write_inventory: WriteInventory) -> None:
    path = write_inventory("all:\n  vars:\n    budgets: {accuracy: 95}\n  hosts:\n    a: {platform: orin}\n")
    error = load_error(path)
    assert error.message.startswith(
        f"{path}:3: all.vars.budgets.accuracy: Input should be less than or equal to 1"
    )
    assert error.hint is not None and "0.95 is 95 %" in error.hint


def test_build_host_must_be_a_board(write_inventory: WriteInventory) -> None:
    path = write_inventory(
        """
        all:
          vars:
            build_host: qcs-1
          hosts:
            qcs-01: {platform: qcs8255}
        """
    )
    error = load_error(path)
    expected = "build_host 'qcs-1' is not a board of this inventory (did you mean 'qcs-01'?)"
    assert error.message == f"{path}:3: all.vars.build_host: {expected}"


def test_an_alias_that_refers_to_itself(write_inventory: WriteInventory) -> None:
    path = write_inventory("all:\n  hosts:\n    a: &x {platform: orin, board_tags: *x}\n")
    assert load_error(path).message == f"{path}:3: all.hosts.a.board_tags: an alias refers to itself"


def test_all_problems_are_reported_in_line_order(write_inventory: WriteInventory) -> None:
    path = write_inventory(
        """
        all:
          hosts:
            b: {platform: orin, ansible_port: 0}
            a: {platform: orin, ansible_host: "x y", sim: maybe}
        """
    )
    error = load_error(path)
    assert [line.split(": ")[0] for line in error.message.splitlines()] == [
        f"{path}:3",
        f"{path}:4",
        f"{path}:4",
    ]
    assert "bad port 0" in error.message and "bad host 'x y'" in error.message


def test_group_written_twice_with_different_variables(write_inventory: WriteInventory) -> None:
    path = write_inventory(
        """
        all:
          children:
            rack:
              vars: {platform: orin}
              hosts: {a: }
            nightly:
              children:
                rack:
                  vars: {platform: tda4vm}
        """
    )
    error = load_error(path)
    assert error.message == (
        f"{path}:9: all.children.nightly.children.rack.vars.platform: group 'rack' sets 'platform' twice "
        "with different values (first at all.children.rack.vars.platform, line 4)"
    )


def test_a_bare_board_name_in_where_suggests_name_equals(write_inventory: WriteInventory) -> None:
    from hil.inventory import select_boards

    path = write_inventory("all:\n  hosts:\n    orin-01: {platform: orin}\n")
    inv = load_inventory(path, PLATFORMS)
    with pytest.raises(InventoryError) as caught:
        select_boards(inv, ["orin-01"])
    assert caught.value.hint == "to select the board orin-01: --where name=orin-01"
    with pytest.raises(InventoryError) as other:
        select_boards(inv, ["nonsense"])
    assert other.value.hint is not None and "KEY=VALUE" in other.value.hint
