"""Small pieces every parser shares: the result base class, key naming, numbers, the not-recognised error."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

from hil.errors import ParseError

NUMBER = r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"


class ParsedModel(BaseModel):
    """Base of every parser result: unknown keys are a bug, never silently kept."""

    model_config = ConfigDict(extra="forbid")


def snake(label: str) -> str:
    """`Create Network(s)` -> `create_networks`, `Forward Propagate ..Time` -> `forward_propagate_time`."""
    label = label.replace("(s)", "s").replace("..", " ")
    return re.sub(r"[^0-9a-z]+", "_", label.lower()).strip("_")


def number(text: str) -> int | float:
    """An int when the tool printed an integer, else a float (so JSON keeps what the tool wrote)."""
    value = float(text)
    return int(text) if re.fullmatch(r"-?\d+", text) else value


def not_recognised(kind: str, looked_for: str) -> ParseError:
    """The one error shape for text a parser does not recognise: what it is not, and what was looked for."""
    return ParseError(
        f"not {kind} output: looked for {looked_for} and found none",
        hint="check the file and the KIND: `hil parse auto FILE` guesses it, `hil parse --help` lists them",
    )
