"""`callpipe audit`: the warehouse against the API's own counts, UTC day by UTC day, and `--repair`.

Real sandbox over HTTP, real DuckDB / Postgres; rows are deleted with SQL and the vendor's silently
short answer is the sandbox's documented quirk `quirk_truncated_window` (sandbox/config.py QUIRKS).
"""

from __future__ import annotations

import datetime as dt
import io

import pytest

from pipelines.audit import last_audits
from pipelines.cli import main
from pipelines.console import Console
from pipelines.errors import EXIT_AUDIT_DIFFERS
from pipelines.status import stored_state
from pipelines.warehouse import Warehouse
from tests.pipelines.conftest import SANDBOX_START, assert_no_duplicates, run_inprocess, snapshot

WORLD = dict(users=3, calls_per_day=6, days=8, cc_calls_per_day=4, zoho_calls_per_day=4)
DAY = "2026-11-16"  # a whole day inside the tiny world, before SANDBOX_START (2026-11-20 12:00 UTC)
MAIN = {"zoom_phone": "call_history", "zoom_contact_center": "voice_calls", "zoho_voice": "call_logs"}


def cli_main(argv: list[str], clock, wh: Warehouse | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    where = []
    if wh is not None and wh.kind == "duckdb":
        where = ["--duckdb-path", wh.location, "--pipelines-dir", str(wh.pipelines_dir)]
    code = main([*argv, *where], clock=clock, console=Console(out=out, err=err, live=False))
    return code, out.getvalue(), err.getvalue()


def audit(wh: Warehouse, source: str, clock, *extra: str) -> tuple[int, str, str]:
    return cli_main(["audit", "--source", source, *extra], clock, wh)


def differing_days(out: str) -> set[str]:
    """The days the audit table marks as not ok."""
    days = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) > 2 and parts[1][:4] == "2026" and not line.rstrip().endswith(" ok"):
            days.add(parts[1])
    return days


def delete_day(wh: Warehouse, source: str, day: str) -> int:
    table = wh.qualified(wh.dataset(source), MAIN[source])
    start = dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC)
    bounds = [start, start + dt.timedelta(days=1)]
    n = wh.query(f"SELECT count(*) FROM {table} WHERE start_time >= ? AND start_time < ?", bounds)[0][0]
    wh.execute(f"DELETE FROM {table} WHERE start_time >= ? AND start_time < ?", bounds)
    return n


def nightly_state(wh: Warehouse, source: str) -> dict:
    """Cursors and sync tokens of every resource, as stored in the warehouse."""
    resources = stored_state(wh, source)["sources"][source]["resources"]
    return {name: {k: v for k, v in r.items() if k in ("incremental", "sync_tokens")}
            for name, r in resources.items()}


@pytest.fixture
def sb(tiny_world):
    return tiny_world(start=SANDBOX_START, **WORLD)


def test_complete_warehouse_passes_then_a_deleted_day_is_found_and_repaired(sb, make_wh):
    wh = make_wh()
    assert run_inprocess(wh, ["zoom_phone"], sb.clock)["zoom_phone"].outcome == "ok"
    complete = snapshot(wh, ["zoom_phone"])
    state = nightly_state(wh, "zoom_phone")

    code, out, err = audit(wh, "zoom_phone", sb.clock)
    assert code == 0, out + err
    assert "COMPLETE" in out and "GET /phone/call_history" in out  # the requests are said before
    assert differing_days(out) == set()
    first = [line for line in out.splitlines() if line.strip().startswith("call_history")]
    assert len(first) == 7  # 2026-11-13 .. 2026-11-19: the whole days held, up to the day before the run
    assert last_audits(wh, "zoom_phone")[0]["outcome"] == "complete"

    # an operator deletes a day of calls, and the legs of one call of another day
    assert delete_day(wh, "zoom_phone", DAY) > 0
    elements = wh.qualified("zoom_phone", "call_elements")
    history = wh.qualified("zoom_phone", "call_history")
    uuid = wh.query(f"SELECT call_history_uuid FROM {history} WHERE start_time >= ? AND start_time < ? LIMIT 1",
                    ["2026-11-18T00:00:00Z", "2026-11-19T00:00:00Z"])[0][0]
    wh.execute(f"DELETE FROM {elements} WHERE call_history_uuid = ?", [uuid])

    code, out, err = audit(wh, "zoom_phone", sb.clock)
    assert code == EXIT_AUDIT_DIFFERS, out + err
    assert differing_days(out) == {DAY, "2026-11-18"}
    assert "1 without legs" in out and "missing" in out
    last, proven = last_audits(wh, "zoom_phone")
    assert last["outcome"] == "differs" and last["days_differing"] == 2 and proven["outcome"] == "complete"

    code, out, err = audit(wh, "zoom_phone", sb.clock, "--repair")
    assert code == 0, out + err
    assert "backfill zoom_phone 2026-11-16 .. 2026-11-16" in err and "2026-11-18 .. 2026-11-18" in err
    repaired = snapshot(wh, ["zoom_phone"])
    assert_no_duplicates(repaired)
    assert repaired == complete  # exactly the deleted rows are back
    assert nightly_state(wh, "zoom_phone") == state  # cursors and sync tokens untouched
    assert last_audits(wh, "zoom_phone")[0]["command"] == "repair"

    code, out, _ = cli_main(["status", "--source", "zoom_phone"], sb.clock, wh)
    assert "last audit" in out and "repair complete" in out


def test_a_silently_truncated_window_is_caught_and_repaired(tiny_world, make_wh):
    # the vendor answers long windows without half of one day's calls, total_records still counting them
    sb = tiny_world(start=SANDBOX_START, truncated_day=DAY, **WORLD)
    wh = make_wh()
    assert run_inprocess(wh, ["zoom_phone"], sb.clock)["zoom_phone"].outcome == "ok"
    code, out, err = audit(wh, "zoom_phone", sb.clock)
    assert code == EXIT_AUDIT_DIFFERS, out + err
    assert differing_days(out) == {DAY}

    # the repair reads the day alone (a one-day window), which the vendor answers whole
    code, out, err = audit(wh, "zoom_phone", sb.clock, "--repair")
    assert code == 0, out + err
    ref = make_wh("reference")
    sb.config.quirk_truncated_window = False
    assert run_inprocess(ref, ["zoom_phone"], sb.clock)["zoom_phone"].outcome == "ok"
    assert snapshot(wh, ["zoom_phone"]) == snapshot(ref, ["zoom_phone"])


def test_the_truncation_quirk_is_off_in_the_documented_world(tiny_world, make_wh):
    from sandbox import SandboxConfig

    assert "quirk_truncated_window" in __import__("sandbox.config", fromlist=["QUIRKS"]).QUIRKS
    assert not SandboxConfig().documented(truncated_day=DAY).quirk_truncated_window
    sb = tiny_world(start=SANDBOX_START, truncated_day=DAY, quirk_truncated_window=False, **WORLD)
    wh = make_wh()
    assert run_inprocess(wh, ["zoom_phone"], sb.clock)["zoom_phone"].outcome == "ok"
    assert audit(wh, "zoom_phone", sb.clock)[0] == 0


@pytest.mark.parametrize("source", ["zoom_contact_center", "zoho_voice"])
def test_postgres_audit_and_repair(sb, pg_warehouse, source, monkeypatch):
    wh = pg_warehouse
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", wh.location)
    monkeypatch.setenv("PIPELINE__RUNS_DATASET", wh.runs_dataset)
    monkeypatch.setenv("PIPELINE__PIPELINES_DIR", str(wh.pipelines_dir))
    for name, dataset in wh.datasets.items():
        monkeypatch.setenv(f"PIPELINE__DATASETS__{name.upper()}", dataset)
    args = ["--destination", "postgres"]
    assert run_inprocess(wh, [source], sb.clock)[source].outcome == "ok"
    complete = snapshot(wh, [source])
    state = nightly_state(wh, source)
    code, out, err = cli_main(["audit", "--source", source, *args], sb.clock)
    assert code == 0, out + err
    assert delete_day(wh, source, DAY) > 0
    code, out, err = cli_main(["audit", "--source", source, *args], sb.clock)
    assert code == EXIT_AUDIT_DIFFERS, out + err
    assert differing_days(out) == {DAY}
    code, out, err = cli_main(["audit", "--source", source, "--repair", *args], sb.clock)
    assert code == 0, out + err
    assert snapshot(wh, [source]) == complete
    assert nightly_state(wh, source) == state
    assert last_audits(wh, source)[0]["outcome"] == "complete"


@pytest.mark.parametrize("argv, says", [
    (["audit", "--source", "zoom_fone"], "unknown source"),
    (["audit", "--source", "zoom_phone", "--start", "2026-13-01"], "--start '2026-13-01' is not a date"),
    (["audit", "--source", "zoom_phone", "--start", "2026-11-18", "--end", "2026-11-16"], "is after --end"),
    (["audit", "--source", "zoom_phone", "--end", "2026-12-24"], "is in the future"),
    (["audit", "--source", "zoom_phone", "--start", "2026-01-02", "--end", "2026-01-03"], "Type --start 2026-05-21"),
    (["audit", "--source", "zoho_voice"], "nothing to audit"),
])
def test_bad_arguments_exit_2(sb, make_wh, argv, says, capsys):
    wh = make_wh()
    wh.query("SELECT 1")  # the file exists, empty
    code, out, err = cli_main(argv, sb.clock, wh)
    err += capsys.readouterr().err  # argparse's own errors
    assert code == 2, out + err
    assert says in err
    assert sb.requests["GET /phone/call_history"] == 0 and sb.requests["GET /rest/json/zv/logs"] == 0
