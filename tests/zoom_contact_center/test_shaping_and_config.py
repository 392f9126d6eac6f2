"""Child-row replacement on merge, filter queries, configuration errors, and Postgres."""

from __future__ import annotations

import dlt
import psycopg2
import pytest

from sources.common.config import build_zoom_client
from sources.common.errors import ConfigError
from sources.zoom_contact_center import zoom_contact_center
from sources.zoom_contact_center.helpers import filter_queries, page_tables, with_child_table_hints
from tests.zoom_contact_center.support import CHILD_SELECT, TABLES, days_ago, load, query


def _engagement(eid: str, queues: list[str], agents: list[str], types: list[str]) -> dict:
    return {
        "engagement_id": eid, "direction": "inbound", "start_time": "2026-11-19T10:00:00Z",
        "end_time": "2026-11-19T10:05:00Z", "total_duration": 300, "charge": "$0.07",
        "queues": [{"queue_id": q, "queue_name": f"Queue {q}"} for q in queues],
        "agents": [{"user_id": a, "display_name": f"Agent {a}"} for a in agents],
        "flows": [{"flow_id": "f1", "flow_name": "Main IVR Flow"}],
        "call_legs": ["inbound"], "distributions": ["acd"], "types": types, "rates": [],
    }


def _load_pages(warehouse, pages):
    """The source's page shaping and table hints, run by dlt into DuckDB."""
    resource = dlt.resource(
        (item for page in pages for item in page_tables(page, "default")),
        name="voice_calls", primary_key="engagement_id", write_disposition="merge",
    )
    warehouse("zcc", "zoom_contact_center").run(with_child_table_hints(resource))


def test_updated_engagement_replaces_its_child_rows(warehouse):
    _load_pages(warehouse, [[
        _engagement("e1", ["q1", "q2"], ["a1", "a2"], ["external_call", "external_conference_call"]),
        _engagement("e2", ["q3"], ["a3"], ["external_call"]),
    ]])
    # e1 shrinks (one queue, no agent, one type); e2 is untouched
    _load_pages(warehouse, [[_engagement("e1", ["q2"], [], ["external_call"])]])

    assert set(query(warehouse, CHILD_SELECT["voice_call_queues"])) == {
        ("e1", 0, "q2", "Queue q2"), ("e2", 0, "q3", "Queue q3")}
    assert set(query(warehouse, CHILD_SELECT["voice_call_agents"])) == {("e2", 0, "a3", "Agent a3")}
    assert sorted(query(warehouse, "SELECT engagement_id, attribute, position, value FROM voice_call_attributes "
                                   "WHERE attribute = 'types'")) == [
        ("e1", "types", 0, "external_call"), ("e2", "types", 0, "external_call")]
    assert query(warehouse, "SELECT count(*) FROM voice_call_flows") == [(2,)]
    assert query(warehouse, "SELECT engagement_id, types FROM voice_calls ORDER BY 1") == [
        ("e1", "external_call"), ("e2", "external_call")]


def test_id_lists_are_split_in_chunks_of_20():
    queues = [f"q{i:02d}" for i in range(45)]
    queries = filter_queries(queue_ids=queues, direction="inbound", types="external_call,external_callback_call")
    assert len(queries) == 3
    sent = []
    for q in queries:
        assert ("direction", "inbound") in q
        assert [v for k, v in q if k == "types"] == ["external_call", "external_callback_call"]
        (ids,) = [v for k, v in q if k == "cc_queue_ids"]
        assert len(ids.split(",")) <= 20
        sent += ids.split(",")
    assert sent == queues
    # with two long lists every queue chunk is asked with every user chunk (the API ANDs them)
    both = filter_queries(queue_ids=queues, user_ids=[f"u{i}" for i in range(21)])
    assert len(both) == 6
    assert filter_queries() == [[]]


@pytest.fixture
def offline_client():
    """A client that is never used: configuration errors come before any request."""
    return build_zoom_client(base_url="http://127.0.0.1:9/v2", token_url="http://127.0.0.1:9/oauth/token",
                             account_id="a", client_id="b", client_secret="c")


@pytest.mark.parametrize(("kwargs", "key"), [
    ({"resources": ["voice_call"]}, "RESOURCES"),
    ({"page_size": 101}, "PAGE_SIZE"),
    ({"lag_days": -1}, "LAG_DAYS"),
    ({"start_date": "last tuesday"}, "START_DATE"),
    ({"start_date": "2026-11-10", "end_date": "2026-11-01"}, "END_DATE"),
    ({"queue_ids": "[broken"}, "QUEUE_IDS"),
])
def test_bad_configuration_names_the_key(offline_client, kwargs, key):
    with pytest.raises(ConfigError, match=f"SOURCES__ZOOM_CONTACT_CENTER__{key}"):
        zoom_contact_center(client=offline_client, **kwargs)


def test_child_table_names_select_the_voice_calls_resource(offline_client):
    source = zoom_contact_center(client=offline_client, resources=["voice_call_agents"])
    assert list(source.selected_resources) == ["voice_calls"]


@pytest.mark.postgres
def test_postgres_load_equals_duckdb(sandbox, client, warehouse, pg_dsn, pg_dataset_suffix, tmp_path):
    start = days_ago(sandbox, 10).isoformat()
    load(warehouse, sandbox, client, start_date=start)
    dataset = f"zoom_contact_center_{pg_dataset_suffix}"
    pipeline = dlt.pipeline(pipeline_name=f"zcc_pg_{pg_dataset_suffix}", destination=dlt.destinations.postgres(pg_dsn),
                            dataset_name=dataset, pipelines_dir=str(tmp_path / "pg_pipelines"))
    try:
        pipeline.run(zoom_contact_center(client=client, clock=sandbox.clock, start_date=start))
        with psycopg2.connect(pg_dsn) as con, con.cursor() as cur:
            for table in TABLES:
                cur.execute(f'SELECT count(*), count(DISTINCT source_account) FROM "{dataset}"."{table}"')
                assert cur.fetchone() == (query(warehouse, f"SELECT count(*) FROM {table}")[0][0], 1), table
            cur.execute("SELECT column_name, data_type FROM information_schema.columns "
                        "WHERE table_schema = %s AND table_name = 'voice_calls'", (dataset,))
            types = dict(cur.fetchall())
            cur.execute(f'SELECT count(*) FROM "{dataset}".voice_call_attributes '
                        "WHERE attribute = 'types' AND value = 'external_call'")
            assert cur.fetchone()[0] > 0
    finally:
        with psycopg2.connect(pg_dsn) as con, con.cursor() as cur:
            cur.execute(f'DROP SCHEMA IF EXISTS "{dataset}" CASCADE')
            cur.execute(f'DROP SCHEMA IF EXISTS "{dataset}_staging" CASCADE')
    assert {c: types[c] for c in ("engagement_id", "start_time", "end_time", "total_duration", "recorded",
                                  "charge")} == {
        "engagement_id": "character varying", "start_time": "timestamp with time zone",
        "end_time": "timestamp with time zone", "total_duration": "bigint", "recorded": "boolean",
        "charge": "numeric"}
