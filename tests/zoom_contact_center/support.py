"""Helpers for the Contact Center tests: a client on a sandbox, a loader, DuckDB queries."""

from __future__ import annotations

import datetime as dt

import duckdb

from sources.common.config import build_zoom_client
from sources.zoom_contact_center import zoom_contact_center

ROUTE = "GET /contact_center/voice_calls"
DATASET = "zoom_contact_center"
CHILD_TABLES = ("voice_call_queues", "voice_call_agents", "voice_call_flows", "voice_call_attributes")
TABLES = ("voice_calls", *CHILD_TABLES)


def zoom_client(sb):
    return build_zoom_client(sb.clock, base_url=sb.zoom_base_url, token_url=sb.zoom_token_url,
                             **sb.zoom_credentials)


def load(warehouse, sb, client=None, **kwargs):
    """Run the source into the warehouse (same pipeline name: reruns share the state)."""
    pipeline = warehouse("zcc", DATASET)
    pipeline.run(zoom_contact_center(client=client, clock=sb.clock, **kwargs))
    return pipeline


def loaded_counts(pipeline) -> dict[str, int]:
    info = pipeline.last_trace.last_normalize_info
    return dict(info.row_counts) if info else {}


def query(warehouse, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse.path), read_only=True) as con:
        con.sql(f"SET schema = '{DATASET}'")
        return con.sql(sql).fetchall()


def voice_call_requests(sb) -> list[dict]:
    return [params for _, _, route, params, _ in sb.request_log if route == ROUTE]


def days_ago(sb, days: float) -> dt.datetime:
    return sb.clock.now() - dt.timedelta(days=days)


def expected_rows(truth: list[dict]) -> dict[str, set[tuple]]:
    """Child rows as the nested arrays of the API give them."""
    out: dict[str, set[tuple]] = {t: set() for t in CHILD_TABLES}
    for e in truth:
        eid = e["engagement_id"]
        for field, table, a, b in (("queues", "voice_call_queues", "queue_id", "queue_name"),
                                   ("agents", "voice_call_agents", "user_id", "display_name"),
                                   ("flows", "voice_call_flows", "flow_id", "flow_name")):
            out[table] |= {(eid, i, x[a].strip(), x[b].strip()) for i, x in enumerate(e[field])}
        for name in ("call_legs", "distributions", "types", "rates"):
            out["voice_call_attributes"] |= {(eid, i, name, v.strip()) for i, v in enumerate(e[name])}
    return out


CHILD_SELECT = {
    "voice_call_queues": "SELECT engagement_id, position, queue_id, queue_name FROM voice_call_queues",
    "voice_call_agents": "SELECT engagement_id, position, user_id, display_name FROM voice_call_agents",
    "voice_call_flows": "SELECT engagement_id, position, flow_id, flow_name FROM voice_call_flows",
    "voice_call_attributes": "SELECT engagement_id, position, attribute, value FROM voice_call_attributes",
}
