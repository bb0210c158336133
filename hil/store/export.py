"""`hil export`: results as CSV or JSON Lines, for spreadsheets, pandas or another database.

One line per result with the columns of the `results` table (fingerprint, per-class metrics and the
verdict as JSON text in CSV, as objects in JSON Lines). Samples stay in the store (`hil show` reads them).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any, TextIO

from hil.store.reader import StoreReader

_JSON_COLUMNS = ("fingerprint", "per_class", "verdict", "lat_insufficient")
_KEY = ("board", "model", "precision", "clip")


def export_rows(
    store: StoreReader, filters: dict[str, str | None], batch: int = 5000
) -> Iterator[dict[str, Any]]:
    """Matching results, oldest first, read in batches so a million rows never sit in memory at once."""
    where = [f"{k} = ?" for k in _KEY if filters.get(k)]
    params: list[Any] = [filters[k] for k in _KEY if filters.get(k)]
    last = 0
    while True:
        clause = " AND ".join([*where, "id > ?"])
        rows = store.query(
            f"SELECT * FROM results WHERE {clause} ORDER BY id LIMIT ?", [*params, last, batch]
        )
        if not rows:
            return
        yield from rows
        last = rows[-1]["id"]


def write_csv(rows: Iterator[dict[str, Any]], fh: TextIO) -> int:
    writer: csv.DictWriter[str] | None = None
    count = 0
    for row in rows:
        if writer is None:
            writer = csv.DictWriter(fh, fieldnames=list(row))
            writer.writeheader()
        writer.writerow(row)
        count += 1
    return count


def write_jsonl(rows: Iterator[dict[str, Any]], fh: TextIO) -> int:
    count = 0
    for row in rows:
        doc = {k: (json.loads(v) if k in _JSON_COLUMNS and isinstance(v, str) else v) for k, v in row.items()}
        fh.write(json.dumps(doc, ensure_ascii=False) + "\n")
        count += 1
    return count
