"""The JSON documents hil prints on stdout with --json."""

from __future__ import annotations

import json

from hil.records import RunSummary


def run_json(summary: RunSummary) -> str:
    """`hil run --json`: exactly RunSummary.model_dump(mode="json") (the contract in DESIGN.md)."""
    return json.dumps(summary.model_dump(mode="json"), indent=2, ensure_ascii=False)
