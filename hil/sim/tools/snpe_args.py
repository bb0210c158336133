"""Command-line parsing shared by the emulated SNPE C++ tools (snpe-net-run, snpe-dlc-quantize, ...).

SNPE's native tools take `--name value` and `--name=value` alike, flags without a value, and stop at the
first unknown option with an error and their usage text. Also the bits of SDK identity they share.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from hil.sim.dlc import SNPE_VERSION


class ArgError(Exception):
    pass


@dataclass
class Args:
    values: dict[str, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    def get(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    def has(self, name: str) -> bool:
        return name in self.flags or name in self.values


def help_or_version(args: Args, usage: str) -> int | None:
    """Answer `--help`/`-h` or `--version` and return the exit code; None when neither was asked."""
    if args.has("--help") or args.has("-h"):
        print(usage)
        return 0
    if args.has("--version"):
        print(version_line())
        return 0
    return None


def parse(argv: list[str], flags: set[str], valued: set[str]) -> Args:
    args = Args()
    i = 0
    while i < len(argv):
        name, eq, value = argv[i].partition("=")
        if name in flags and not eq:
            args.flags.add(name)
        elif name in valued:
            if not eq:
                if i + 1 >= len(argv):
                    raise ArgError(f"Missing value for option: {name}")
                i += 1
                value = argv[i]
            args.values[name] = value
        else:
            raise ArgError(f"Unknown option: {argv[i]}")
        i += 1
    return args


def version_line() -> str:
    from hil.sim.boards import toolchain_version

    return f"SNPE v{toolchain_version('snpe', SNPE_VERSION)}"


def resolve(path: str) -> str:
    """Paths in input lists are relative to the current directory, as snpe-net-run reads them."""
    return path if os.path.isabs(path) else os.path.join(os.getcwd(), path)


@dataclass
class InputList:
    """An snpe-net-run input list: optional `#out1 out2` (output tensors) / `%layer` (output layers) lines,
    then one line per inference: a raw file path, or `name:=path name2:=path2` for several inputs."""

    output_tensors: list[str]
    entries: list[dict[str, str]]  # input name ("" when the line gives a bare path) -> raw file path


def read_input_list(path: str) -> InputList:
    with open(path) as fh:
        text = fh.read()
    outputs: list[str] = []
    entries: list[dict[str, str]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line[0] in "#%":
            outputs += [t for t in line[1:].replace(",", " ").split() if t] if line[0] == "#" else []
            continue
        entry: dict[str, str] = {}
        for token in line.split():
            name, sep, file = token.partition(":=")
            entry[name if sep else ""] = resolve(file if sep else token)
        entries.append(entry)
    return InputList(outputs, entries)
