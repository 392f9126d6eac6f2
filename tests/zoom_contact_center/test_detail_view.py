"""The detail view (view_type = "detail": the account-scoped endpoint's call legs), the current
queue id names, rates as money, and undocumented values that keep loading."""

from __future__ import annotations

from decimal import Decimal

import dlt
import pytest

from sandbox import Sandbox
from sources.common.errors import ConfigError
from sources.zoom_contact_center import zoom_contact_center
from sources.zoom_contact_center.helpers import page_tables, with_child_table_hints
from tests.zoom_contact_center.support import (
    CHILD_SELECT,
    CHILD_TABLES,
    DETAIL_TABLES,
    days_ago,
    expected_rows,
    load,
    loaded_counts,
    query,
    zoom_client,
)

ACCOUNT_ROUTE = "GET /accounts/{accountId}/contact_center/voice_calls"


def test_detail_view_loads_every_leg_and_its_agents(sandbox_env, warehouse, monkeypatch):
    sb = sandbox_env
    start = days_ago(sb, 20)
    monkeypatch.setenv("SOURCES__ZOOM_CONTACT_CENTER__VIEW_TYPE", "detail")  # as a user turns it on
    pipeline = load(warehouse, sb, start_date=start.isoformat())

    now = sb.clock.now()
    truth = sb.truth.voice_calls(start, now, view_type="detail")
    assert sb.requests[ACCOUNT_ROUTE] >= 1 and sb.requests["GET /contact_center/voice_calls"] == 0
    sent = [q for _, _, route, q, _ in sb.request_log if route == ACCOUNT_ROUTE]
    assert all(q["view_type"] == "detail" for q in sent)
    ids = [r[0] for r in query(warehouse, "SELECT engagement_id FROM voice_calls")]
    assert sorted(ids) == sorted(e["engagement_id"] for e in truth)
    expected = expected_rows(truth)
    for table in CHILD_TABLES + DETAIL_TABLES:
        assert set(query(warehouse, CHILD_SELECT[table])) == expected[table], table
        assert query(warehouse, f"SELECT count(*) FROM {table}") == [(len(expected[table]),)], table
    legs = len(expected["voice_call_legs"])
    assert legs > len(truth)  # transfers have two legs
    assert loaded_counts(pipeline)["voice_call_legs"] == legs
    # legs carry their own times, typed; queue and flow as plain columns; money as decimals
    types = {name: kind for name, kind, *_ in query(warehouse, "DESCRIBE voice_call_legs")}
    assert {c: types[c] for c in ("start_time", "total_duration", "rate", "charge", "cc_queue_id", "flow_id",
                                  "recorded")} == {
        "start_time": "TIMESTAMP WITH TIME ZONE", "total_duration": "BIGINT", "rate": "DECIMAL(18,6)",
        "charge": "DECIMAL(18,6)", "cc_queue_id": "VARCHAR", "flow_id": "VARCHAR", "recorded": "BOOLEAN"}
    transfer = next(e for e in truth if len(e["voice_call_details"]) == 2)
    assert query(warehouse, "SELECT value FROM voice_call_attributes WHERE attribute = 'sub_types' "
                            f"AND engagement_id = '{transfer['engagement_id']}'") == [(transfer["sub_types"][0],)]
    assert query(warehouse, "SELECT sum(l.charge) = max(v.charge) FROM voice_call_legs l JOIN voice_calls v "
                            f"USING (engagement_id) WHERE engagement_id = '{transfer['engagement_id']}'") == [(True,)]

    # a rerun: nothing changed, nothing loaded
    pipeline = load(warehouse, sb, start_date=start.isoformat())
    assert not loaded_counts(pipeline).get("voice_call_legs")
    assert query(warehouse, "SELECT count(*) FROM voice_call_legs") == [(legs,)]


def test_late_engagement_gets_its_legs_when_it_completes(sandbox_config, warehouse):
    with Sandbox(sandbox_config.replace(cc_calls_per_day=60, days=6)) as sb, zoom_client(sb) as client:
        start = days_ago(sb, 3)
        late = None
        for _ in range(72):  # until an engagement is listed while still unfinished
            late = next((e for e in sb.truth.voice_calls(days_ago(sb, 1), sb.clock.now())
                         if e["result"] == "in_progress"), None)
            if late:
                break
            sb.clock.advance(hours=1)
        assert late, "the sandbox listed no unfinished engagement in three days"
        eid = late["engagement_id"]
        kwargs = dict(start_date=start.isoformat(), view_type="detail", detail_account_id=sb.config.zoom_account_id)
        load(warehouse, sb, client, **kwargs)
        legs = f"SELECT count(*) FROM voice_call_legs WHERE engagement_id = '{eid}'"
        assert query(warehouse, legs) == [(0,)]  # no legs while unfinished
        while sb.truth.voice_calls(start, sb.clock.now(), engagement_id=eid)[0]["result"] == "in_progress":
            sb.clock.advance(hours=1)
        load(warehouse, sb, client, **kwargs)
        (final,) = sb.truth.voice_calls(start, sb.clock.now(), view_type="detail", engagement_id=eid)
        assert query(warehouse, legs) == [(len(final["voice_call_details"]),)] and final["voice_call_details"]
        expected = expected_rows(sb.truth.voice_calls(start, sb.clock.now(), view_type="detail"))
        for table in DETAIL_TABLES:
            assert set(query(warehouse, CHILD_SELECT[table])) == expected[table], table


def _engagement(eid: str, queues: list[dict], legs: list[dict] | None = None) -> dict:
    row = {"engagement_id": eid, "direction": "inbound", "start_time": "2026-11-19T10:00:00-08:00",
           "end_time": "2026-11-19T10:05:00-08:00", "total_duration": 300, "charge": "$0.019",
           "queues": queues, "agents": [], "flows": [], "call_legs": ["inbound"], "rates": ["$0.019"]}
    if legs is not None:
        row["voice_call_details"] = legs
    return row


def _load_pages(warehouse, pages, detail=False):
    resource = dlt.resource(
        (item for page in pages for item in page_tables(page, "default", detail)),
        name="voice_calls", primary_key="engagement_id", write_disposition="merge",
    )
    warehouse("zcc", "zoom_contact_center").run(with_child_table_hints(resource, detail))


def test_queue_ids_land_in_cc_queue_id_whatever_name_the_answer_uses(warehouse):
    leg = {"engagement_id": "e1", "call_leg": "inbound", "start_time": "2026-11-19T10:00:00-08:00",
           "end_time": "2026-11-19T10:05:00-08:00", "total_duration": 300, "rate": "$0.019", "charge": "$0.019",
           "queue": {"queue_id": "old-only", "queue_name": "Old"}, "flow": {"flow_id": "f1", "flow_name": "Main"},
           "agents": [{"user_id": "u1", "display_name": "Ann"}]}
    _load_pages(warehouse, [[
        _engagement("e1", [{"queue_id": "old-only", "queue_name": "Old"},
                           {"queue_id": "stale", "cc_queue_id": "current", "queue_name": "Both"},
                           {"cc_queue_id": "new-only", "queue_name": "New"}], [leg]),
    ]], detail=True)
    assert sorted(query(warehouse, "SELECT position, cc_queue_id, queue_name FROM voice_call_queues")) == [
        (0, "old-only", "Old"), (1, "current", "Both"), (2, "new-only", "New")]
    columns = {r[0] for r in query(warehouse, "DESCRIBE voice_call_queues")}
    assert "queue_id" not in columns  # stored under the current name only
    assert query(warehouse, "SELECT cc_queue_id, queue_name, flow_id, flow_name, start_time, rate "
                            "FROM voice_call_legs") == [
        ("old-only", "Old", "f1", "Main", query(warehouse, "SELECT TIMESTAMPTZ '2026-11-19 18:00:00+00'")[0][0],
         Decimal("0.019"))]
    assert query(warehouse, "SELECT rate FROM voice_call_rates") == [(Decimal("0.019"),)]
    assert query(warehouse, "SELECT leg_position, position, user_id FROM voice_call_leg_agents") == [(0, 0, "u1")]


def test_undocumented_values_load_as_sent(sandbox, client, warehouse):
    """The default sandbox (quirk_unknown_enums) mixes in values the definition does not list."""
    start = days_ago(sandbox, 60)
    load(warehouse, sandbox, client, start_date=start.isoformat())
    truth = sandbox.truth.voice_calls(start, sandbox.clock.now())
    results = {e["result"] for e in truth}
    assert {"abandoned", "transferred", "voicemail"} & results and "completed" in results
    assert set(query(warehouse, "SELECT DISTINCT result FROM voice_calls")) == {(r,) for r in results}
    assert query(warehouse, "SELECT count(*) FROM voice_calls WHERE caller_number_type = 'external_number'") == [
        (sum(e.get("caller_number_type") == "external_number" for e in truth),)]


@pytest.mark.parametrize(("kwargs", "key"), [
    ({"view_type": "full"}, "SOURCES__ZOOM_CONTACT_CENTER__VIEW_TYPE"),
    ({"view_type": "detail"}, "SOURCES__ZOOM__ACCOUNT_ID"),
])
def test_detail_configuration_errors_name_the_key(kwargs, key, monkeypatch):
    monkeypatch.delenv("SOURCES__ZOOM__ACCOUNT_ID", raising=False)
    with pytest.raises(ConfigError, match=key):
        zoom_contact_center(client=object(), clock=object(), **kwargs)
