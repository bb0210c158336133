"""The error types of hil.

Every error carries a message (what went wrong) and a hint (what to do about it). The library raises
them and never prints; the CLI maps each kind to an exit code (see DESIGN.md, "Outcomes and exit codes").
"""

from __future__ import annotations


class HilError(Exception):
    """Base of every error hil raises on purpose. `exit_code` is what the CLI exits with."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class ConfigError(HilError):
    """Bad user input: inventory, options, files named on the command line. Exit 2."""

    exit_code = 2


class InventoryError(ConfigError):
    """A malformed inventory; the message names the file, the dotted path and the line."""


class ArtifactError(ConfigError):
    """A model, model card, clip or label file that cannot be used as given."""


class ParseError(HilError):
    """Text a parser does not recognise. Says what it looked for."""

    exit_code = 2


class InfraError(HilError):
    """The board or the rack is at fault, not the model: unreachable, timeout, toolchain missing. Exit 3."""

    exit_code = 3


class HostKeyError(InfraError):
    """The board's SSH host key is unknown or changed; hil refuses to connect."""


class BoardTimeoutError(InfraError):
    """A remote command ran past its time limit and was stopped."""


class ModelError(HilError):
    """The model is at fault on a healthy board: conversion rejected it, or it crashed the harness. Exit 1."""

    exit_code = 1


class ConversionError(ModelError):
    """The board's converter (trtexec, snpe-onnx-to-dlc, TIDL import) failed on this model."""

    def __init__(self, message: str, hint: str | None = None, *, command: str = "", log: str = "") -> None:
        super().__init__(message, hint)
        self.command = command  # the converter command line, as run
        self.log = log  # everything it printed
