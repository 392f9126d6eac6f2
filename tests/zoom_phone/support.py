"""Zoom Phone test helpers: the source bound to a sandbox, SQL shortcuts."""

from __future__ import annotations

import datetime as dt

from sources.common.config import build_zoom_client
from sources.zoom_phone import zoom_phone
from sources.zoom_phone.settings import ALL_RESOURCES as ALL

TABLE_KEYS = {
    "call_logs": "id",
    "call_log_legs": "id",
    "users": "id",
    "user_call_logs": "id",
    "call_history": "call_history_uuid",
    "call_elements": "call_element_id",
    "user_call_legs": "user_id || ':' || id",
    "user_call_elements": "user_id || ':' || call_element_id",
}
ALL_RESOURCES = list(ALL)  # the current family, users and the legacy family (on by configuration)


def source(sb, **kwargs):
    """The source as a nightly run builds it: a fresh client on the sandbox clock."""
    return zoom_phone(client=build_zoom_client(clock=sb.clock), clock=sb.clock, **kwargs)


def rows(pipeline, sql: str, *args) -> list[tuple]:
    with pipeline.sql_client() as client:
        return [tuple(r) for r in client.execute_sql(sql, *args)]


def counts(pipeline, tables=TABLE_KEYS) -> dict[str, int]:
    return {t: rows(pipeline, f"SELECT count(*) FROM {t}")[0][0] for t in tables}


def duplicates(pipeline, tables=TABLE_KEYS) -> dict[str, int]:
    return {t: rows(pipeline, f"SELECT count(*) - count(DISTINCT {TABLE_KEYS[t]}) FROM {t}")[0][0]
            for t in tables}


def ts(value) -> dt.datetime:
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def requests_to(sb, route: str, status: int | None = None) -> list[dict]:
    """Query params of the requests the sandbox received on a route (optionally by status)."""
    return [q for _, _, r, q, st in sb.request_log if r == route and (status is None or st == status)]


def zoom_phone_state(pipeline) -> dict:
    return pipeline.state["sources"]["zoom_phone"]["resources"]
