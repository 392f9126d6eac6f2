"""Zoho Voice call_logs against the sandbox (real HTTP) into DuckDB."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

import pytest
from dlt.pipeline.exceptions import PipelineStepFailed

from sources.common.config import build_zoho_client
from sources.common.errors import ApiError, ConfigError, QuotaExhausted
from sources.common.windows import to_utc
from sources.zoho_voice import settings, zoho_voice
from sources.zoho_voice.helpers import iter_window_logs
from tests.zoho_voice.support import START_DATE, loaded_ids, query, run_zoho, truth_ids

LOGS = "GET /rest/json/zv/logs"
UTC = dt.UTC


def logs_requests(sb):
    return [entry for entry in sb.request_log if entry[2] == LOGS]


def first_from(sb) -> dt.datetime:
    """The earliest fromDate the run sent (epoch ms or a date)."""
    sent = [q["fromDate"] for *_, q, _ in logs_requests(sb)]
    return min(dt.datetime.fromtimestamp(int(v) / 1000, UTC) if v.isdigit() else to_utc(v) for v in sent)


def seconds(text: str) -> int:
    total = 0
    for part in text.split(":"):
        total = total * 60 + int(part)
    return total


def test_load_matches_api_total_types_and_doc_rows(sandbox_env, warehouse):
    sb = sandbox_env
    _, end = run_zoho(sb, warehouse, account_name="acme")

    ids = loaded_ids(warehouse)
    assert len(ids) == len(set(ids)), "duplicate logid"
    assert set(ids) == truth_ids(sb, START_DATE, end)
    # the API's own count for the same range
    with build_zoho_client(clock=sb.clock) as client:
        body = client.get(settings.LOGS_PATH, {"fromDate": "2025-12-01", "toDate": str(int(end.timestamp() * 1000)),
                                               "size": 1}, label="default")
    assert body["meta"]["total"] == len(ids)

    row = query(warehouse, """
        select duration, duration_s, start_time, answer_time, end_time, bridged_agent_agent,
               bridged_agent_time, voice_credits_free_minutes, service, number_id, zsoid,
               source_provider, source_account, call_type
        from zoho_voice.call_logs where logid = 'c3d87e71-70bc-4ebd-a1d1-b625b2d0848f'""")[0]
    assert row[0:2] == ("00:54", 54)
    assert row[2] == dt.datetime(2025, 12, 4, 6, 54, 58, tzinfo=UTC)
    assert row[3] == dt.datetime(2025, 12, 4, 6, 54, 59, tzinfo=UTC)
    assert row[4] == dt.datetime(2025, 12, 4, 6, 55, 53, tzinfo=UTC)
    assert row[5:8] == ("John", dt.datetime(2025, 12, 4, 6, 55, 2, tzinfo=UTC), 1.0)
    assert row[8:] == ("58399000000003016", "198000002125031", "862937118", "zoho_voice", "acme", "incoming")
    assert query(warehouse, "select duration_s from zoho_voice.call_logs "
                            "where logid = 'ce723535-bdf2-4fd3-b9bd-870e9d12988c'") == [(16,)]

    # every duration (mm:ss and h:mm:ss) as seconds, no row without its start_time
    durations = query(warehouse, "select duration, duration_s, start_time from zoho_voice.call_logs")
    assert all(s == seconds(d) and t is not None for d, s, t in durations)
    assert any(d.count(":") == 2 for d, _, _ in durations), "the world should hold calls over an hour"
    types = dict(query(warehouse, "select column_name, data_type from information_schema.columns "
                                  "where table_schema = 'zoho_voice' and table_name = 'call_logs'"))
    assert types["start_time"] == types["bridged_agent_time"] == "TIMESTAMP WITH TIME ZONE"
    assert types["duration_s"] == "BIGINT"
    assert {types[c] for c in ("logid", "service", "number_id", "zsoid", "duration")} == {"VARCHAR"}


def test_rerun_reloads_nothing_and_next_day_adds_only_new_calls(sandbox_env, warehouse):
    sb = sandbox_env
    start = "2026-11-01"
    run_zoho(sb, warehouse, start_date=start)
    first = len(loaded_ids(warehouse))

    loaded, _ = run_zoho(sb, warehouse, start_date=start)
    assert len(loaded_ids(warehouse)) == first
    assert loaded == 0, "the lag re-read rows that did not change: they are not loaded again"

    sb.clock.advance(days=1)
    sb.reset_stats()
    loaded, end = run_zoho(sb, warehouse, start_date=start)
    ids = loaded_ids(warehouse)
    assert len(ids) == len(set(ids))
    assert set(ids) == truth_ids(sb, start, end)  # incl. late arrivals inside the lag
    assert loaded == len(ids) - first, "only the new calls were loaded"
    # it read from the cursor minus the lag (and the day before, see request_range), not from start_date
    assert first_from(sb) > dt.datetime(2026, 11, 15, tzinfo=UTC)


def test_calls_added_while_paging_are_neither_lost_nor_duplicated(zoho_sandbox, warehouse):
    sb = zoho_sandbox(zoho_rows_added_per_page=3)
    start = "2026-11-12"
    _, end = run_zoho(sb, warehouse, start_date=start, page_size=20)
    ids = loaded_ids(warehouse)
    assert len(ids) == len(set(ids)) > 100
    assert set(ids) == truth_ids(sb, start, end)
    added_so_far = len(sb.truth.zoho_logs(end, None))
    assert added_so_far >= 3 * 5, "the sandbox added calls during paging"

    sb.clock.advance(hours=1)
    _, end = run_zoho(sb, warehouse, start_date=start, page_size=20)
    ids = loaded_ids(warehouse)
    assert len(ids) == len(set(ids))
    assert set(ids) == truth_ids(sb, start, end)  # the calls added during run 1 are in now


def test_window_reread_when_total_grows_during_paging(zoho_sandbox):
    """A window still receiving calls (ends in the future): total grows, the window is re-read."""
    sb = zoho_sandbox(zoho_rows_added_per_page=2)
    now = sb.clock.now()
    window = (now - dt.timedelta(days=2), now + dt.timedelta(days=1))
    before = truth_ids(sb, *window)
    with build_zoho_client(clock=sb.clock) as client:
        pages = list(iter_window_logs(client, window, seen=set(), page_size=10))
    got = [r["logid"] for page in pages for r in page]
    assert len(got) == len(set(got)), "duplicate logid"
    assert before <= set(got) <= truth_ids(sb, *window)
    assert len(got) > len(before), "calls added during the first read were picked up by a re-read"
    starts = [q["from"] for _, _, _, q, _ in logs_requests(sb)]
    assert starts.count("0") == settings.MAX_WINDOW_READS


def test_two_hundred_pages_stay_within_thirty_per_minute(zoho_sandbox, warehouse):
    sb = zoho_sandbox(zoho_calls_per_day=200)
    _, end = run_zoho(sb, warehouse, start_date="2026-11-10", page_size=10)
    ids = loaded_ids(warehouse)
    assert len(ids) == len(set(ids)) == len(truth_ids(sb, "2026-11-10", end)) > 1900

    log = logs_requests(sb)
    assert len(log) >= 200
    assert all(status == 200 for *_, status in log[:-1]), "no lock-out, no 429"
    times = [entry[0] for entry in log]
    busiest = max(sum(1 for u in times[i:] if u - t < dt.timedelta(seconds=60)) for i, t in enumerate(times))
    assert busiest <= 30
    assert times[-1] - times[0] >= dt.timedelta(minutes=6)  # 200 requests need more than 6 minutes


def test_lockout_stops_cleanly_and_next_run_resumes(sandbox_env, warehouse):
    sb = sandbox_env
    sb.inject_fault(LOGS, "zoho_lockout", after=8)
    with pytest.raises(PipelineStepFailed) as failed:
        run_zoho(sb, warehouse)
    error = failed.value
    while error is not None and not isinstance(error, QuotaExhausted):
        error = error.__cause__ or error.__context__
    assert isinstance(error, QuotaExhausted), failed.value
    assert error.retry_at is not None and error.retry_at > sb.clock.now()
    assert error.retry_at.isoformat() in str(error)
    assert query(warehouse, "select count(*) from information_schema.tables "
                            "where table_schema = 'zoho_voice' and table_name = 'call_logs'") in ([(0,)], [])

    sb.clock.advance(seconds=(error.retry_at - sb.clock.now()).total_seconds() + 1)
    _, end = run_zoho(sb, warehouse)
    ids = loaded_ids(warehouse)
    assert len(ids) == len(set(ids))
    assert set(ids) == truth_ids(sb, START_DATE, end)
    assert Counter(status for *_, status in logs_requests(sb))[429] == 1


def test_zoho_error_body_names_code_and_message(zoho_sandbox, warehouse):
    sb = zoho_sandbox()
    now = sb.clock.now()
    with build_zoho_client(clock=sb.clock) as client, pytest.raises(ApiError) as raised:
        list(iter_window_logs(client, (now - dt.timedelta(days=1), now), seen=set(), params=[("bogus", "1")]))
    assert "ZVT010" in str(raised.value) and "Extra parameter found." in str(raised.value)

    with pytest.raises(PipelineStepFailed) as failed:
        run_zoho(sb, warehouse, start_date="2026-11-19", call_type="voicemail")
    assert "ZVT011" in str(failed.value) and "callType" in str(failed.value)


@pytest.mark.parametrize("as_json", [False, True])  # True: as an env var hands over a TOML list
def test_filters_send_only_what_is_set(zoho_sandbox, warehouse, as_json):
    sb = zoho_sandbox(zoho_calls_per_day=60)
    numbers = ["198000002125031", "198000002125044"]
    _, end = run_zoho(sb, warehouse, start_date="2026-11-14", call_type="incoming",
                      number_ids=json.dumps(numbers) if as_json else numbers, is_recording=True)
    expected = {r["logid"] for r in sb.truth.zoho_logs("2026-11-14", end)
                if r["call_type"] == "incoming" and r["number_id"] in numbers
                and r["call_recording_transcription_status"] == "completed"}
    assert expected and set(loaded_ids(warehouse)) == expected
    sent = {name for *_, q, _ in logs_requests(sb) for name in q}
    assert sent == {"from", "size", "fromDate", "toDate", "callType", "numberIds", "isRecording"}


@pytest.mark.parametrize("kwargs, key", [
    ({"start_date": "last tuesday"}, "start_date"),
    ({"start_date": "2026-11-10", "end_date": "2026-11-01"}, "end_date"),
    ({"page_size": 500}, "page_size"),
    ({"resources": ["calls"]}, "resources"),
    ({"resources": '["call_logs"'}, "resources"),
    ({"start_date": "2026-11-10", "number_ids": '["198", 199'}, "number_ids"),
    ({"date_format": "dd/mm/yyyy"}, "date_format"),
])
def test_bad_arguments_say_what_to_type(kwargs, key):
    with pytest.raises(ConfigError, match=f"sources.zoho_voice.{key}"):
        zoho_voice(client=object(), clock=object(), **kwargs)


def test_text_date_format_loads_the_same_calls(zoho_sandbox, warehouse):
    sb = zoho_sandbox()
    _, end = run_zoho(sb, warehouse, start_date="2026-11-15T00:00:00.500Z", date_format="%Y-%m-%dT%H:%M:%SZ")
    assert set(loaded_ids(warehouse)) == truth_ids(sb, "2026-11-15T00:00:00.500Z", end)
    assert {q["fromDate"] for *_, q, _ in logs_requests(sb)} == {"2026-11-15T00:00:00Z"}


def test_backfill_loads_its_range_and_leaves_the_nightly_cursor(zoho_sandbox, warehouse):
    sb = zoho_sandbox()
    run_zoho(sb, warehouse, start_date="2026-11-12", end_date="2026-11-14")
    days = query(warehouse, "select distinct cast(start_time as date) from zoho_voice.call_logs order by 1")
    assert [d for (d,) in days] == [dt.date(2026, 11, 12), dt.date(2026, 11, 13)]
    assert set(loaded_ids(warehouse)) == truth_ids(sb, "2026-11-12", "2026-11-14")

    sb.reset_stats()
    _, end = run_zoho(sb, warehouse, start_date="2026-11-12")  # nightly: starts at start_date
    assert first_from(sb) == dt.datetime(2026, 11, 11, tzinfo=UTC)  # the day before: a date may be read in the org's zone
    assert set(loaded_ids(warehouse)) == truth_ids(sb, "2026-11-12", end)
