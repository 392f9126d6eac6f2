"""CX Analytics engagements (issue 18) against the sandbox (real HTTP) into DuckDB: counts equal the
API's total_records per window, nightly reruns add no duplicates, a late-closing engagement is loaded
by the next run, the log's customer data stays out by default, a missing scope stops only its resource."""

from __future__ import annotations

import datetime as dt
import io
import json

import duckdb
import pytest

from pipelines.cli import main
from pipelines.console import Console
from sandbox import Sandbox, SandboxConfig
from sandbox.clock import fmt_ts
from sources.common.failures import ResourceFailures
from sources.common.windows import lookback_start, month_windows, zoom_range
from tests.conftest import SANDBOX_START
from tests.zoom_contact_center.support import load, query, zoom_client

DATASET_ROUTE = "GET /contact_center/analytics/dataset/historical/engagement"
LOG_ROUTE = "GET /contact_center/analytics/log/historical/engagement"
DATASET_PATH = "/contact_center/analytics/dataset/historical/engagement"
SCOPE = "contact_center_report:read:admin"
CHILDREN = {"queues": ("engagement_queues", "queue_id"), "users": ("engagement_users", "user_id"),
            "teams": ("engagement_teams", "team_id"), "channels": ("engagement_channels", "channel")}
SMALL = dict(seed=11, users=4, calls_per_day=0, days=6, cc_calls_per_day=40, zoho_calls_per_day=0,
             start=SANDBOX_START)


def ids_and_starts(warehouse, table: str = "engagements") -> list[tuple]:
    return query(warehouse, f"SELECT engagement_id, start_time FROM {table}")


def test_first_load_equals_total_records_per_window_and_children_equal_the_arrays(sandbox, client, warehouse):
    sb = sandbox
    now = sb.clock.now()
    load(warehouse, sb, client, resources=["engagements"])
    loaded = ids_and_starts(warehouse)
    assert len(loaded) == len({i for i, _ in loaded}) > 1000
    requests = [q for _, _, route, q, _ in sb.request_log if route == DATASET_ROUTE]
    assert requests and all(q["timezone"] == "UTC" for q in requests)
    for window in month_windows(lookback_start(now), now):
        answer = client.get(DATASET_PATH, [*zoom_range(*window).items(), ("timezone", "UTC"), ("page_size", 1)],
                            label="heavy")
        in_window = [i for i, start in loaded if window[0] <= start < window[1]]
        assert len(in_window) == answer["total_records"], window
    truth = sb.truth.engagements(lookback_start(now), now)
    assert {e["engagement_id"] for e in truth} == {i for i, _ in loaded}
    # durations keep the API's milliseconds, in columns that say so
    served = {e["engagement_id"]: e for e in truth}
    for eid, duration, hold, wrap, abandoned in query(
            warehouse, "SELECT engagement_id, duration_ms, hold_duration_ms, wrap_up_duration_ms, abandoned_count "
                       "FROM engagements"):
        e = served[eid]
        assert (duration, hold, wrap, abandoned) == (e["duration"], e["hold_duration"], e["wrap_up_duration"],
                                                     e["abandoned_count"])
    for field, (table, column) in CHILDREN.items():
        expected = {(e["engagement_id"], i, x[column]) for e in truth for i, x in enumerate(e[field])}
        assert set(query(warehouse, f"SELECT engagement_id, position, {column} FROM {table}")) == expected, table
        assert query(warehouse, f"SELECT count(*) FROM {table} WHERE _tombstone IS NOT NULL") == [(0,)]
    # a transferred engagement has its two agents, an abandoned one none
    assert query(warehouse, "SELECT max(n) FROM (SELECT count(*) n FROM engagement_users GROUP BY engagement_id)") \
        == [(2,)]
    assert query(warehouse, "SELECT count(*) FROM engagements e JOIN engagement_users u "
                            "ON u.engagement_id = e.engagement_id WHERE e.abandoned_count > 0") == [(0,)]


def test_nightly_reruns_add_no_duplicates_and_a_late_closing_engagement_comes_the_next_day(warehouse):
    probe = Sandbox(SandboxConfig(**SMALL))
    late = next(e for day in range(probe.start_day - 2, probe.first_day, -1)
                for e in probe.cc_days.get(day).calls if e.late)
    # the world as it is one second after the late engagement showed up unfinished in the voice calls
    with Sandbox(SandboxConfig(**{**SMALL, "start": fmt_ts(late.vis + 1), "enforce_rate_limits": False})) as sb:
        with zoom_client(sb) as client:
            start = sb.clock.now().replace(hour=0, minute=0, second=0) - dt.timedelta(days=4)
            load(warehouse, sb, client, start_date=start.isoformat())
            first = ids_and_starts(warehouse)
            assert late.engagement_id not in {i for i, _ in first}
            # in progress in the voice calls, not yet in the dataset (Zoom lists closed engagements only)
            assert query(warehouse, "SELECT result FROM voice_calls WHERE engagement_id = "
                                    f"'{late.engagement_id}'") == [("in_progress",)]

            sb.clock.advance(days=1)
            load(warehouse, sb, client, start_date=start.isoformat())
            second = ids_and_starts(warehouse)
            ids = [i for i, _ in second]
            assert late.engagement_id in ids
            assert len(ids) == len(set(ids)) == len(sb.truth.engagements(start, sb.clock.now()))
            assert set(first) < set(second)
            children = query(warehouse, "SELECT count(*), count(DISTINCT engagement_id || ':' || position) "
                                        "FROM engagement_users")
            assert children[0][0] == children[0][1]

            # a nightly run with nothing new: no row added, the re-read lag skipped as unchanged
            before = {t: query(warehouse, f"SELECT count(*) FROM {t}")[0][0]
                      for t in ("engagements", *(t for t, _ in CHILDREN.values()))}
            pipeline = load(warehouse, sb, client, start_date=start.isoformat())
            after = {t: query(warehouse, f"SELECT count(*) FROM {t}")[0][0] for t in before}
            assert after == before
            counts = pipeline.last_trace.last_normalize_info.row_counts
            assert counts.get("engagements", 0) == 0


@pytest.mark.parametrize("load_notes", [False, True])
def test_engagement_log_keeps_customer_data_out_unless_asked(sandbox_factory, warehouse, load_notes):
    sb = sandbox_factory(**{**SMALL, "days": 3})
    with zoom_client(sb) as client:
        load(warehouse, sb, client, resources=["engagement_logs"], load_notes=load_notes)
    logs = sb.truth.engagement_logs(None, sb.clock.now())
    notes = [n["note_content"] for x in logs for n in x["notes"]]
    urls = [x["transcript_url"] for x in logs if x.get("transcript_url")]
    assert notes and urls
    assert query(warehouse, "SELECT count(*) FROM engagement_logs")[0][0] == len(logs)
    assert query(warehouse, "SELECT count(*) FROM engagement_log_events")[0][0] == sum(len(x["events"]) for x in logs)
    assert query(warehouse, "SELECT count(*) FROM engagement_log_dispositions")[0][0] == sum(
        len(x["dispositions"]) for x in logs)
    assert query(warehouse, "SELECT count(*) FROM engagement_log_notes")[0][0] == len(notes)
    # every text value anywhere in the warehouse (all tables, all columns)
    with duckdb.connect(str(warehouse.path), read_only=True) as con:
        columns = con.execute("SELECT table_schema, table_name, column_name FROM information_schema.columns "
                              "WHERE data_type = 'VARCHAR'").fetchall()
        texts = set()
        for schema, table, column in columns:
            texts |= {v for (v,) in con.execute(f'SELECT "{column}" FROM "{schema}"."{table}"').fetchall() if v}
    blob = "\n".join(texts)
    found_notes = [n for n in notes if n in blob]
    found_urls = [u for u in urls if u in blob]
    if load_notes:
        assert len(found_notes) == len(notes) and len(found_urls) == len(urls)
    else:
        assert found_notes == [] and found_urls == []


@pytest.mark.parametrize("status", [401, 403])
def test_missing_report_scope_stops_engagements_alone(sandbox_factory, warehouse, status):
    sb = sandbox_factory(**SMALL, zoom_missing_scopes=(SCOPE,), zoom_missing_scope_status=status)
    failures = ResourceFailures("zoom_contact_center")
    with zoom_client(sb) as client:
        load(warehouse, sb, client, failures=failures,
             resources=["voice_calls", "engagements", "engagement_logs"])
    assert sorted((f.resource, f.error.status, str(f.error.code)) for f in failures) == [
        ("engagement_logs", status, "4711"), ("engagements", status, "4711")]
    assert SCOPE in failures.describe()
    # voice calls loaded; the scope answer was not taken for an expired token (no renewal, no retry)
    assert query(warehouse, "SELECT count(*) FROM voice_calls")[0][0] == len(sb.truth.voice_calls(None, None)) > 0
    assert sb.requests[DATASET_ROUTE] == 1 and sb.requests[LOG_ROUTE] == 1
    assert sb.requests["POST /oauth/token"] == 1
    tables = {t for (t,) in query(warehouse, "SELECT table_name FROM information_schema.tables "
                                             "WHERE table_schema = 'zoom_contact_center'")}
    assert "engagements" not in tables and "voice_calls" in tables


def test_missing_scope_run_exits_1_naming_the_scope_and_loads_voice_calls(sandbox_factory, tmp_path, monkeypatch):
    sb = sandbox_factory(**SMALL, zoom_missing_scopes=(SCOPE,))
    monkeypatch.setenv("SOURCES__ZOOM_CONTACT_CENTER__RESOURCES", json.dumps(["voice_calls", "engagements"]))
    out = io.StringIO()
    code = main(["run", "--source", "zoom_contact_center", "--duckdb-path", str(tmp_path / "w.duckdb"),
                 "--pipelines-dir", str(tmp_path / "pl")], clock=sb.clock,
                console=Console(out=out, err=out, live=False))
    text = out.getvalue()
    assert code == 1, text
    line = next(line for line in text.splitlines() if line.startswith("zoom_contact_center"))
    assert "resource engagements failed" in line and SCOPE in line and "code 4711" in line
    assert "add the missing scope" in line and "SOURCES__ZOOM_CONTACT_CENTER__RESOURCES" in line
    assert "Traceback" not in text
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM zoom_contact_center.voice_calls").fetchone()[0] > 0


def test_an_expired_page_token_restarts_the_window_without_duplicates(sandbox_factory, warehouse):
    sb = sandbox_factory(**SMALL)
    sb.inject_fault(DATASET_ROUTE, "expired_page_token", count=1, after=2)
    with zoom_client(sb) as client:
        load(warehouse, sb, client, resources=["engagements"], page_size=10)
    assert sb.request_log and any(status == 400 for *_, status in sb.request_log)
    ids = [i for i, _ in ids_and_starts(warehouse)]
    assert len(ids) == len(set(ids)) == len(sb.truth.engagements(None, sb.clock.now())) > 100


def test_a_bad_service_level_setting_stops_the_run_before_any_request(sandbox_factory, tmp_path, monkeypatch):
    sb = sandbox_factory(**SMALL)
    monkeypatch.setenv("ANALYTICS__SERVICE_LEVEL_SECONDS", "twenty")
    out = io.StringIO()
    code = main(["run", "--source", "zoom_contact_center", "--duckdb-path", str(tmp_path / "w.duckdb"),
                 "--pipelines-dir", str(tmp_path / "pl")], clock=sb.clock,
                console=Console(out=out, err=out, live=False))
    text = out.getvalue()
    assert code == 2, text
    assert "service_level_seconds" in text and "ANALYTICS__SERVICE_LEVEL_SECONDS" in text
    assert not sb.request_log


def test_audit_counts_the_engagements_and_repairs_a_deleted_day(sandbox_factory, tmp_path):
    sb = sandbox_factory(**SMALL)
    where = ["--duckdb-path", str(tmp_path / "w.duckdb"), "--pipelines-dir", str(tmp_path / "pl")]

    def cli(*argv: str) -> tuple[int, str]:
        out = io.StringIO()
        code = main([*argv, "--source", "zoom_contact_center", *where], clock=sb.clock,
                    console=Console(out=out, err=out, live=False))
        return code, out.getvalue()

    def engagements() -> set[str]:
        with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
            return {i for (i,) in con.execute("SELECT engagement_id FROM zoom_contact_center.engagements").fetchall()}

    code, text = cli("run")
    assert code == 0, text
    complete = engagements()
    code, text = cli("audit")
    assert code == 0 and "COMPLETE" in text and DATASET_PATH in text, text
    day = (sb.clock.now() - dt.timedelta(days=2)).date().isoformat()
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        con.execute("DELETE FROM zoom_contact_center.engagements WHERE CAST(start_time AT TIME ZONE 'UTC' AS DATE) = ?",
                    [day])
    assert len(engagements()) < len(complete)
    code, text = cli("audit")
    assert code != 0 and any(line.split()[:2] == ["engagements", day] for line in text.splitlines()), text
    code, text = cli("audit", "--repair")
    assert code == 0, text
    assert engagements() == complete
