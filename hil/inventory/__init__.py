"""The inventory of boards: pydantic models, YAML loading (Ansible's layout) and selection (--where).

`load_inventory(Path("inventory/lab.yaml"), known_platforms={"orin", "qcs8255", "tda4vm"})` reads a file;
`select_boards(inv, ["platform=orin", "tag=nightly"])` picks boards from it. See docs/inventory.md.
"""

from hil.inventory.loader import load_inventory
from hil.inventory.selection import select_boards
from hil.inventory.spec import BoardSpec, BudgetSpec, Inventory, JumpHostSpec, PowerSpec

__all__ = [
    "BoardSpec",
    "BudgetSpec",
    "Inventory",
    "JumpHostSpec",
    "PowerSpec",
    "load_inventory",
    "select_boards",
]
