"""Ansible's YAML inventory layout: groups with `hosts`, `vars` and `children`, under `all`.

`read_layout` walks the document into groups and hosts and checks names and keys where they are written.
`Layout.resolve` applies variables the way Ansible does, so hil and `ansible-inventory` agree on a board:
groups from the shallowest to the deepest (ties by `ansible_group_priority`, then name), then the host's
own variables. One difference on purpose: `budgets` merge key by key, where Ansible replaces the mapping.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from hil.inventory.document import Document, Problem, YamlPath, did_you_mean, dotted, raise_problems
from hil.inventory.spec import BOARD_NAME, GROUP_NAME, BoardSpec

# The keys a host or a group may set, besides ansible_* connection and behaviour variables.
BOARD_KEYS: tuple[str, ...] = tuple(
    (info.alias or name)
    for name, info in BoardSpec.model_fields.items()
    if name not in ("name", "ansible_vars")
)
GROUP_KEYS = ("hosts", "vars", "children")
MERGED_BY_KEY = "budgets"
# Keys that look right but are not read by hil; each with what to write instead.
MISPLACED_KEYS = {
    "tags": "'tags' is reserved in Ansible (it warns about it); hil reads a board's tags from 'board_tags'",
    "name": "a board's name is its key under 'hosts', not a variable",
    "ansible_ssh_host": "write 'ansible_host'; hil does not read the old ansible_ssh_* names",
    "ansible_ssh_port": "write 'ansible_port'; hil does not read the old ansible_ssh_* names",
    "ansible_ssh_user": "write 'ansible_user'; hil does not read the old ansible_ssh_* names",
}
LAYOUT_HINT = (
    "an inventory is Ansible's YAML layout, for example:\n"
    "    all:\n      children:\n        rack:\n          hosts:\n            orin-01:\n"
    "              platform: orin\n              ansible_host: 10.0.0.21\n"
    "  see docs/inventory.md or inventory/example-lab.yaml"
)


@dataclass
class Group:
    name: str
    parents: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)  # direct members only
    vars: dict[str, Any] = field(default_factory=dict)
    origins: dict[str, YamlPath] = field(default_factory=dict)  # variable -> where it is written

    @property
    def priority(self) -> int:
        value = self.vars.get("ansible_group_priority", 1)
        return value if isinstance(value, int) else 1


@dataclass
class Host:
    name: str
    path: YamlPath  # the listing that holds its variables, else its first listing
    vars: dict[str, Any] = field(default_factory=dict)
    groups: list[str] = field(default_factory=list)  # direct groups only


@dataclass
class Resolved:
    """A host's variables after precedence, and for each (and each budget) where it was written."""

    values: dict[str, Any] = field(default_factory=dict)
    origins: dict[tuple[str, ...], YamlPath] = field(default_factory=dict)


@dataclass
class Layout:
    groups: dict[str, Group] = field(default_factory=dict)  # file order, "all" first
    hosts: dict[str, Host] = field(default_factory=dict)  # file order of first listing
    depths: dict[str, int] = field(default_factory=dict, repr=False)  # memo of depth()

    def members(self, group: str) -> list[str]:
        """Every host in `group` or in a group below it, in file order."""
        found: set[str] = set()
        pending = [group]
        while pending:
            current = self.groups[pending.pop()]
            found.update(current.hosts)
            pending.extend(current.children)
        return [name for name in self.hosts if name in found]

    def depth(self, group: str) -> int:
        """Ansible's group depth: the longest chain of parents up to `all`."""
        if group not in self.depths:
            parents = self.groups[group].parents
            self.depths[group] = 1 + max(self.depth(parent) for parent in parents) if parents else 0
        return self.depths[group]

    def resolve(self, host: str) -> Resolved:
        entry = self.hosts[host]
        ancestors = {"all"}
        pending = list(entry.groups)
        while pending:
            name = pending.pop()
            if name not in ancestors:
                ancestors.add(name)
                pending.extend(self.groups[name].parents)
        ordered = sorted(ancestors, key=lambda g: (self.depth(g), self.groups[g].priority, g))
        resolved = Resolved()
        for name in ordered:
            group = self.groups[name]
            _apply(resolved, group.vars, {key: group.origins[key] for key in group.vars})
        _apply(resolved, entry.vars, {key: (*entry.path, key) for key in entry.vars})
        return resolved


def _apply(resolved: Resolved, values: dict[str, Any], origins: dict[str, YamlPath]) -> None:
    """Lay `values` over `resolved`; a budget keeps the origin of the level that last set it."""
    for key, value in values.items():
        previous = resolved.values.get(key)
        if key == MERGED_BY_KEY and isinstance(previous, dict) and isinstance(value, dict):
            resolved.values[key] = {**previous, **value}
        else:
            resolved.values[key] = value
            for stale in [origin for origin in resolved.origins if len(origin) > 1 and origin[0] == key]:
                del resolved.origins[stale]
        if isinstance(value, dict):
            for sub in value:
                resolved.origins[(key, sub)] = (*origins[key], sub)
        resolved.origins[(key,)] = origins[key]


def read_layout(doc: Document) -> Layout:
    data = doc.data
    if not isinstance(data, dict) or not data:
        raise doc.error((), "not an inventory in Ansible's layout: it must start with 'all:'", LAYOUT_HINT)
    for key in data:
        if key != "all":
            raise doc.error(
                (key,),
                f"expected 'all:' at the top, found {key!r}: groups go under all.children",
                LAYOUT_HINT,
            )
    layout = Layout()
    walk = _Walk(doc, layout)
    walk.group("all", data["all"], ("all",), parent=None, chain=())
    raise_problems(walk.problems)
    return layout


class _Walk:
    def __init__(self, doc: Document, layout: Layout) -> None:
        self.doc = doc
        self.layout = layout
        self.problems: list[Problem] = []  # misspelt keys; structural errors raise at once

    def group(self, name: str, body: Any, path: YamlPath, parent: str | None, chain: tuple[str, ...]) -> None:
        body = self.mapping(body, path, "a group (with hosts, vars or children)")
        group = self.layout.groups.setdefault(name, Group(name))
        if parent is not None and parent not in group.parents:
            group.parents.append(parent)
        for key in body:
            if key not in GROUP_KEYS:
                raise self.doc.error(
                    (*path, key),
                    f"unknown key {key!r}{did_you_mean(key, GROUP_KEYS)}",
                    "a group holds only 'hosts', 'vars' and 'children'; board settings go under 'vars'",
                )
        self.group_vars(group, self.mapping(body.get("vars"), (*path, "vars"), "variables"), (*path, "vars"))
        hosts_path = (*path, "hosts")
        for host, host_vars in self.mapping(body.get("hosts"), hosts_path, "board names").items():
            self.host(host, host_vars, (*hosts_path, host), group)
        children_path = (*path, "children")
        for child, child_body in self.mapping(body.get("children"), children_path, "group names").items():
            self.child(child, child_body, (*children_path, child), group, (*chain, name))

    def child(self, name: str, body: Any, path: YamlPath, parent: Group, chain: tuple[str, ...]) -> None:
        if not GROUP_NAME.fullmatch(name):
            raise self.doc.error(
                path,
                f"bad group name {name!r}: use letters, digits and '_', not starting with a digit",
                "Ansible warns about other characters in group names ('-' reads as a pattern operator)",
            )
        if name == "all" or name in chain:
            raise self.doc.error(path, f"group {name!r} contains itself")
        if name not in parent.children:
            parent.children.append(name)
        self.group(name, body, path, parent.name, chain)

    def group_vars(self, group: Group, values: dict[str, Any], path: YamlPath) -> None:
        for key, value in values.items():
            self.check_key(key, (*path, key))
            if key in group.vars and group.vars[key] != value:
                first = group.origins[key]
                raise self.doc.error(
                    (*path, key),
                    f"group {group.name!r} sets {key!r} twice with different values "
                    f"(first at {dotted(first)}, line {self.doc.line_of(first)})",
                    "set a group's variables in one place only",
                )
            group.vars[key] = value
            group.origins.setdefault(key, (*path, key))

    def host(self, name: str, values: Any, path: YamlPath, group: Group) -> None:
        if not BOARD_NAME.fullmatch(name):
            raise self.doc.error(
                path,
                f"bad board name {name!r}: use letters, digits, '.', '_' and '-', starting with a letter or "
                "digit (names become file names and never reach a shell unquoted)",
                "hil does not expand Ansible host ranges such as orin-[01:04]; list each board"
                if "[" in name
                else f"rename it, e.g. {_suggest(name)!r}, in the inventory file",
            )
        values = self.mapping(values, path, "board variables")
        for key in values:
            self.check_key(key, (*path, key))
        host = self.layout.hosts.setdefault(name, Host(name, path))
        if values and host.vars and values != host.vars:
            raise self.doc.error(
                path,
                f"board {name!r} is defined twice with different variables "
                f"(first at {dotted(host.path)}, line {self.doc.line_of(host.path)})",
                f"keep its variables in one place and list it bare ('{name}:') in its other groups",
            )
        if values and not host.vars:
            host.vars, host.path = values, path
        if group.name not in host.groups:
            host.groups.append(group.name)
        if name not in group.hosts:
            group.hosts.append(name)

    def check_key(self, key: str, path: YamlPath) -> None:
        if key in MISPLACED_KEYS:
            self.problems.append(
                self.doc.problem(path, f"key {key!r} is not read by hil", MISPLACED_KEYS[key])
            )
        elif key not in BOARD_KEYS and not key.startswith("ansible_"):
            problem = self.doc.problem(
                path,
                f"unknown key {key!r}{did_you_mean(key, BOARD_KEYS)}",
                f"a board or group may set: {', '.join(BOARD_KEYS)}, and ansible_* variables",
            )
            self.problems.append(problem)

    def mapping(self, value: Any, path: YamlPath, holding: str) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.doc.error(path, f"expected a mapping of {holding}, got {type(value).__name__}")
        return value


def _suggest(name: str) -> str:
    """A valid board name close to `name`: other characters become '-'."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-._")
    return cleaned or "board-01"
