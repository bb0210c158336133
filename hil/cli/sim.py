"""`hil sim up | down | status`: the simulated rack's sshd processes."""

from __future__ import annotations

import dataclasses
from typing import Annotated

import typer
from rich.table import Table

from hil.cli import context
from hil.cli.common import InventoryOption, JsonOption, WhereOption, err, out, print_json
from hil.errors import ConfigError
from hil.inventory.spec import BoardSpec
from hil.runs.simulated import keep_running, sim_board
from hil.sim import conformance
from hil.sim.toolchains import parse_toolchains, python_notes

sim_app = typer.Typer(
    help=(
        "The simulated rack: one real OpenSSH sshd per simulated board on a loopback address, with "
        "emulated vendor tools. `hil run` starts what it needs by itself; use these to keep it up."
    ),
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(sim_app, name="sim")


def _sim_boards(inventory: InventoryOption, where: WhereOption) -> list[BoardSpec]:
    _, boards = context.boards(inventory, where)
    sims = [b for b in boards if b.sim]
    if not sims:
        raise ConfigError("no simulated boards selected", hint="simulated boards have `sim: true`")
    return sims


@sim_app.command()
def up(
    inventory: InventoryOption = None,
    where: WhereOption = None,
    toolchain: Annotated[
        list[str] | None,
        typer.Option(
            "--toolchain",
            help="Start a platform's boards at another toolchain release, one of those the vendor "
            "conformance files describe (hil/sim/conformance/): orin=trt8.5|trt8.6|trt10.3, "
            "qcs8255=snpe2.20|snpe2.22, tda4vm=tidl08.06|tidl09.02|tidl10.01, PLATFORM=py3.8 (a real "
            "Python 3.8 as python3); comma-separate several.",
        ),
    ] = None,
) -> None:
    """Start the simulated boards (generating keys on first use) and leave them running.

    A board already running keeps its toolchain: `hil sim down` it first to start it at another."""
    rack = context.rack()
    releases = parse_toolchains(toolchain or [])
    for note in python_notes(releases):
        err.print(f"note: {note}", markup=False)
    for board in _sim_boards(inventory, where):
        spec = sim_board(board)
        if board.platform in releases:
            spec = dataclasses.replace(spec, toolchain={**spec.toolchain, **releases[board.platform]})
        started = rack.start(spec)
        keep_running(rack, board.name)  # up on purpose: the runs that use it leave it up
        state = "started" if started else "already running"
        err.print(f"{board.name} ({board.platform}) {board.ansible_host}:{board.ansible_port}: {state}")


@sim_app.command()
def down(inventory: InventoryOption = None, where: WhereOption = None) -> None:
    """Stop the simulated boards and every process still running on them."""
    rack = context.rack()
    for board in _sim_boards(inventory, where):
        stopped = rack.stop(board.name)
        freed = rack.clear_leases(board.name)
        note = " (its lease was removed)" if freed else ""
        err.print(f"{board.name}: {'stopped' if stopped else 'was not running'}{note}")


@sim_app.command()
def status(inventory: InventoryOption = None, where: WhereOption = None, json: JsonOption = False) -> None:
    """Which simulated boards are running, where, and with which pid."""
    rack = context.rack()
    rows = rack.status([sim_board(b) for b in _sim_boards(inventory, where)])
    if json:
        import json as jsonlib

        print_json(jsonlib.dumps([r.__dict__ for r in rows], indent=2))
        return
    table = Table("board", "platform", "address", "state", "pid")
    for r in rows:
        state = "[green]running[/]" if r.running else "[dim]stopped[/]"
        table.add_row(r.name, r.platform, f"{r.host}:{r.port}", state, str(r.pid or ""))
    out.print(table)


@sim_app.command()
def fault(
    board: Annotated[str, typer.Argument(help="A simulated board of the inventory, e.g. orin-sim-01.")],
    faults_: Annotated[
        list[str] | None,
        typer.Argument(metavar="[TOOL=MODE]...", help="Faults to set, e.g. runtime=slow trtexec=crash."),
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Remove every fault of BOARD.")] = False,
    inventory: InventoryOption = None,
    json: JsonOption = False,
) -> None:
    """Set, clear or show the faults a simulated board's tools act out (its sim-faults.json).

    TOOL is what the fault applies to; MODE what it acts out. Only what some tool
    really acts out is accepted (TOOL: its modes):

    \b
      runtime: wrong_outputs, slow   (hil's on-board replay, snpe-net-run)
      sshd: down                     (the board does not start: unreachable)
      thermal: throttle, hang, crash (the board throttles for real)
      trtexec, snpe-onnx-to-dlc, tidl_compile: hang, crash, disk_full,
        corrupt, unsupported_op
      tegrastats, qcs-meter, ina226, snpe-net-run, snpe-dlc-quantize,
        snpe-dlc-graph-prepare: hang, crash, disk_full, corrupt
      snpe-dlc-quantize, trtexec: bad_layer (one layer's weight scale wrong)
      nvpmodel, snpe-diagview, tidl_run: hang, crash
      reboot: hang

    All ten modes: hang, crash, disk_full, corrupt, unsupported_op, throttle,
    down, wrong_outputs, slow, bad_layer (see hil/sim/faults.py). Faults stay until cleared.
    A QCS8255's converters and a TDA4VM's TIDL compiler run on its build host, never on the
    board: set their faults on the build host.

    Examples:
      hil sim fault orin-sim-01 runtime=slow     # inference runs 3x: a real latency regression
      hil sim fault orin-sim-01                  # show what is set
      hil sim fault orin-sim-01 --clear
    """
    from hil.sim import faults as sim_faults

    inv = context.load(inventory)
    spec = context.board_named(inv, board)
    if not spec.sim:
        raise ConfigError(f"{board} is not a simulated board", hint="faults exist only on `sim: true` boards")
    root = context.rack().board_root(board)
    if clear and faults_:
        raise typer.BadParameter("give TOOL=MODE or --clear, not both", param_hint="--clear")
    try:
        if clear:
            removed = sim_faults.clear_faults(root)
            err.print(f"{board}: {'faults cleared' if removed else 'had no faults'}")
            table: dict[str, str] = {}
        else:
            for item in faults_ or []:
                tool, sep, mode = item.partition("=")
                if not sep or not tool or not mode:
                    raise typer.BadParameter(f"{item!r} is not TOOL=MODE (e.g. runtime=slow)")
                _require_tool_on(spec, tool.strip(), mode.strip())
                sim_faults.set_fault(root, tool.strip(), mode.strip())
            table = sim_faults.read_faults(root)
    except sim_faults.FaultFileError as exc:
        raise ConfigError(str(exc), hint="see hil sim fault --help for what each tool acts out") from exc
    if json:
        import json as jsonlib

        out.print(jsonlib.dumps({"board": board, "faults": table}), markup=False, highlight=False)
    elif not clear:
        shown = ", ".join(f"{k}={v}" for k, v in sorted(table.items())) or "none"
        out.print(f"{board}: faults {shown}", markup=False, highlight=False)


# A fault key that is not a command's name -> what the simulated machine needs to act it out.
FAULT_NEEDS = {"tidl_compile": "TIDLCompilationProvider"}


def _require_tool_on(spec: BoardSpec, tool: str, mode: str) -> None:
    """A fault for a tool the board does not have (its vendor ships it for an x86_64 host only) would never
    be acted out: refused, pointing at the build host that runs the tool."""
    missing = conformance.absent(spec.platform, sim_board(spec).role)
    if FAULT_NEEDS.get(tool, tool) not in missing:
        return
    where = f"hil sim fault {spec.build_host} {tool}={mode}" if spec.build_host else "its build host"
    raise ConfigError(
        f"{spec.name} has no {tool}: its vendor ships it for an x86_64 host only, so nothing on {spec.name} "
        "would act this fault out",
        hint=f"set it where the tool runs: {where}",
    )
