"""The program hil pushes to a board and runs there (see board_harness.py). It must not import hil."""

from pathlib import Path

HARNESS_FILE = Path(__file__).with_name("board_harness.py")
