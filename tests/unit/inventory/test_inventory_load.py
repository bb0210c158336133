"""Loading good inventories: fields, defaults, Ansible's precedence, budget merging, groups, order."""

from __future__ import annotations

import getpass
from pathlib import Path

from hil.inventory import BudgetSpec, JumpHostSpec, PowerSpec, load_inventory
from tests.unit.inventory.inventory_helpers import EXAMPLE, PLATFORMS, WriteInventory


def test_example_lab_loads_with_boards_in_file_order() -> None:
    inv = load_inventory(EXAMPLE, PLATFORMS)
    assert list(inv.boards) == [
        "orin-01", "orin-02", "qcs-01", "tda4-01", "car-017", "car-021", "car-022", "car-023",
        "snpe-host", "tidl-host",
    ]  # fmt: skip
    assert inv.path == EXAMPLE
    assert inv.groups["rack"] == ["orin-01", "orin-02", "qcs-01", "tda4-01"]
    assert inv.groups["vehicles"] == ["car-017", "car-021", "car-022", "car-023"]
    assert inv.groups["canary"] == ["car-017"]
    assert inv.groups["all"] == list(inv.boards)


def test_example_lab_board_fields() -> None:
    inv = load_inventory(EXAMPLE, PLATFORMS)
    orin = inv.board("orin-01")
    assert orin.platform == "orin"
    assert (orin.ansible_host, orin.ansible_port, orin.ansible_user) == ("10.0.0.21", 22, "nvidia")
    assert orin.ansible_ssh_private_key_file == Path("~/.ssh/rack_ed25519").expanduser()
    assert orin.jump_host == JumpHostSpec(user="ops", host="rack-controller.lab.example", port=22)
    assert orin.power == PowerSpec(source="tegrastats", interval_ms=100)
    assert orin.tags == ["nightly", "agx"]
    assert orin.budgets == BudgetSpec(latency_ms=50, power_w=5.0, memory_mb=500, accuracy=0.95)
    assert orin.ansible_vars["ansible_python_interpreter"] == "/usr/bin/python3"
    qcs = inv.board("qcs-01")
    assert qcs.power == PowerSpec(
        source="command", command="powermeter --serial /dev/ttyUSB0 --watts", interval_ms=200
    )
    assert qcs.command_timeout_s == 1200
    assert inv.board("tda4-01").power == PowerSpec(source="hwmon", hwmon_path="/sys/class/hwmon/hwmon2")
    car = inv.board("car-017")
    assert (car.workdir, car.build_host, car.connect_timeout_s) == ("/opt/dms", "snpe-host", 20)
    assert inv.groups_of("car-017") == ["all", "vehicles", "canary"]


def test_defaults_follow_ansible_and_the_seed_budgets(write_inventory: WriteInventory) -> None:
    path = write_inventory(
        """
        all:
          hosts:
            bench-1:
              platform: orin
        """
    )
    board = load_inventory(path, PLATFORMS).board("bench-1")
    assert board.ansible_host == "bench-1"  # as in Ansible: the inventory name is the address
    assert board.ansible_port == 22
    assert board.ansible_user == getpass.getuser()
    assert board.budgets == BudgetSpec(latency_ms=100, power_w=5.0, memory_mb=500, accuracy=0.95)
    assert (board.workdir, board.power, board.jump_host, board.sim) == ("hil-work", None, None, False)
    assert (board.connect_timeout_s, board.command_timeout_s) == (10, 600)
    assert (board.tags, board.ansible_vars, board.known_hosts, board.build_host) == ([], {}, None, None)


def test_precedence_host_over_child_over_parent_over_all(write_inventory: WriteInventory) -> None:
    path = write_inventory(
        """
        all:
          vars: {workdir: from-all, connect_timeout_s: 1, command_timeout_s: 2, platform: tda4vm}
          children:
            rack:
              vars: {workdir: from-rack, connect_timeout_s: 3, platform: orin}
              children:
                orin:
                  vars: {workdir: from-orin}
                  hosts:
                    a: {workdir: from-host}
                    b:
        """
    )
    inv = load_inventory(path, PLATFORMS)
    a, b = inv.board("a"), inv.board("b")
    assert (a.workdir, b.workdir) == ("from-host", "from-orin")
    assert (b.connect_timeout_s, b.command_timeout_s, b.platform) == (3, 2, "orin")


def test_budgets_merge_key_by_key_across_levels(write_inventory: WriteInventory) -> None:
    path = write_inventory(
        """
        all:
          vars:
            platform: qcs8255
            budgets: {latency_ms: 80, power_w: 4.0}
          children:
            rack:
              vars:
                budgets: {power_w: 1.5, memory_mb: 200}
              hosts:
                q1:
                  budgets: {latency_ms: 20}
                q2:
        """
    )
    inv = load_inventory(path, PLATFORMS)
    assert inv.board("q1").budgets == BudgetSpec(latency_ms=20, power_w=1.5, memory_mb=200, accuracy=0.95)
    assert inv.board("q2").budgets == BudgetSpec(latency_ms=80, power_w=1.5, memory_mb=200, accuracy=0.95)


def test_sibling_groups_apply_by_depth_then_name_like_ansible(write_inventory: WriteInventory) -> None:
    path = write_inventory(
        """
        all:
          children:
            zeta:
              vars: {workdir: zeta}
              hosts: {a: {platform: orin}}
            alpha:
              vars: {workdir: alpha}
              hosts: {a: }
              children:
                deep:
                  vars: {command_timeout_s: 5}
                  hosts: {a: }
            prio:
              vars: {command_timeout_s: 7, ansible_group_priority: 10}
              hosts: {a: }
        """
    )
    board = load_inventory(path, PLATFORMS).board("a")
    assert board.workdir == "zeta"  # same depth: applied in name order, the last one wins
    assert board.command_timeout_s == 5  # deeper groups win over a higher priority at lower depth
    assert board.ansible_vars == {"ansible_group_priority": 10}


def test_board_listed_bare_in_several_groups_is_one_board(write_inventory: WriteInventory) -> None:
    path = write_inventory(
        """
        all:
          children:
            rack:
              hosts:
                orin-01: {platform: orin, board_tags: [agx]}
            nightly:
              hosts:
                orin-01:
            canary:
              children:
                nightly:
        """
    )
    inv = load_inventory(path, PLATFORMS)
    assert list(inv.boards) == ["orin-01"]
    assert inv.groups == {
        "all": ["orin-01"],
        "rack": ["orin-01"],
        "nightly": ["orin-01"],
        "canary": ["orin-01"],
    }
    assert inv.board("orin-01").tags == ["agx"]


def test_yaml_anchors_and_merge_keys(write_inventory: WriteInventory) -> None:
    path = write_inventory(
        """
        all:
          hosts:
            a: &orin {platform: orin, ansible_user: nvidia, workdir: w}
            b:
              <<: *orin
              workdir: own
        """
    )
    inv = load_inventory(path, PLATFORMS)
    assert (inv.board("b").ansible_user, inv.board("b").workdir) == ("nvidia", "own")


def test_connection_fields_and_other_ansible_vars(write_inventory: WriteInventory) -> None:
    path = write_inventory(
        """
        all:
          hosts:
            tda4-01:
              platform: tda4vm
              ansible_host: fe80::1%eth0
              ansible_port: 2222
              ansible_user: root
              ansible_connection: ssh
              ansible_become: true
              jump_host: "[2001:db8::1]:2200"
              known_hosts: ~/kh
              sim: true
              build_host: tda4-01
        """
    )
    board = load_inventory(path, PLATFORMS).board("tda4-01")
    assert (board.ansible_host, board.ansible_port, board.ansible_user) == ("fe80::1%eth0", 2222, "root")
    assert board.ansible_vars == {"ansible_connection": "ssh", "ansible_become": True}
    assert board.jump_host == JumpHostSpec(host="2001:db8::1", port=2200)
    assert str(board.jump_host) == "[2001:db8::1]:2200"
    assert board.known_hosts == Path("~/kh").expanduser()
    assert board.sim is True
    assert board.build_host is None  # a board named as its own build host converts on itself


def test_jump_host_forms() -> None:
    assert JumpHostSpec.model_validate(JumpHostSpec.parse("rack")) == JumpHostSpec(host="rack")
    parsed = JumpHostSpec.model_validate(JumpHostSpec.parse("ops@rack:2022"))
    assert (parsed.user, parsed.host, parsed.port, str(parsed)) == ("ops", "rack", 2022, "ops@rack:2022")


def test_an_anchor_reused_with_merge_keys_is_not_a_duplicate(write_inventory: WriteInventory) -> None:
    path = write_inventory(
        """
        all:
          vars:
            budgets: &strict {latency_ms: 20}
          hosts:
            a: &qcs {platform: qcs8255, budgets: {<<: *strict, power_w: 1.5}}
            b:
              <<: *qcs
            c:
              <<: *qcs
        """
    )
    inv = load_inventory(path, PLATFORMS)
    assert {board.budgets.power_w for board in inv.boards.values()} == {1.5}
    assert {board.budgets.latency_ms for board in inv.boards.values()} == {20}
