"""An inventory file read as plain Python values plus the line of every key, for error messages.

PyYAML's `safe_load` forgets where things were written and silently keeps the last of two equal keys.
Here the file is composed into nodes (same parser, same tags) and walked, so every mapping key and list
item gets its line, and a duplicate key is an error instead of a silent override.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hil.errors import InventoryError

# A location in the document: mapping keys and list indexes from the root, e.g. ("all", "vars", "budgets").
YamlPath = tuple[str | int, ...]

# One finding: (line, located message, hint). Collected so a user sees every problem in one pass.
Problem = tuple[int, str, str | None]

MERGE_TAG = "tag:yaml.org,2002:merge"


def dotted(path: YamlPath) -> str:
    """`("all", "hosts", "a", "board_tags", 1)` -> `all.hosts.a.board_tags[1]`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else part
    return text or "(top level)"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


@dataclass(frozen=True)
class Document:
    file: str  # the path as the user gave it, so messages read like their command line
    data: Any
    lines: dict[YamlPath, int] = field(default_factory=dict)  # 1-based line of each key and list item

    def line_of(self, path: YamlPath) -> int:
        """The line of `path`, or of its nearest ancestor that was written (values may be inherited)."""
        for end in range(len(path), 0, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return 1

    def error(self, path: YamlPath, message: str, hint: str | None = None) -> InventoryError:
        return InventoryError(self.where(path, message), hint)

    def problem(self, path: YamlPath, message: str, hint: str | None = None) -> Problem:
        return (self.line_of(path), self.where(path, message), hint)

    def where(self, path: YamlPath, message: str) -> str:
        """`FILE:LINE: PATH: message`, the one format every inventory error uses."""
        return f"{self.file}:{self.line_of(path)}: {dotted(path)}: {message}"


def raise_problems(problems: list[Problem]) -> None:
    """One error for all problems, in line order; a group's bad value is reported once, not per board."""
    if problems:
        unique = sorted(dict.fromkeys(problems), key=lambda problem: problem[0])
        raise InventoryError("\n".join(message for _, message, _ in unique), unique[0][2])


def read_document(path: Path) -> Document:
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InventoryError(
            f"{file}: no such inventory file",
            hint="copy inventory/example-lab.yaml and edit it (see docs/inventory.md), "
            "or leave out --inventory to use the simulated rack",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InventoryError(f"{file}: cannot read the inventory: {exc}") from exc
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        walker = _Walker(file, loader)
        data = walker.value(root, ()) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problem = exc.problem or exc.context or "unreadable"
        if exc.context and exc.context_mark and exc.problem:
            problem += f" ({exc.context}, started at line {exc.context_mark.line + 1})"
        raise InventoryError(
            f"{file}:{line}: invalid YAML: {problem}",
            hint="check the indentation and the ':' after each key near that line",
        ) from exc
    except yaml.YAMLError as exc:
        raise InventoryError(f"{file}:1: invalid YAML: {exc}") from exc
    finally:
        loader.dispose()
    return Document(file, data, walker.lines)


class _Walker:
    """Turns composed nodes into dicts, lists and scalars, recording the line of each path."""

    def __init__(self, file: str, loader: yaml.SafeLoader) -> None:
        self.file = file
        self.loader = loader
        self.lines: dict[YamlPath, int] = {}
        self.open_nodes: set[int] = set()  # ids of the nodes being walked, to stop recursive aliases
        self.flattened: set[int] = set()  # mappings already checked and merged (an alias walks them again)

    def value(self, node: yaml.Node, path: YamlPath) -> Any:
        if isinstance(node, yaml.ScalarNode):
            return self.loader.construct_object(node)
        if id(node) in self.open_nodes:
            raise InventoryError(
                f"{self.file}:{node.start_mark.line + 1}: {dotted(path)}: an alias refers to itself"
            )
        self.open_nodes.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return self.sequence(node, path)
            if isinstance(node, yaml.MappingNode):
                return self.mapping(node, path)
        finally:
            self.open_nodes.discard(id(node))
        return self.loader.construct_object(node)

    def sequence(self, node: yaml.SequenceNode, path: YamlPath) -> list[Any]:
        items = []
        for index, item in enumerate(node.value):
            self.lines[(*path, index)] = item.start_mark.line + 1
            items.append(self.value(item, (*path, index)))
        return items

    def mapping(self, node: yaml.MappingNode, path: YamlPath) -> dict[str, Any]:
        if id(node) not in self.flattened:
            self.reject_duplicates(node, path)
            # Expands `<<: *anchor` in place; merged keys come first so the mapping's own keys win.
            self.loader.flatten_mapping(node)
            self.flattened.add(id(node))
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = self.key(key_node, path)
            self.lines[(*path, key)] = key_node.start_mark.line + 1
            result[key] = self.value(value_node, (*path, key))
        return result

    def key(self, node: yaml.Node, path: YamlPath) -> str:
        # The key as written: host `01` stays "01" rather than becoming the integer 1.
        if not isinstance(node, yaml.ScalarNode):
            raise InventoryError(
                f"{self.file}:{node.start_mark.line + 1}: {dotted(path)}: a key must be a plain name"
            )
        return str(node.value)

    def reject_duplicates(self, node: yaml.MappingNode, path: YamlPath) -> None:
        seen: dict[str, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == MERGE_TAG or not isinstance(key_node, yaml.ScalarNode):
                continue
            key, line = str(key_node.value), key_node.start_mark.line + 1
            if key in seen:
                raise InventoryError(
                    f"{self.file}:{line}: {dotted((*path, key))}: duplicate key {key!r} "
                    f"(first written at line {seen[key]})",
                    hint="YAML keeps only the last of two equal keys; merge them into one",
                )
            seen[key] = line
