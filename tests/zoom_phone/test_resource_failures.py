"""A resource whose endpoint is gone or out of scope stops alone (issue 20.8): the others load,
the failure names the resource, Zoom's status and code and the setting that turns it off, and
the resource's cursor, change memory and sync tokens stay where they were, so the next run
loads what this one did not. A legacy sync token Zoom calls expired starts that user over."""

from __future__ import annotations

import copy
import datetime as dt
import io
import json

from pipelines.cli import main
from pipelines.console import Console
from sources.common.failures import ResourceFailures
from tests.zoom_phone.support import ALL_RESOURCES, counts, requests_to, rows, source, zoom_phone_state

LOGS = "GET /phone/call_logs"
HISTORY_DETAIL = "GET /phone/call_history/{callHistoryUuid}"
LOG_SYNC = "GET /phone/users/{userId}/call_logs/sync"
CURRENT = ("call_history", "call_elements", "user_call_legs", "user_call_elements", "users")


def truth_counts(sb, start) -> dict[str, int]:
    uuids = {r["call_history_uuid"] for r in sb.truth.call_history(start, None)}
    return {"call_history": len(uuids),
            "call_elements": sum(e["call_history_uuid"] in uuids for e in sb.truth.call_elements()),
            "call_logs": len(sb.truth.call_logs(start, None))}


def test_a_retired_legacy_endpoint_stops_only_its_resource(small_sandbox, warehouse):
    sb = small_sandbox()
    pl = warehouse("zoom_phone")
    start = (sb.clock.now() - dt.timedelta(days=3)).isoformat()
    sb.inject_fault(LOGS, "retired", count=1000)
    failures = ResourceFailures("zoom_phone")
    pl.run(source(sb, start_date=start, resources=ALL_RESOURCES, failures=failures))

    assert [(f.resource, f.error.status, f.error.code) for f in failures] == [("call_logs", 404, 404)]
    text = failures.describe()
    assert "GET /phone/call_logs" in text and "HTTP 404" in text
    assert "[sources.zoom_phone] resources" in text and "SOURCES__ZOOM_PHONE__RESOURCES" in text
    loaded = counts(pl, CURRENT + ("user_call_logs",))
    expected = truth_counts(sb, start)
    assert loaded["call_history"] == expected["call_history"] > 0
    assert loaded["call_elements"] == expected["call_elements"] > 0
    assert all(loaded[t] > 0 for t in CURRENT + ("user_call_logs",))
    assert "call_logs" not in {t for (t,) in rows(pl, "SELECT table_name FROM information_schema.tables")}
    # the list never ran past its first request: its cursor is where it started, no detail was asked for
    cursor = zoom_phone_state(pl)["call_logs"]["incremental"]["date_time"]
    assert cursor["last_value"] == cursor["initial_value"]
    assert not requests_to(sb, "GET /phone/call_logs/{id}")

    # the endpoint answers again (an archive account): the next run loads the whole range
    sb.clear_faults()
    failures = ResourceFailures("zoom_phone")
    pl.run(source(sb, start_date=start, resources=ALL_RESOURCES, failures=failures))
    assert not failures
    assert counts(pl, ("call_logs",))["call_logs"] == expected["call_logs"] > 0


def test_details_out_of_scope_leave_the_list_cursor_where_it_was(small_sandbox, warehouse):
    """The list loads fine but its details answer "missing scope": the list's cursor and change
    memory must not move, or the next (nightly) run would skip those calls' legs for good."""
    sb = small_sandbox()
    pl = warehouse("zoom_phone")
    start = (sb.clock.now() - dt.timedelta(days=3)).isoformat()
    resources = ["call_history", "call_history_details"]
    pl.run(source(sb, start_date=start, resources=resources))
    state_before = copy.deepcopy(zoom_phone_state(pl)["call_history"])
    elements_before = counts(pl, ("call_elements",))["call_elements"]
    sb.clock.advance(days=1)

    sb.inject_fault(HISTORY_DETAIL, "missing_scope", count=1000)
    failures = ResourceFailures("zoom_phone")
    pl.run(source(sb, start_date=start, resources=resources, failures=failures))
    assert [(f.resource, f.error.status, str(f.error.code)) for f in failures] == [
        ("call_history_details", 400, "4711")]
    assert zoom_phone_state(pl)["call_history"] == state_before
    assert counts(pl, ("call_elements",))["call_elements"] == elements_before

    sb.clear_faults()
    sb.reset_stats()
    failures = ResourceFailures("zoom_phone")
    pl.run(source(sb, start_date=start, resources=resources, failures=failures))
    assert not failures
    expected = truth_counts(sb, start)
    assert counts(pl, ("call_history", "call_elements")) == {
        "call_history": expected["call_history"], "call_elements": expected["call_elements"]}
    assert requests_to(sb, HISTORY_DETAIL, 200)  # the new calls' details were fetched this time


def test_an_expired_legacy_sync_token_starts_the_user_over(small_sandbox, warehouse, caplog):
    sb = small_sandbox()
    pl = warehouse("zoom_phone")
    start = (sb.clock.now() - dt.timedelta(days=3)).isoformat()
    resources = ["users", "user_call_logs"]
    pl.run(source(sb, start_date=start, resources=resources))
    tokens = dict(zoom_phone_state(pl)["user_call_logs"]["sync_tokens"])
    assert len(tokens) >= 3
    sb.clock.advance(days=1)

    sb.reset_stats()
    sb.inject_fault(LOG_SYNC, "expired_sync_token")  # the first request that carries a token
    pl.run(source(sb, start_date=start, resources=resources))
    isyncs = requests_to(sb, LOG_SYNC)
    expired = next(q for q in isyncs if q.get("sync_token"))["sync_token"]
    user = next(u for u, t in tokens.items() if t == expired)
    after = zoom_phone_state(pl)["user_call_logs"]["sync_tokens"]
    assert set(after) == set(tokens) and after[user] != expired  # a new token from the full sync
    assert "sync token is invalid or expired" in caplog.text and user in caplog.text
    # only that user was read again from the start; the others went on with ISync from their tokens
    assert [q["sync_type"] for q in requests_to(sb, LOG_SYNC, 200)].count("FSync") == 1
    others = {q["sync_token"] for q in requests_to(sb, LOG_SYNC, 200) if q["sync_type"] == "ISync"}
    assert {t for u, t in tokens.items() if u != user} <= others
    expected = {r["id"] for r in sb.truth.user_call_logs(user) if r["date_time"] >= start[:10]}
    loaded = {r[0] for r in rows(pl, "SELECT id FROM user_call_logs WHERE user_id = ?", user)}
    assert expected <= loaded

    # and the next run goes on from the new token (the user is neither skipped nor restarted again)
    sb.reset_stats()
    pl.run(source(sb, start_date=start, resources=resources))
    mine = [q for q in requests_to(sb, LOG_SYNC, 200) if q.get("sync_token") == after[user]]
    assert [q["sync_type"] for q in mine] == ["ISync"]


def test_the_run_loads_the_rest_and_exits_1_naming_the_resource(small_sandbox, tmp_path, monkeypatch):
    sb = small_sandbox()
    monkeypatch.setenv("SOURCES__ZOOM_PHONE__RESOURCES", json.dumps(ALL_RESOURCES))
    sb.inject_fault(LOG_SYNC, "retired", count=1000)
    out = io.StringIO()
    code = main(["run", "--source", "zoom_phone", "--duckdb-path", str(tmp_path / "w.duckdb"),
                 "--pipelines-dir", str(tmp_path / "pl")], clock=sb.clock,
                console=Console(out=out, err=out, live=False))
    text = out.getvalue()
    assert code == 1, text
    line = next(line for line in text.splitlines() if line.startswith("zoom_phone"))
    assert "FAILED" in line and "resource user_call_logs failed" in line
    assert "GET /phone/users/{userId}/call_logs/sync answered HTTP 404, code 404" in line
    assert "[sources.zoom_phone] resources" in line and "SOURCES__ZOOM_PHONE__RESOURCES" in line
    assert "call_history" in line and "call_logs" in line  # what the other resources loaded
    assert "Traceback" not in text
    import duckdb

    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        tables = {t for (t,) in con.execute("SELECT table_name FROM information_schema.tables "
                                            "WHERE table_schema = 'zoom_phone'").fetchall()}
        outcome = con.execute("SELECT outcome FROM callpipe.runs").fetchall()
    assert {"call_history", "call_elements", "call_logs", "call_log_legs", "user_call_legs"} <= tables
    assert "user_call_logs" not in tables
    assert outcome == [("failed",)]


def test_which_failures_stay_with_their_resource():
    from sources.common.failures import contained
    from sources.common.http import ApiError, AuthError, QuotaExhausted, RetriesExhausted

    def api(status, code=None, cls=ApiError, endpoint="/phone/call_logs"):
        return cls("x", provider="zoom", method="GET", endpoint=endpoint, status=status, code=code)

    for error in (api(404, 404), api(410), api(403, 200), api(400, 4711), api(400, "4711"),
                  api(401, 124, AuthError)):  # refused twice on that endpoint: no scope for it
        assert contained(error), error
    for error in (api(400, 300), api(500, cls=RetriesExhausted), api(429, 429, QuotaExhausted),
                  api(401, "invalid_client", AuthError, endpoint="token")):  # credentials: every resource
        assert not contained(error), error
