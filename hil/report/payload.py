"""The JSON documents hil prints on stdout with --json."""

from __future__ import annotations

import json

from hil.measure.compression import compression_tables
from hil.records import RunSummary


def with_compression(summary: RunSummary) -> RunSummary:
    """The summary with each board and model's compression table filled in (the --json documents)."""
    return summary.model_copy(update={"compression": compression_tables(summary.results)})


def run_json(summary: RunSummary) -> str:
    """`hil run --json`: RunSummary.model_dump(mode="json") (the contract in DESIGN.md), and the addition
    `compression`: each board and model's compression table (hil.measure.compression)."""
    return json.dumps(with_compression(summary).model_dump(mode="json"), indent=2, ensure_ascii=False)
