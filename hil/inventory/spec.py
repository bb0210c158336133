"""Pydantic models of an inventory: boards, their power source, their budgets, and the loaded inventory.

Field names are the YAML keys, so a validation error's location is a path in the file. The connection
fields keep Ansible's own names (`ansible_host`, ...) so that one file serves hil and Ansible unchanged.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from hil.errors import InventoryError

# Board names become file names and appear in remote command lines: letters, digits, '.', '_', '-'.
BOARD_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
# Ansible warns about group names that are not identifiers ('-' reads as a pattern operator there).
GROUP_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# A DNS name, an IPv4 or an IPv6 address (with an optional %zone); nothing a shell would interpret.
HOST = re.compile(r"[A-Za-z0-9_.:%-]+")
USER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*")
TAG = BOARD_NAME

PowerSourceName = Literal["tegrastats", "hwmon", "command", "none"]


def check_host(value: str) -> str:
    """A host an SSH client can be given safely: it must not be empty, hold spaces or start with '-'."""
    if not HOST.fullmatch(value) or value.startswith("-"):
        raise ValueError(
            f"bad host {value!r}: expected a DNS name or an IP address, without spaces or shell characters"
        )
    return value


def check_port(value: int) -> int:
    if not 1 <= value <= 65535:
        raise ValueError(f"bad port {value}: a port is a number from 1 to 65535")
    return value


def check_user(value: str) -> str:
    if not USER.fullmatch(value):
        raise ValueError(f"bad user {value!r}: expected letters, digits, '.', '_' or '-'")
    return value


Host = Annotated[str, AfterValidator(check_host)]
Port = Annotated[int, AfterValidator(check_port)]
User = Annotated[str, AfterValidator(check_user)]


class LossSpec(BaseModel):
    """The loss gate's allowances against FP32 (docs/results.md, "Loss against FP32"); a key left out
    keeps hil's default (hil.measure.loss)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    # Points an overall figure (accuracy, AP50, landmark success rate) may lose, per precision.
    points: dict[str, float] = Field(default_factory=dict)
    class_recall_points: dict[str, float] = Field(default_factory=dict)  # per-class recall, per precision
    nme_pct: float | None = Field(None, ge=0)  # landmark NME may rise by at most this %
    error_pct: float | None = Field(None, ge=0)  # regression MAE / angular error may rise by at most this %
    events: bool = True  # an event class found at FP32 must be found

    @field_validator("points", "class_recall_points")
    @classmethod
    def _known(cls, value: dict[str, float]) -> dict[str, float]:
        for name, points in value.items():
            if name not in ("fp16", "int16", "w8a16", "int8"):
                raise ValueError(f"no loss allowance for {name!r}: name fp16, int16, w8a16 or int8")
            if points < 0:
                raise ValueError(f"the {name} allowance must be 0 points or more, not {points}")
        return value


class BudgetSpec(BaseModel):
    """What a board job must meet. Defaults are the field's seed constraints (see DESIGN.md)."""

    model_config = ConfigDict(extra="forbid")

    latency_ms: float = Field(100.0, gt=0)  # per frame, at most
    power_w: float = Field(5.0, gt=0)  # mean power during replay, at most
    memory_mb: float = Field(500.0, gt=0)  # peak resident memory, at most
    accuracy: float = Field(0.95, ge=0, le=1)  # frame accuracy as a fraction, at least
    fps_min: float | None = Field(None, gt=0)  # measured throughput, at least (None: not judged)
    map50_min: float | None = Field(None, ge=0, le=1)  # detectors: AP at IoU 0.5, at least (None: not judged)
    nme_max: float | None = Field(None, gt=0)  # landmark models: normalised mean error, at most
    recall_min: dict[str, float] = Field(default_factory=dict)  # class -> recall at least (0..1)
    loss: LossSpec = Field(default_factory=LossSpec)  # the loss gate against FP32
    # Modelled power (sim-model) is never judged; tests may opt in to exercise the power verdict.
    judge_modelled_power: bool = False


# Shipped budget profiles: `default` is the field's seed constraints; `in-vehicle` a stricter deployment
# profile (a QCS8255-class DMS in a car). An inventory's `budget_profiles` may redefine or add profiles.
SHIPPED_PROFILES: dict[str, BudgetSpec] = {
    "default": BudgetSpec(),
    "in-vehicle": BudgetSpec(latency_ms=20.0, fps_min=50.0, power_w=1.5, memory_mb=200.0),
}


class PowerSpec(BaseModel):
    """Where a board's power readings come from. `none` means: do not measure power."""

    model_config = ConfigDict(extra="forbid")

    source: PowerSourceName
    command: str | None = None  # for source=command: a command line that prints readings
    hwmon_path: str | None = None  # for source=hwmon: the sysfs folder; found by name when absent
    interval_ms: int = Field(100, ge=1, le=60_000)
    idle_s: float = Field(2.0, ge=0, le=60)  # idle baseline sampled before each replay (0: none)

    @model_validator(mode="after")
    def _fields_match_source(self) -> PowerSpec:
        if self.source == "command" and not (self.command or "").strip():
            raise ValueError("source 'command' needs a 'command' to run")
        if self.command is not None and self.source != "command":
            raise ValueError(f"'command' is only read with source 'command', not {self.source!r}")
        if self.hwmon_path is not None and self.source != "hwmon":
            raise ValueError(f"'hwmon_path' is only read with source 'hwmon', not {self.source!r}")
        return self


class JumpHostSpec(BaseModel):
    """The bastion a board is reached through, written `[user@]host[:port]` in the inventory."""

    model_config = ConfigDict(extra="forbid")

    user: User | None = None  # None: the same user as the board's
    host: Host
    port: Port = 22

    @classmethod
    def parse(cls, text: str) -> dict[str, Any]:
        """Split `[user@]host[:port]` (IPv6 as `[addr]:port`) into fields; validation comes after."""
        user, _, hostport = text.rpartition("@")
        host, port = hostport, ""
        if hostport.startswith("["):
            host, _, rest = hostport[1:].partition("]")
            port = rest.removeprefix(":")
        elif hostport.count(":") == 1:
            host, _, port = hostport.partition(":")
        fields: dict[str, Any] = {"host": host}
        if user:
            fields["user"] = user
        if port:
            fields["port"] = port
        return fields

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.user + '@' if self.user else ''}{host}:{self.port}"


class BoardSpec(BaseModel):
    """One board, with every variable resolved: group vars applied, budgets merged, defaults filled."""

    # `tags` is reserved in Ansible (it warns), so the YAML key is `board_tags`; Python says `tags`.
    model_config = ConfigDict(extra="forbid", validate_by_name=True, validate_by_alias=True)

    name: str
    platform: str
    ansible_host: Host
    ansible_port: Port = 22
    ansible_user: User
    ansible_ssh_private_key_file: Path | None = None
    ansible_vars: dict[str, Any] = Field(default_factory=dict)  # every other ansible_* variable
    workdir: str = "hil-work"  # on the board; relative to the login home
    jump_host: JumpHostSpec | None = None
    power: PowerSpec | None = None  # None: the platform's default power source
    tags: list[str] = Field(default_factory=list, alias="board_tags")
    budgets: BudgetSpec = Field(default_factory=BudgetSpec)
    budget_profiles: dict[str, BudgetSpec] = Field(default_factory=dict)
    budget_profile: str = "default"
    sim: bool = False
    # A simulated board's toolchain versions where they differ from the emulation's default, e.g.
    # {snpe: 2.20.0.240223}: what its tools report (fleet inventories mix toolchain releases).
    sim_toolchain: dict[str, str] = Field(default_factory=dict)
    known_hosts: Path | None = None
    connect_timeout_s: float = Field(10.0, gt=0)
    command_timeout_s: float = Field(600.0, gt=0)
    build_host: str | None = None  # another board of the inventory that converts for this one
    # The boards that name this one as their build_host (set by the loader, never read from YAML).
    build_host_for: list[str] = Field(default_factory=list)
    # Recovery ladder (docs/nightly.md): a reboot over SSH, then a power cycle run on the controller.
    reboot_command: str | None = None  # run on the board, e.g. "sudo reboot"
    power_cycle: str | None = None  # run on the controller, e.g. a PDU's CLI: "pdu-ctl cycle 7"
    recovery_wait_s: float = Field(180.0, gt=0)  # how long a rebooted or power-cycled board may take

    @field_validator("name", "build_host")
    @classmethod
    def _check_board_name(cls, value: str | None) -> str | None:
        if value is not None and not BOARD_NAME.fullmatch(value):
            raise ValueError(
                f"bad board name {value!r}: use letters, digits, '.', '_' and '-', starting with a "
                "letter or digit (names become file names and never reach a shell unquoted)"
            )
        return value

    @field_validator("platform")
    @classmethod
    def _check_platform(cls, value: str, info: ValidationInfo) -> str:
        # The platform registry lives in a higher layer; the loader passes its keys as context.
        known = (info.context or {}).get("known_platforms")
        if known is not None and value not in known:
            raise ValueError(f"unknown platform {value!r} (known: {', '.join(sorted(known))})")
        return value

    @field_validator("tags")
    @classmethod
    def _check_tags(cls, value: list[str]) -> list[str]:
        for tag in value:
            if not TAG.fullmatch(tag):
                raise ValueError(f"bad tag {tag!r}: use letters, digits, '.', '_' and '-'")
        return value

    @field_validator("workdir")
    @classmethod
    def _check_workdir(cls, value: str) -> str:
        if not value or any(ord(ch) < 32 for ch in value):
            raise ValueError("workdir must be a non-empty path without control characters")
        return value

    @field_validator("jump_host", mode="before")
    @classmethod
    def _parse_jump_host(cls, value: Any) -> Any:
        return JumpHostSpec.parse(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _apply_budget_profile(self) -> BoardSpec:
        """budgets = the named profile, then the keys `budgets:` sets itself (so old inventories keep
        working: with no profile named, the profile is `default`, the old defaults)."""
        profiles = {**SHIPPED_PROFILES, **self.budget_profiles}
        if self.budget_profile not in profiles:
            raise ValueError(
                f"unknown budget_profile {self.budget_profile!r} (known: {', '.join(sorted(profiles))}); "
                "define it under budget_profiles"
            )
        profile = profiles[self.budget_profile]
        own = self.budgets.model_dump(include=self.budgets.model_fields_set)
        merged = {**profile.model_dump(include=profile.model_fields_set), **own}
        effective = BudgetSpec.model_validate(merged)
        object.__setattr__(self, "budgets", effective)
        return self

    @field_validator("ansible_ssh_private_key_file", "known_hosts")
    @classmethod
    def _expand_home(cls, value: Path | None) -> Path | None:
        return None if value is None else value.expanduser()


class Inventory(BaseModel):
    """A loaded inventory: its boards in file order and each group's boards (transitively)."""

    model_config = ConfigDict(extra="forbid")

    path: Path
    boards: dict[str, BoardSpec]
    groups: dict[str, list[str]]  # group name -> names of every board in it or its child groups

    def board(self, name: str) -> BoardSpec:
        if name not in self.boards:
            raise InventoryError(
                f"{self.path}: no board named {name!r}",
                hint=f"boards in this inventory: {', '.join(self.boards)}",
            )
        return self.boards[name]

    def groups_of(self, name: str) -> list[str]:
        """The groups `name` belongs to, directly or through a child group, in file order."""
        return [group for group, members in self.groups.items() if name in members]
