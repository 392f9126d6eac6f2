"""Six-month load, the worked example, and the next nights: against the sandbox into DuckDB."""

from __future__ import annotations

import datetime as dt
import logging

from sources.common.config import build_zoom_client
from sources.common.windows import lookback_start
from tests.zoom_phone.support import (
    ALL_RESOURCES,
    TABLE_KEYS,
    counts,
    duplicates,
    requests_to,
    rows,
    source,
    ts,
    zoom_phone_state,
)

LOGS = "GET /phone/call_logs"
HISTORY = "GET /phone/call_history"
LOG_DETAIL = "GET /phone/call_logs/{id}"
HISTORY_DETAIL = "GET /phone/call_history/{callHistoryUuid}"
LOG_SYNC = "GET /phone/users/{userId}/call_logs/sync"
HISTORY_SYNC = "GET /phone/users/{userId}/call_history/sync"


def api_totals(sb, route: str) -> int:
    """Sum of the API's total_records over the windows (and recording_status passes) the pipeline
    asked for."""
    client = build_zoom_client(clock=sb.clock)
    passes = {(q["from"], q["to"], q.get("recording_status")) for q in requests_to(sb, route)
              if "next_page_token" not in q}
    path = route.split(" ")[1]
    return sum(client.get(path, {"from": f, "to": t, "page_size": 1,
                                 **({"recording_status": rs} if rs else {})}, label="heavy")["total_records"]
               for f, t, rs in passes)


def first_from(sb, route: str) -> str:
    return min(q["from"] for q in requests_to(sb, route) if "next_page_token" not in q)


def assert_matches_truth(pl, sb, start: dt.datetime, log_from: str, history_from: str) -> None:
    """Every table holds exactly what the API serves now for the loaded range."""
    truth = sb.truth
    log_ids = {r["id"] for r in truth.call_logs(log_from, None)}
    assert {r[0] for r in rows(pl, "SELECT id FROM call_logs")} == log_ids
    legs = {(r["id"], r["call_log_id"]) for r in truth.call_log_legs() if r["call_log_id"] in log_ids}
    assert set(rows(pl, "SELECT id, call_log_id FROM call_log_legs")) == legs

    uuids = {r["call_history_uuid"] for r in truth.call_history(history_from, None)}
    assert {r[0] for r in rows(pl, "SELECT call_history_uuid FROM call_history")} == uuids
    elements = {(r["call_element_id"], r["call_history_uuid"]) for r in truth.call_elements()
                if r["call_history_uuid"] in uuids}
    assert set(rows(pl, "SELECT call_element_id, call_history_uuid FROM call_elements")) == elements

    licensed = [u["id"] for u in truth.users() if u.get("extension_number")]
    expected_logs = {(u, r["id"]) for u in licensed for r in truth.user_call_logs(u) if ts(r["date_time"]) >= start}
    assert set(rows(pl, "SELECT user_id, id FROM user_call_logs")) == expected_logs
    # the call-history sync: the user's legs, in both arrays, each leg once (a user rung twice in one
    # call has two rows)
    expected_legs = {(u, r["id"], r["call_path_id"]) for u in licensed for r in truth.user_call_history(u)
                     if ts(r["start_time"]) >= start}
    assert set(rows(pl, "SELECT user_id, id, call_path_id FROM user_call_legs")) == expected_legs
    expected_elements = {(u, r["call_element_id"], r["call_history_uuid"]) for u in licensed
                         for r in truth.user_call_elements(u) if ts(r["start_time"]) >= start}
    assert set(rows(pl, "SELECT user_id, call_element_id, call_history_uuid FROM user_call_elements")) == (
        expected_elements)
    assert duplicates(pl) == dict.fromkeys(TABLE_KEYS, 0)


def test_six_month_load_worked_example_and_next_nights(sandbox_env, warehouse, caplog):
    sb = sandbox_env
    pl = warehouse("zoom_phone")
    caplog.set_level(logging.WARNING)
    start = lookback_start(sb.clock.now())  # the source's default start_date

    # ---- night 1: six months, both families (the legacy one turned on, as for an archive)
    pl.run(source(sb, resources=ALL_RESOURCES))
    log_from, history_from = first_from(sb, LOGS), first_from(sb, HISTORY)
    loaded = counts(pl)
    assert loaded["call_logs"] == api_totals(sb, LOGS) == len(sb.truth.call_logs(log_from, None)) > 500
    assert loaded["call_history"] == api_totals(sb, HISTORY) == len(sb.truth.call_history(history_from, None))
    # every window read once per recording_status: the definition's default (`recorded`) alone misses calls
    passes = {}
    for q in requests_to(sb, HISTORY):
        if "next_page_token" not in q:
            passes.setdefault((q["from"], q["to"]), set()).add(q.get("recording_status"))
    assert set(map(frozenset, passes.values())) == {frozenset({"recorded", "non_recorded"})}
    assert rows(pl, "SELECT count(DISTINCT recording_status) FROM call_history") == [(2,)]
    assert loaded["users"] == len(sb.truth.users())
    assert_matches_truth(pl, sb, start, log_from, history_from)
    # windows of at most a month, inside the six-month look-back
    assert ts(log_from) >= lookback_start(sb.clock.now()) - dt.timedelta(minutes=30)
    assert len({q["from"] for q in requests_to(sb, LOGS)}) >= 6
    # legs are numbered 0..n-1 within each call log
    assert rows(pl, """SELECT count(*) FROM (SELECT call_log_id FROM call_log_legs GROUP BY 1
                       HAVING min(leg_index) <> 0 OR max(leg_index) <> count(*) - 1)""") == [(0,)]
    # user syncs: FSync then BSync back in time; users without phone licence are skipped by name
    assert {q["sync_type"] for q in requests_to(sb, LOG_SYNC)} == {"FSync", "BSync"}
    for user in sb.truth.users():
        if not user.get("extension_number"):
            assert user["id"] in caplog.text

    # ---- the worked example of "Understand Zoom Phone call logs", in SQL
    ex = sb.truth.marketing_hotline
    assert rows(pl, "SELECT call_id, owner_name, callee_name FROM call_logs WHERE id = ?", ex["call_log_id"]) == [
        (ex["call_id"], "Marketing Hotline", "Marketing Hotline")]
    legs = rows(pl, """SELECT leg_index, forward_to_name, result, call_id FROM call_log_legs
                       WHERE call_log_id = ? ORDER BY leg_index""", ex["call_log_id"])
    assert [leg[1:3] for leg in legs] == [("Marketing Queue", "Auto Recorded"),
                                          ("Ji Won Lee", "Answered by Other Member"),
                                          ("Rosario Ramirez", "Call connected")]
    assert {leg[3] for leg in legs} == {ex["call_id"]}
    elements = rows(pl, """SELECT e.callee_name, e.result FROM call_elements e
                           JOIN call_history h USING (call_history_uuid)
                           WHERE h.call_id = ? ORDER BY e.segment, e.node""", ex["call_id"])
    assert [e[0] for e in elements] == ["Marketing Hotline", "Marketing Queue", "Ji Won Lee", "Rosario Ramirez"]
    # the same story: same participants, Ji Won Lee rang first without answering, Rosario answered
    assert [leg[1] for leg in legs] == [e[0] for e in elements[1:]]
    assert elements[2][1] != "answered"
    assert [e[0] for e in elements if e[1] == "answered"] == [leg[1] for leg in legs if leg[2] == "Call connected"]

    # ---- column types an analyst relies on
    types = dict(rows(pl, """SELECT table_name || '.' || column_name, data_type FROM information_schema.columns
                             WHERE table_schema = 'zoom_phone'"""))
    assert types["call_logs.call_id"] == "VARCHAR"
    assert types["call_logs.charge"].startswith("DECIMAL")
    assert types["call_logs.date_time"] == "TIMESTAMP WITH TIME ZONE"
    assert types["call_logs.owner_extension_number"] == "VARCHAR"
    assert types["call_log_legs.forward_to_extension_number"] == "VARCHAR"
    assert types["call_history.start_time"] == "TIMESTAMP WITH TIME ZONE"
    assert types["call_elements.segment"] == "BIGINT"
    assert rows(pl, "SELECT count(*) FROM call_logs WHERE site_name <> trim(site_name)") == [(0,)]
    # undocumented enum values are kept as they come (the counts above show no row was dropped)
    assert rows(pl, "SELECT count(*) > 0 FROM call_history WHERE call_result = 'unconnected'") == [(True,)]
    assert rows(pl, "SELECT count(*) > 0 FROM call_elements WHERE result_reason = 'disconnect'") == [(True,)]
    assert rows(pl, "SELECT count(*) FROM call_logs WHERE source_provider = 'zoom_phone' "
                    "AND source_account = 'default'") == [(loaded["call_logs"],)]

    # ---- night 2, nothing new: only the trailing window is listed, no detail is fetched
    tokens = {name: dict(zoom_phone_state(pl)[name]["sync_tokens"]) for name in ("user_call_logs",
                                                                                  "user_call_history")}
    sb.reset_stats()
    pl.run(source(sb, resources=ALL_RESOURCES))
    assert counts(pl) == loaded
    assert sb.requests[LOGS] == 1 and sb.requests[HISTORY] == 2  # one per recording_status
    assert ts(requests_to(sb, LOGS)[0]["from"]) >= sb.clock.now() - dt.timedelta(days=3)
    assert sb.requests[LOG_DETAIL] == 0 and sb.requests[HISTORY_DETAIL] == 0
    for route, name in ((LOG_SYNC, "user_call_logs"), (HISTORY_SYNC, "user_call_history")):
        isyncs = requests_to(sb, route, 200)
        assert {q["sync_type"] for q in isyncs} == {"ISync"}
        assert {q["sync_token"] for q in isyncs} == set(tokens[name].values())

    # ---- night 3, a day later: exactly the new calls, their legs and the users' new rows
    sb.clock.advance(days=1)
    new_logs = {r["id"] for r in sb.truth.call_logs(log_from, None)} - {r[0] for r in rows(pl, "SELECT id FROM call_logs")}
    assert new_logs
    tokens = {name: dict(zoom_phone_state(pl)[name]["sync_tokens"]) for name in tokens}
    sb.reset_stats()
    pl.run(source(sb, resources=ALL_RESOURCES))
    assert_matches_truth(pl, sb, start, log_from, history_from)
    assert counts(pl)["call_logs"] == loaded["call_logs"] + len(new_logs)
    assert len(requests_to(sb, LOG_DETAIL, 200)) == len(new_logs)
    for route, name in ((LOG_SYNC, "user_call_logs"), (HISTORY_SYNC, "user_call_history")):
        assert {q["sync_type"] for q in requests_to(sb, route, 200)} == {"ISync"}
        assert set(tokens[name].values()) <= {q["sync_token"] for q in requests_to(sb, route, 200)}
