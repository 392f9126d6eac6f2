"""Helpers for the Contact Center tests: a client on a sandbox, a loader, DuckDB queries."""

from __future__ import annotations

import datetime as dt

import duckdb

from sources.common.config import build_zoom_client
from sources.common.shaping import parse_money, parse_ts
from sources.zoom_contact_center import zoom_contact_center

ROUTE = "GET /contact_center/voice_calls"
DATASET = "zoom_contact_center"
CHILD_TABLES = ("voice_call_queues", "voice_call_agents", "voice_call_flows", "voice_call_attributes",
                "voice_call_rates")
DETAIL_TABLES = ("voice_call_legs", "voice_call_leg_agents")
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
    """Child rows as the nested arrays of the API give them (the detail tables when the truth has legs)."""
    out: dict[str, set[tuple]] = {t: set() for t in CHILD_TABLES + DETAIL_TABLES}
    for e in truth:
        eid = e["engagement_id"]
        for field, table, a, b in (("queues", "voice_call_queues", "cc_queue_id", "queue_name"),
                                   ("agents", "voice_call_agents", "user_id", "display_name"),
                                   ("flows", "voice_call_flows", "flow_id", "flow_name")):
            out[table] |= {(eid, i, x[a].strip(), x[b].strip()) for i, x in enumerate(e[field])}
        for name in ("call_legs", "distributions", "types", "sub_types"):
            out["voice_call_attributes"] |= {(eid, i, name, v.strip()) for i, v in enumerate(e.get(name, []))}
        out["voice_call_rates"] |= {(eid, i, parse_money(v)) for i, v in enumerate(e["rates"])}
        for i, leg in enumerate(e.get("voice_call_details", [])):
            out["voice_call_legs"].add((eid, i, leg["call_leg"], parse_ts(leg["start_time"]),
                                        parse_ts(leg["end_time"]), leg["total_duration"],
                                        leg.get("queue", {}).get("cc_queue_id"), parse_money(leg["rate"]),
                                        parse_money(leg["charge"])))
            out["voice_call_leg_agents"] |= {(eid, i, j, a["user_id"]) for j, a in enumerate(leg["agents"])}
    return out


CHILD_SELECT = {
    "voice_call_queues": "SELECT engagement_id, position, cc_queue_id, queue_name FROM voice_call_queues",
    "voice_call_agents": "SELECT engagement_id, position, user_id, display_name FROM voice_call_agents",
    "voice_call_flows": "SELECT engagement_id, position, flow_id, flow_name FROM voice_call_flows",
    "voice_call_attributes": "SELECT engagement_id, position, attribute, value FROM voice_call_attributes",
    "voice_call_rates": "SELECT engagement_id, position, rate FROM voice_call_rates",
    "voice_call_legs": "SELECT engagement_id, position, call_leg, start_time, end_time, total_duration, "
                       "cc_queue_id, rate, charge FROM voice_call_legs",
    "voice_call_leg_agents": "SELECT engagement_id, leg_position, position, user_id FROM voice_call_leg_agents",
}
