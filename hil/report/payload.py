"""The JSON documents hil prints on stdout with --json."""

from __future__ import annotations

import json

from hil.records import RunSummary
from hil.store import HistoryRow


def run_json(summary: RunSummary) -> str:
    """`hil run --json`: exactly RunSummary.model_dump(mode="json") (the contract in DESIGN.md)."""
    return json.dumps(summary.model_dump(mode="json"), indent=2, ensure_ascii=False)


def history_json(rows: list[HistoryRow]) -> str:
    """`hil history --json`: {"results": [row, ...]}, newest first; `imported` marks `hil import` rows."""
    return json.dumps(
        {"results": [row.model_dump(mode="json") for row in rows]}, indent=2, ensure_ascii=False
    )
