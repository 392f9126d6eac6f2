"""Zoom's published example responses, replayed through the real pipeline (`callpipe run`) into
DuckDB: every documented field of every array lands in a column of its type (nested objects as
prefixed columns, the legs in their child table), and every item served becomes one row.

The examples are the definition's own (`spec.example`), with their dates moved into the last
month; a small HTTP server (example_server.py) answers them. A list answers the items of the
requested window (and, for call history, of the requested `recording_status`, `recorded` when
absent, as published); a sync answers its example to the first FSync and nothing after.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import re
from decimal import Decimal
from typing import Any

import duckdb
import pytest

from pipelines.cli import main
from pipelines.console import Console
from sources.common.shaping import parse_money, parse_ts
from tests.contract import spec
from tests.contract.example_server import ExampleServer

USERS = "/phone/users"
HISTORY = "/phone/call_history"
HISTORY_DETAIL = "/phone/call_history/{callHistoryUuid}"
HISTORY_SYNC = "/phone/users/{userId}/call_history/sync"
LOGS = "/phone/call_logs"
LOG_DETAIL = "/phone/call_logs/{callLogId}"
LOG_SYNC = "/phone/users/{userId}/call_logs/sync"

# (endpoint, array, table, {field: column} where the pipeline names it differently)
ARRAYS = [
    (USERS, "users", "users", {}),
    (HISTORY, "call_history", "call_history", {}),
    (HISTORY_DETAIL, "call_elements", "call_elements", {}),
    (HISTORY_SYNC, "call_logs", "user_call_legs", {}),
    (HISTORY_SYNC, "call_elements", "user_call_elements", {}),
    (LOGS, "call_logs", "call_logs", {}),
    (LOG_DETAIL, "log_details", "call_log_legs", {}),
    (LOG_SYNC, "call_logs", "user_call_logs", {}),
]
# the deprecated arrays (an account's answers before November 2026, archives): same tables
LEGACY_ARRAYS = [
    (HISTORY, "call_logs", "call_history", {"id": "call_history_uuid"}),
    (HISTORY_DETAIL, "call_path", "call_elements", {"id": "call_element_id"}),
]
ALL_RESOURCES = ["users", "call_history", "call_history_details", "user_call_history",
                 "call_logs", "call_log_details", "user_call_logs"]
ID_NUMBERS = {"extension_number"}  # integers in the definition, ids to us: text (owner.extension_number < 0)
MONEY = {"charge", "rate"}
WHEN = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?)?$")


# ------------------------------------------------------------------ the examples, dated last month


def moved(body: Any, to: dt.datetime) -> Any:
    """`body` with every date and time shifted by one offset, so its earliest one falls on `to`."""
    found: list[dt.datetime] = []

    def walk(value: Any, change) -> Any:
        if isinstance(value, dict):
            return {k: walk(v, change) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, change) for v in value]
        if isinstance(value, str) and WHEN.match(value):
            return change(value)
        return value

    walk(body, lambda v: found.append(parse_ts(v)) or v)
    if not found:
        return copy.deepcopy(body)
    shift = to - min(found)

    def change(value: str) -> str:
        when = parse_ts(value) + shift
        return when.strftime("%Y-%m-%d") if "T" not in value else when.strftime("%Y-%m-%dT%H:%M:%SZ")

    return walk(body, change)


def listed(body: dict, array: str, time_field: str, *, recording_status: bool = False):
    """A list endpoint answering the items of `array` whose `time_field` is in the requested window
    (one page; with `recording_status`, the items of the requested status, `recorded` by default)."""

    def answer(query: dict[str, str], _params: dict[str, str]) -> dict:
        lo, hi = parse_ts(query["from"]), parse_ts(query["to"])
        wanted = query.get("recording_status") or "recorded"
        items = [] if query.get("next_page_token") else [
            item for item in body[array] if lo <= parse_ts(item[time_field]) <= hi
            and (not recording_status or item.get("recording_status", "recorded") == wanted)]
        out = {k: ([] if isinstance(v, list) else v) for k, v in body.items()}
        out.update({array: items, "next_page_token": "", "total_records": len(items), "page_count": 1,
                    "from": query["from"], "to": query["to"]})
        return out

    return answer


def paged(body: dict, array: str):
    """The example as the first page (with its published next_page_token), then an empty last page."""
    def answer(query: dict[str, str], _params: dict[str, str]) -> dict:
        if not query.get("next_page_token"):
            return body
        return {**body, array: [], "next_page_token": ""}

    return answer


def synced(body: dict):
    """A user sync answering its example to FSync, then nothing (BSync/ISync with the token)."""
    def answer(query: dict[str, str], _params: dict[str, str]) -> dict:
        if query.get("sync_type") == "FSync":
            return body
        return {k: ([] if isinstance(v, list) else v) for k, v in body.items()}

    return answer


def examples(legacy_shape: bool) -> dict[str, dict]:
    """The published example answer of every endpoint the pipeline calls, dated last month. With
    `legacy_shape`, the call-history list and detail hold only their deprecated arrays."""
    when = (dt.datetime.now(dt.UTC) - dt.timedelta(days=10)).replace(hour=12, minute=0, second=0, microsecond=0)
    out = {path: moved(spec.example(path), when) for path in (USERS, HISTORY, HISTORY_DETAIL, HISTORY_SYNC,
                                                               LOGS, LOG_DETAIL, LOG_SYNC)}
    # ids adjusted where the fan-out must connect: a user's sync rows carry that user's id
    for item in out[LOG_SYNC]["call_logs"]:
        item["user_id"] = out[USERS]["users"][0]["id"]
    if legacy_shape:
        out[HISTORY].pop("call_history")
        out[HISTORY_DETAIL].pop("call_elements")
    return out


def serve(bodies: dict[str, dict]) -> ExampleServer:
    history_array = "call_history" if "call_history" in bodies[HISTORY] else "call_logs"
    return ExampleServer({
        USERS: paged(bodies[USERS], "users"),
        HISTORY: listed(bodies[HISTORY], history_array, "start_time", recording_status=True),
        HISTORY_DETAIL: bodies[HISTORY_DETAIL],
        HISTORY_SYNC: synced(bodies[HISTORY_SYNC]),
        LOGS: listed(bodies[LOGS], "call_logs", "date_time"),
        LOG_DETAIL: bodies[LOG_DETAIL],
        LOG_SYNC: synced(bodies[LOG_SYNC]),
    })


# ------------------------------------------------------------------ what landed


def expected_columns(name: str, schema: dict, value: Any) -> list[tuple[str, str, Any]]:
    """(column, DuckDB type, expected value) of a documented field: nested objects as prefixed
    columns, arrays of objects as JSON text."""
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return [c for sub, sub_schema in schema.get("properties", {}).items()
                for c in expected_columns(f"{name}_{sub}", sub_schema, (value or {}).get(sub))]
    leaf = name.rsplit("_", 1)[-1] if "_" in name else name
    if kind == "array":
        return [(name, "VARCHAR", value)]
    if kind == "boolean":
        return [(name, "BOOLEAN", value)]
    if kind == "integer":
        text = any(name == n or name.endswith(f"_{n}") for n in ID_NUMBERS)
        return [(name, "VARCHAR" if text else "BIGINT", value)]
    if kind == "number":
        return [(name, "DOUBLE", value)]
    if name in MONEY or leaf in MONEY:
        return [(name, "DECIMAL(18,6)", value)]
    if schema.get("format") == "date-time" or name.endswith("_time") or name == "date_time":
        return [(name, "TIMESTAMP WITH TIME ZONE", value)]
    return [(name, "VARCHAR", value)]


def same(db_type: str, expected: Any, loaded: Any) -> bool:
    if expected is None:
        return True
    if db_type == "VARCHAR" and isinstance(expected, (list, dict)):
        return loaded is not None and json.loads(loaded) == expected
    if db_type == "VARCHAR":  # an empty text is null on both destinations (README)
        return loaded == (str(expected).strip() or None)
    if db_type == "TIMESTAMP WITH TIME ZONE":
        return loaded == parse_ts(expected)
    if db_type.startswith("DECIMAL"):
        return Decimal(loaded) == parse_money(expected)
    return loaded == expected


def landing_problems(con, bodies: dict[str, dict], arrays) -> list[str]:
    problems = []
    for path, array, table, renamed in arrays:
        items = bodies[path][array]
        schema = spec.response_schema(path)["properties"][array]["items"]
        types = dict(con.execute("SELECT column_name, data_type FROM information_schema.columns "
                                 "WHERE table_schema = 'zoom_phone' AND table_name = ?", [table]).fetchall())
        rows = [dict(zip([d[0] for d in cur.description], r, strict=True))
                for cur in [con.execute(f"SELECT * FROM zoom_phone.{table}")] for r in cur.fetchall()]
        if len(rows) != len(items):
            problems.append(f"{path} {array}[]: {len(items)} items served, {len(rows)} rows in {table}")
            continue
        for item, row in zip(items, rows, strict=True):
            for field, field_schema in schema["properties"].items():
                for column, db_type, value in expected_columns(renamed.get(field, field), field_schema,
                                                               item.get(field)):
                    problems += column_problem(f"{path} {array}[].{field} -> {table}.{column}", types, row,
                                               column, db_type, value)
    return problems


def column_problem(where: str, types: dict[str, str], row: dict[str, Any], column: str, db_type: str,
                   served: Any) -> list[str]:
    """[] when `column` exists with `db_type` and holds the served value, else what is wrong."""
    if column not in types:
        return [f"{where}: no such column"]
    if types[column] != db_type:
        return [f"{where}: {types[column]}, expected {db_type}"]
    if not same(db_type, served, row[column]):
        return [f"{where}: {row[column]!r} loaded, {served!r} served"]
    return []


def run_pipeline(server: ExampleServer, tmp_path, monkeypatch, resources: list[str]) -> tuple[int, str]:
    for key, value in {**server.env(), "SOURCES__ZOOM_PHONE__RESOURCES": json.dumps(resources)}.items():
        monkeypatch.setenv(key, value)
    out = io.StringIO()
    code = main(["run", "--source", "zoom_phone", "--duckdb-path", str(tmp_path / "w.duckdb"),
                 "--pipelines-dir", str(tmp_path / "pipelines")], console=Console(out=out, err=out, live=False))
    return code, out.getvalue()


@pytest.mark.parametrize("shape", ["current", "legacy_shape"])
def test_published_examples_land_field_by_field(shape, tmp_path, monkeypatch):
    legacy = shape == "legacy_shape"
    bodies = examples(legacy_shape=legacy)
    resources = ["call_history", "call_history_details"] if legacy else ALL_RESOURCES
    with serve(bodies) as server:
        code, out = run_pipeline(server, tmp_path, monkeypatch, resources)
        requested = list(server.requests)
    assert code == 0, out
    # call history read once per recording_status (the published default, `recorded`, alone would
    # miss the calls that were not recorded)
    assert {q.get("recording_status") for t, _, q in requested if t == HISTORY} == {"recorded", "non_recorded"}
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        problems = landing_problems(con, bodies, LEGACY_ARRAYS if legacy else ARRAYS)
    assert not problems, "\n".join(problems)
