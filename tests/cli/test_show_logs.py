"""`hil show RUN --result N --log KIND`: the logs of that result, not of the whole run."""

from __future__ import annotations

import json
from pathlib import Path

from hil.records import JobResult
from hil.store import JobLog, Store
from tests.conftest import Hil


def test_result_n_with_log_shows_only_that_results_logs(hil: Hil, tmp_path: Path) -> None:
    db = tmp_path / "hil.sqlite"
    with Store.open(db) as store:
        store.begin_run("r1", inventory="lab", argv=[])
        for board, tool in (("orin-01", "trtexec"), ("tda-01", "tidl_compile.py")):
            result = JobResult(
                board=board, platform="orin", model="m", precision="fp16", clip="c", status="pass"
            )
            store.record_job("r1", result, [], [JobLog(kind="convert", command=tool, text=f"{tool} ran")])
    shown = hil("show", "last", "--result", "2", "--log", "convert", "--json", "--db", str(db))
    assert shown.returncode == 0, shown.stderr
    assert [(x["board"], x["command"]) for x in json.loads(shown.stdout)] == [("tda-01", "tidl_compile.py")]
    every = hil("show", "last", "--log", "convert", "--json", "--db", str(db))
    assert [x["board"] for x in json.loads(every.stdout)] == ["orin-01", "tda-01"]
