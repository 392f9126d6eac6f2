"""The analyst views on the vendors' documented payloads (tests/analytics/documented.py), loaded by the
real zoom_phone source over HTTP into DuckDB and Postgres: the documented answers come out."""

from __future__ import annotations

import pytest

from tests.analytics import documented as doc
from tests.analytics.support import WORKED_EXAMPLE_QUERY, doc_queries, run

DOCUMENTED_ANSWER = [("call_queue", "Marketing Queue", "forwarded"), ("user", "Ji Won Lee", "missed"),
                     ("user", "Rosario Ramirez", "answered")]
PG = pytest.mark.postgres


@pytest.fixture(params=[("duckdb", "both"), ("duckdb", "legacy"), pytest.param(("postgres", "both"), marks=PG),
                        pytest.param(("postgres", "legacy"), marks=PG)], ids=lambda p: "-".join(p))
def loaded(request, documented_warehouses):
    """(warehouse, families): the documented calls from both Zoom Phone families, or the legacy one alone."""
    return documented_warehouses(*request.param), request.param[1]


def one(wh, sql: str) -> dict:
    rows = wh.query_dicts(sql.replace("analytics.", f"{wh.analytics_dataset}.")
                          .replace("zoom_phone.", f"{wh.dataset('zoom_phone')}."))
    assert len(rows) == 1, rows
    return rows[0]


def test_who_rang_first_who_answered_through_which_queue(loaded):
    wh, families = loaded
    rows = run(wh, doc_queries()[WORKED_EXAMPLE_QUERY])
    assert [(r[1], r[2], r[3]) for r in rows] == DOCUMENTED_ANSWER
    table = "call_elements" if families == "both" else "call_log_legs"
    assert run(wh, f"SELECT DISTINCT source_table FROM analytics.call_legs WHERE call_id = '{doc.CALL_ID}'") == [
        (table,)]


def test_a_call_is_recorded_when_only_a_leg_was(loaded):
    wh, families = loaded
    # the guide's call: the recording is on the Marketing Queue leg, not on the call log
    assert one(wh, f"SELECT recorded FROM analytics.calls WHERE call_id = '{doc.CALL_ID}'") == {"recorded": True}
    if families == "both":
        # the call-history row says non_recorded; one of its call elements was recorded ad hoc
        raw = one(wh, "SELECT recording_status FROM zoom_phone.call_history "
                      f"WHERE call_id = '{doc.LEG_RECORDED_ID}'")
        assert raw == {"recording_status": "non_recorded"}
        assert one(wh, f"SELECT recorded FROM analytics.calls WHERE call_id = '{doc.LEG_RECORDED_ID}'") == {
            "recorded": True}


def test_impossible_durations_are_nulled_and_flagged(loaded):
    wh, _ = loaded
    # the published call-log example ends 690 s before it starts and is answered 4 days after its end
    raw = one(wh, "SELECT EXTRACT(EPOCH FROM (call_end_time - date_time)) AS span, "
                  "EXTRACT(EPOCH FROM (call_end_time - answer_start_time)) AS talk "
                  f"FROM zoom_phone.call_logs WHERE call_id = '{doc.PUBLISHED_CALL_ID}'")
    assert (int(raw["span"]), int(raw["talk"])) == (-690, -344884)  # the raw table keeps what was sent
    call = one(wh, "SELECT duration_s, talk_s, quality_flags, started_at, ended_at FROM analytics.calls "
                   f"WHERE call_id = '{doc.PUBLISHED_CALL_ID}'")
    assert (call["duration_s"], call["talk_s"], call["quality_flags"]) == (
        None, None, "end_before_start,end_before_answer")
    assert call["ended_at"] < call["started_at"]  # the view keeps the times as sent
    # no negative value anywhere, and the daily totals add the clean values only
    assert run(wh, "SELECT count(*) FROM analytics.calls WHERE duration_s < 0 OR talk_s < 0") == [(0,)]
    assert run(wh, "SELECT count(*) FROM analytics.call_legs WHERE ring_s < 0 OR talk_s < 0 OR hold_s < 0 "
                   "OR wait_s < 0") == [(0,)]
    daily = run(wh, "SELECT SUM(total_duration_s), SUM(total_talk_s), SUM(quality_flagged) FROM analytics.calls_daily")
    direct = run(wh, "SELECT SUM(duration_s), SUM(talk_s), "
                     "SUM(CASE WHEN quality_flags IS NULL THEN 0 ELSE 1 END) FROM analytics.calls")
    assert [int(v or 0) for v in daily[0]] == [int(v or 0) for v in direct[0]]
    assert all(int(v or 0) >= 0 for v in daily[0]) and int(daily[0][2]) >= 1
    assert run(wh, "SELECT count(*) FROM analytics.calls_daily WHERE total_duration_s < 0 OR total_talk_s < 0") == [
        (0,)]


def test_guide_queue_leg_answered_before_it_started_has_no_ring_time(loaded):
    wh, families = loaded
    leg = one(wh, "SELECT ring_s, quality_flags FROM analytics.call_legs "
                  f"WHERE call_id = '{doc.CALL_ID}' AND target_name = 'Marketing Queue'")
    if families == "legacy":  # the guide's leg: answer_start_time 23:11:44, date_time 23:11:56
        assert leg == {"ring_s": None, "quality_flags": "answer_before_start"}
    else:
        assert leg == {"ring_s": 0, "quality_flags": None}


@pytest.mark.parametrize("destination", ["duckdb", pytest.param("postgres", marks=PG)])
def test_leg_times_come_from_the_fields_the_definition_has(destination, documented_warehouses):
    wh = documented_warehouses(destination, "both")
    if "duration" in wh.columns(wh.dataset("zoom_phone"), "call_elements"):  # declared by older sources
        assert run(wh, "SELECT count(duration) FROM zoom_phone.call_elements") == [(0,)]  # never sent
    legs = {r[0]: r[1:] for r in run(wh, "SELECT target_name, ring_s, wait_s, hold_s, talk_s "
                                         f"FROM analytics.call_legs WHERE call_id = '{doc.CALL_ID}'")}
    # talk = end_time - answer_time - hold_time; a leg not answered has none; ring to the answer or the end
    assert legs == {
        "Marketing Hotline": (0, 0, 0, 12),
        "Marketing Queue": (0, 0, 0, 27),
        "Ji Won Lee": (11, 0, 0, None),
        "Rosario Ramirez": (2, 15, 0, 12),
    }
    assert run(wh, "SELECT hold_s, talk_s FROM analytics.call_legs "
                   f"WHERE call_id = '{doc.LEG_RECORDED_ID}'") == [(30, 150)]
    # the published element: 20 s on hold within 11 s connected
    assert run(wh, "SELECT hold_s, talk_s, quality_flags FROM analytics.call_legs "
                   f"WHERE call_id = '{doc.PUBLISHED_HISTORY_CALL_ID}'") == [(20, None, "negative_talk")]
