"""`hil report html`: write the self-contained HTML page of a stored run (hil/report/html_page.py)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hil.errors import ConfigError
from hil.report.html_data import report_data
from hil.report.html_page import render
from hil.store.reader import StoreReader

DEFAULT_HISTORY = 30


def write_html(store: StoreReader, run_id: str, out: Path, last: int = DEFAULT_HISTORY) -> int:
    """Write the page of run `run_id` to `out` (atomically: a reader never sees half a page); its size."""
    if last < 1:
        raise ConfigError(
            f"--last {last}: the trends need at least 1 result per series", hint="e.g. --last 30"
        )
    page = render(report_data(store, run_id, last)).encode("utf-8")
    out = Path(out)
    if out.is_dir():
        raise ConfigError(f"{out} is a folder", hint="pass --out FILE.html")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(page)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except OSError as exc:
        raise ConfigError(
            f"cannot write the report {out}: {exc.strerror or exc}", hint="pass --out with a writable path"
        ) from exc
    return len(page)
