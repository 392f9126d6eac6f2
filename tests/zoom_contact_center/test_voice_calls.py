"""Contact Center voice calls against the sandbox (real HTTP) into DuckDB."""

from __future__ import annotations

import datetime as dt
from contextlib import closing
from decimal import Decimal

import pytest

from sandbox import Sandbox
from sources.common.shaping import parse_ts
from sources.common.windows import lookback_start, month_windows, zoom_range
from tests.zoom_contact_center.support import (
    CHILD_SELECT,
    CHILD_TABLES,
    ROUTE,
    TABLES,
    days_ago,
    expected_rows,
    load,
    loaded_counts,
    query,
    voice_call_requests,
    zoom_client,
)

DUCKDB_TYPES = {
    "voice_calls": {
        "engagement_id": "VARCHAR", "start_time": "TIMESTAMP WITH TIME ZONE",
        "end_time": "TIMESTAMP WITH TIME ZONE", "total_duration": "BIGINT", "recorded": "BOOLEAN",
        "monitored": "BOOLEAN", "inbox": "BOOLEAN", "charge": "DECIMAL(18,6)", "caller_number": "VARCHAR",
        "types": "VARCHAR", "source_provider": "VARCHAR", "source_account": "VARCHAR",
    },
    "voice_call_queues": {"engagement_id": "VARCHAR", "position": "BIGINT", "cc_queue_id": "VARCHAR"},
    "voice_call_agents": {"engagement_id": "VARCHAR", "position": "BIGINT", "user_id": "VARCHAR"},
    "voice_call_flows": {"engagement_id": "VARCHAR", "position": "BIGINT", "flow_id": "VARCHAR"},
    "voice_call_attributes": {"engagement_id": "VARCHAR", "position": "BIGINT", "attribute": "VARCHAR",
                              "value": "VARCHAR"},
    "voice_call_rates": {"engagement_id": "VARCHAR", "position": "BIGINT", "rate": "DECIMAL(18,6)"},
}


def test_first_load_equals_api_totals_and_truth_then_rerun_reads_only_the_lag(sandbox, client, warehouse):
    sb = sandbox
    now = sb.clock.now()
    pipeline = load(warehouse, sb, client)  # default start: the six-month look-back

    start = lookback_start(now)
    truth = sb.truth.voice_calls(start, now)
    api_total = sum(
        client.get("/contact_center/voice_calls", [*zoom_range(*w).items(), ("page_size", 1)],
                   label="heavy")["total_records"]
        for w in month_windows(start, now)
    )
    ids = [r[0] for r in query(warehouse, "SELECT engagement_id FROM voice_calls")]
    assert len(truth) > 1000
    assert len(ids) == len(set(ids)) == api_total == len(truth)
    assert set(ids) == {e["engagement_id"] for e in truth}

    expected = expected_rows(truth)
    for table in CHILD_TABLES:
        rows = query(warehouse, CHILD_SELECT[table])
        assert len(rows) == len(expected[table]), table
        assert set(rows) == expected[table], table
        orphans = query(warehouse, f"SELECT count(*) FROM {table} c WHERE NOT EXISTS "
                                   "(SELECT 1 FROM voice_calls v WHERE v.engagement_id = c.engagement_id)")
        assert orphans == [(0,)], table
        assert query(warehouse, f"SELECT count(*) FROM {table} WHERE _tombstone IS NOT NULL") == [(0,)]
    for table in TABLES:
        assert query(warehouse, f"SELECT DISTINCT source_provider, source_account FROM {table}") == [
            ("zoom_contact_center", "default")
        ]
        types = {name: kind for name, kind, *_ in query(warehouse, f"DESCRIBE {table}")}
        assert {c: types.get(c) for c in DUCKDB_TYPES[table]} == DUCKDB_TYPES[table], table

    # values as the API gave them, typed
    sample = next(e for e in truth if len(e["agents"]) == 2)  # a transfer
    row = query(warehouse, "SELECT start_time, end_time, total_duration, charge, recorded, monitored, inbox, "
                           f"types FROM voice_calls WHERE engagement_id = '{sample['engagement_id']}'")
    assert row == [(parse_ts(sample["start_time"]), parse_ts(sample["end_time"]), sample["total_duration"],
                    Decimal(sample["charge"].strip("$ ")), sample["recorded"], sample["monitored"],
                    sample["inbox"], ",".join(sample["types"]))]
    # an exact filter on a list element works through the long table
    conference = query(warehouse, "SELECT count(*) FROM voice_calls WHERE engagement_id IN (SELECT engagement_id "
                                  "FROM voice_call_attributes WHERE attribute = 'types' "
                                  "AND value = 'external_conference_call')")
    assert conference == [(sum("external_conference_call" in e["types"] for e in truth),)]

    # rerun: nothing new, one request for the trailing window only
    last = query(warehouse, "SELECT max(start_time) FROM voice_calls")[0][0]
    counts = {t: query(warehouse, f"SELECT count(*) FROM {t}") for t in TABLES}
    sb.reset_stats()
    pipeline = load(warehouse, sb, client)
    requests = voice_call_requests(sb)
    assert len(requests) == 1  # 2 days x 8 engagements: one page
    assert parse_ts(requests[0]["from"]) == last.replace(microsecond=0) - dt.timedelta(days=2)
    assert not loaded_counts(pipeline).get("voice_calls")
    assert {t: query(warehouse, f"SELECT count(*) FROM {t}") for t in TABLES} == counts


def _wait_for_in_progress(sb) -> dict:
    """Advance the sandbox until an engagement is listed while still unfinished."""
    for _ in range(72):
        now = sb.clock.now()
        pending = [e for e in sb.truth.voice_calls(now - dt.timedelta(days=1), now) if e["result"] == "in_progress"]
        if pending:
            return pending[0]
        sb.clock.advance(hours=1)
    pytest.fail("the sandbox listed no unfinished engagement in three days")


def test_late_completion_updates_the_engagement_and_loads_only_changes(sandbox_config, warehouse):
    with Sandbox(sandbox_config.replace(cc_calls_per_day=60, days=6)) as sb, closing(zoom_client(sb)) as client:
        start = days_ago(sb, 3)
        late = _wait_for_in_progress(sb)
        eid = late["engagement_id"]
        load(warehouse, sb, client, start_date=start.isoformat())
        select = f"SELECT result, end_time, total_duration FROM voice_calls WHERE engagement_id = '{eid}'"
        assert query(warehouse, select) == [("in_progress", None, 0)]
        before = {e["engagement_id"]: e for e in sb.truth.voice_calls(start, sb.clock.now())}

        final = late
        while final["result"] == "in_progress":
            sb.clock.advance(hours=1)
            final = sb.truth.voice_calls(start, sb.clock.now(), engagement_id=eid)[0]
        after = {e["engagement_id"]: e for e in sb.truth.voice_calls(start, sb.clock.now())}
        changed = [k for k, e in after.items() if before.get(k) != e]
        assert eid in changed

        pipeline = load(warehouse, sb, client, start_date=start.isoformat())
        assert query(warehouse, select) == [(final["result"], parse_ts(final["end_time"]), final["total_duration"])]
        ids = [r[0] for r in query(warehouse, "SELECT engagement_id FROM voice_calls")]
        assert len(ids) == len(set(ids)) == len(after)
        assert loaded_counts(pipeline)["voice_calls"] == len(changed)  # unchanged re-reads are skipped
        expected = expected_rows(list(after.values()))
        for table in CHILD_TABLES:
            rows = expected[table]
            assert set(query(warehouse, CHILD_SELECT[table])) == rows, table
            assert query(warehouse, f"SELECT count(*) FROM {table}") == [(len(rows),)], table


def test_45_user_ids_make_three_requests_per_window_and_load_the_union_once(sandbox_config, warehouse):
    with Sandbox(sandbox_config.replace(users=50, days=12)) as sb, closing(zoom_client(sb)) as client:
        start = days_ago(sb, 10)
        every = sb.truth.voice_calls(start, sb.clock.now())
        agents = sorted({a["user_id"] for e in every for a in e["agents"]})
        # Phone users without a licence are unknown to the API (404 code 1001)
        others = [u["id"] for u in sb.truth.users() if "phone_user_id" in u and u["id"] not in agents]
        assert len(agents) >= 4 and len(others) >= 45 - len(agents)
        half = len(agents) // 2
        # agents in the first two chunks of 20, so a transfer between them is listed twice
        chunks = [agents[:half] + others[: 20 - half], agents[half:] + others[20 - half: 40 - len(agents)]]
        ids = chunks[0] + chunks[1] + others[40 - len(agents): 45 - len(agents)]
        assert len(set(ids)) == 45
        in_both = [e for e in every if {a["user_id"] for a in e["agents"]} & set(agents[:half])
                   and {a["user_id"] for a in e["agents"]} & set(agents[half:])]
        assert in_both, "the world needs a transfer across the two chunks"

        # a closed range (backfill): no change memory that would hide a repeat, so the
        # source's own de-duplication across chunks is what keeps the union once
        end = sb.clock.now()
        pipeline = load(warehouse, sb, client, start_date=start.isoformat(), end_date=end.isoformat(),
                        user_ids=ids)

        requests = voice_call_requests(sb)
        assert len(requests) == 3  # one window, three chunks, one page each
        sent = [r["user_ids"].split(",") for r in requests]
        assert all(len(chunk) <= 20 for chunk in sent) and sorted(sum(sent, [])) == sorted(ids)
        truth = sb.truth.voice_calls(start, end, user_ids=ids)
        loaded = [r[0] for r in query(warehouse, "SELECT engagement_id FROM voice_calls")]
        assert sorted(loaded) == sorted(e["engagement_id"] for e in truth)
        assert loaded_counts(pipeline)["voice_calls"] == len(truth)  # extracted once despite the overlap


def test_45_queue_ids_make_three_requests_per_window_and_load_the_union_once(sandbox_config, warehouse):
    with Sandbox(sandbox_config.replace(cc_queues=45, cc_calls_per_day=30, days=5)) as sb, \
            closing(zoom_client(sb)) as client:
        start, end = days_ago(sb, 3), sb.clock.now()
        ids = sorted(queue_id for queue_id, _ in sb.cc.queues)
        assert len(ids) == 45
        truth = sb.truth.voice_calls(start, end, queue_ids=ids)
        assert 0 < len(truth) < len(sb.truth.voice_calls(start, end))  # the filter matters

        pipeline = load(warehouse, sb, client, start_date=start.isoformat(), end_date=end.isoformat(),
                        queue_ids=ids)

        sent = [r["cc_queue_ids"].split(",") for r in voice_call_requests(sb)]
        assert not any("queue_ids" in r for r in voice_call_requests(sb))  # the deprecated name is not sent
        assert len(sent) == 3  # one window, three chunks of at most 20 ids, one page each
        assert all(len(chunk) <= 20 for chunk in sent) and sorted(sum(sent, [])) == ids
        loaded = [r[0] for r in query(warehouse, "SELECT engagement_id FROM voice_calls")]
        assert sorted(loaded) == sorted(e["engagement_id"] for e in truth)
        assert loaded_counts(pipeline)["voice_calls"] == len(truth)  # each engagement extracted once


def test_filters_from_configuration(sandbox_env, warehouse, monkeypatch):
    sb = sandbox_env
    start = days_ago(sb, 10)
    every = sb.truth.voice_calls(start, sb.clock.now())
    queues = sorted({q["cc_queue_id"] for e in every for q in e["queues"]})[:2]
    monkeypatch.setenv("SOURCES__ZOOM_CONTACT_CENTER__QUEUE_IDS", ",".join(queues))
    monkeypatch.setenv("SOURCES__ZOOM_CONTACT_CENTER__DIRECTION", "inbound")
    monkeypatch.setenv("SOURCES__ZOOM_CONTACT_CENTER__TYPES", '["external_call", "external_conference_call"]')
    monkeypatch.setenv("SOURCES__ZOOM_CONTACT_CENTER__START_DATE", start.isoformat())
    monkeypatch.setenv("SOURCES__ZOOM_CONTACT_CENTER__ACCOUNT_NAME", "eu-centre")

    load(warehouse, sb)  # client and filters from the environment, as a user configures them

    truth = sb.truth.voice_calls(start, sb.clock.now(), queue_ids=queues, direction="inbound",
                                 types=["external_call", "external_conference_call"])
    assert 0 < len(truth) < len(every)
    loaded = query(warehouse, "SELECT engagement_id, source_account FROM voice_calls")
    assert sorted(loaded) == sorted((e["engagement_id"], "eu-centre") for e in truth)
    (params,) = voice_call_requests(sb)
    assert params["cc_queue_ids"] == ",".join(queues)  # the deprecated `queue_ids` key still works
    assert params["direction"] == "inbound"
    assert params["types"] == ["external_call", "external_conference_call"]


def test_small_pages_full_last_page_and_expired_token(sandbox, client, warehouse):
    sb = sandbox
    start = days_ago(sb, 10)
    truth = sb.truth.voice_calls(start, sb.clock.now())
    # an exactly full last page is followed by an empty one (the sandbox's quirk)
    page_size = next(n for n in range(8, 40) if len(truth) % n == 0)
    pages = len(truth) // page_size
    assert pages >= 5
    sb.inject_fault(ROUTE, "expired_page_token", after=3)  # the token of page 5 has expired

    pipeline = load(warehouse, sb, client, start_date=start.isoformat(), page_size=page_size)

    loaded = [r[0] for r in query(warehouse, "SELECT engagement_id FROM voice_calls")]
    assert sorted(loaded) == sorted(e["engagement_id"] for e in truth)
    assert loaded_counts(pipeline)["voice_calls"] == len(truth)
    # 4 pages, the expired token, the window again from page 1; total_records reached on the
    # full last page, so its token (leading to an empty page) is not followed
    assert sb.requests[ROUTE] == 4 + 1 + pages


def test_backfill_range_loads_only_that_range_and_leaves_the_cursor(sandbox, client, warehouse):
    sb = sandbox
    load(warehouse, sb, client, start_date=days_ago(sb, 5).isoformat())
    begin, end = days_ago(sb, 40), days_ago(sb, 30)
    pipeline = load(warehouse, sb, client, start_date=begin.isoformat(), end_date=end.isoformat())
    truth = sb.truth.voice_calls(begin, end)
    assert loaded_counts(pipeline)["voice_calls"] == len(truth) > 0
    window = query(warehouse, f"SELECT count(*) FROM voice_calls WHERE start_time >= '{begin.isoformat()}' "
                              f"AND start_time < '{end.isoformat()}'")
    assert window == [(len(truth),)]
    sb.reset_stats()
    load(warehouse, sb, client, start_date=days_ago(sb, 5).isoformat())
    (params,) = voice_call_requests(sb)
    assert parse_ts(params["from"]) > sb.clock.now() - dt.timedelta(days=3)  # nightly cursor untouched
