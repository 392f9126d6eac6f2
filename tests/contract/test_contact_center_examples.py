"""Zoom's published Contact Center example responses, replayed through the real pipeline (`callpipe
run`) into DuckDB (issue 20): every documented field of every array lands in a column of its type, or
for a nested array in its documented child table, and every item served becomes one row.

Endpoints: the voice-call list, the account-scoped list with `view_type=detail` (its legs), and the
CX Analytics engagement dataset and log. The examples are the definition's own (`spec.example`),
dates moved into the last month, served by example_server.py for the requested window.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pytest

from pipelines.cli import main
from pipelines.console import Console
from sources.common.shaping import parse_money, parse_ts
from tests.contract import spec
from tests.contract.example_server import ExampleServer
from tests.contract.test_zoom_phone_examples import column_problem, expected_columns, moved

VOICE = "/contact_center/voice_calls"
ACCOUNT = "/accounts/{accountId}/contact_center/voice_calls"
DATASET = "/contact_center/analytics/dataset/historical/engagement"
LOG = "/contact_center/analytics/log/historical/engagement"
SCHEMA = "zoom_contact_center"


@dataclass
class Landing:
    """Where the items of one array land: their table, columns named otherwise than the flattened
    field, nested arrays of objects in child tables, arrays of strings as comma-joined text plus rows
    of voice_call_attributes, money arrays in their table, and fields never loaded (customer data)."""

    table: str
    renamed: dict[str, str] = field(default_factory=dict)
    children: dict[str, Landing] = field(default_factory=dict)
    strings: tuple[str, ...] = ()
    money_lists: dict[str, tuple[str, str]] = field(default_factory=dict)
    not_loaded: tuple[str, ...] = ()


AGENTS = Landing("voice_call_agents")
VOICE_CALLS = Landing(
    "voice_calls",
    children={"queues": Landing("voice_call_queues", renamed={"queue_id": "cc_queue_id"}), "agents": AGENTS,
              "flows": Landing("voice_call_flows")},
    strings=("call_legs", "distributions", "types", "sub_types"),
    money_lists={"rates": ("voice_call_rates", "rate")},
)
DETAIL_CALLS = Landing(
    VOICE_CALLS.table, children={
        **VOICE_CALLS.children,
        "voice_call_details": Landing(
            "voice_call_legs", renamed={"queue_cc_queue_id": "cc_queue_id", "queue_queue_name": "queue_name",
                                        "flow_flow_id": "flow_id", "flow_flow_name": "flow_name"},
            children={"agents": Landing("voice_call_leg_agents")})},
    strings=VOICE_CALLS.strings, money_lists=VOICE_CALLS.money_lists)
MS = ("duration", "handle_duration", "conversation_duration", "hold_duration", "warm_transfer_duration",
      "warm_conference_duration", "conference_duration", "wrap_up_duration")
CONSUMER = {f"consumer_{f}": f for f in ("consumer_name", "consumer_email", "consumer_number")}
ENGAGEMENTS = Landing(
    "engagements", renamed={**{f: f"{f}_ms" for f in MS}, **CONSUMER},
    children={"queues": Landing("engagement_queues"), "users": Landing("engagement_users"),
              "teams": Landing("engagement_teams"), "channels": Landing("engagement_channels")})
ENGAGEMENT_LOGS = Landing(
    "engagement_logs",
    renamed={**{f: f"{f}_ms" for f in MS}, **CONSUMER, "enter_channel_channel": "enter_channel",
             "enter_channel_channel_source": "enter_channel_source"},
    children={"events": Landing("engagement_log_events"), "flows": Landing("engagement_log_flows"),
              "dispositions": Landing("engagement_log_dispositions"),
              "notes": Landing("engagement_log_notes", not_loaded=("note_content",))},
    not_loaded=("transcript_url",))


def examples() -> dict[str, dict]:
    when = (dt.datetime.now(dt.UTC) - dt.timedelta(days=10)).replace(hour=12, minute=0, second=0, microsecond=0)
    return {path: moved(spec.example(path), when) for path in (VOICE, ACCOUNT, DATASET, LOG)}


def listed(body: dict, array: str, names: tuple[str, str] = ("from", "to")):
    """The items of `array` that started in the requested window, on one page."""
    def answer(query: dict[str, str], _params: dict[str, str]) -> dict:
        lo, hi = parse_ts(query[names[0]]), parse_ts(query[names[1]])
        items = [] if query.get("next_page_token") else [
            item for item in body[array] if lo <= parse_ts(item["start_time"]) <= hi]
        return {**body, array: items, "next_page_token": "", "total_records": len(items)}

    return answer


def serve(bodies: dict[str, dict]) -> ExampleServer:
    return ExampleServer({
        VOICE: listed(bodies[VOICE], "voice_calls"),
        ACCOUNT: listed(bodies[ACCOUNT], "voice_calls"),
        DATASET: listed(bodies[DATASET], "engagements"),
        LOG: listed(bodies[LOG], "engagement_logs", ("start_time_from", "start_time_to")),
    })


def table_rows(con, table: str, where: dict[str, Any]) -> tuple[dict[str, str], list[dict[str, Any]]]:
    types = dict(con.execute("SELECT column_name, data_type FROM information_schema.columns "
                             "WHERE table_schema = ? AND table_name = ?", [SCHEMA, table]).fetchall())
    clause = " AND ".join(f"{k} = ?" for k in where) or "TRUE"
    order = "position" if "position" in types else "engagement_id"
    cur = con.execute(f"SELECT * FROM {SCHEMA}.{table} WHERE {clause} ORDER BY {order}", list(where.values()))
    names = [d[0] for d in cur.description]
    return types, [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def landing_problems(con, where: str, items: list[dict], schema: dict, landing: Landing,
                     match: dict[str, Any]) -> list[str]:
    types, rows = table_rows(con, landing.table, match)
    if not types:
        return [f"{where}: no table {landing.table}"]
    if len(rows) != len(items):
        return [f"{where}: {len(items)} items served, {len(rows)} rows in {landing.table} ({match})"]
    problems = []
    for index, (item, row) in enumerate(zip(items, rows, strict=True)):
        key = {"engagement_id": item.get("engagement_id") or match.get("engagement_id")}
        for name, field_schema in schema["properties"].items():
            value = item.get(name)
            at = f"{where}.{name}"
            if name in landing.not_loaded:
                if name in types or (value is not None and value in row.values()):
                    problems.append(f"{at}: customer data loaded into {landing.table} without load_notes")
                continue
            if name in landing.children:
                child = landing.children[name]
                link = {**key, "leg_position": index} if child.table == "voice_call_leg_agents" else key
                problems += landing_problems(con, f"{at}[]", value or [], field_schema["items"], child, link)
                continue
            if name in landing.strings:
                if row.get(name) != (",".join(value or []) or None):
                    problems.append(f"{at}: {row.get(name)!r} loaded, {value!r} served")
                _, attrs = table_rows(con, "voice_call_attributes", {**key, "attribute": name})
                if [a["value"] for a in attrs] != list(value or []):
                    problems.append(f"{at}: voice_call_attributes hold {[a['value'] for a in attrs]}")
                continue
            if name in landing.money_lists:
                table, column = landing.money_lists[name]
                money_types, money = table_rows(con, table, key)
                if money_types.get(column) != "DECIMAL(18,6)" or [m[column] for m in money] != [
                        parse_money(v) for v in value or []]:
                    problems.append(f"{at}: {table}.{column} holds {[m[column] for m in money]}")
                continue
            for column, db_type, expected in expected_columns(name, field_schema, value):
                column = landing.renamed.get(column, column)
                problems += column_problem(f"{at} -> {landing.table}.{column}", types, row, column, db_type, expected)
    return problems


def run_pipeline(server: ExampleServer, tmp_path, monkeypatch, view_type: str) -> tuple[int, str]:
    settings = {**server.env(), "SOURCES__ZOOM_CONTACT_CENTER__VIEW_TYPE": view_type,
                "SOURCES__ZOOM_CONTACT_CENTER__RESOURCES": json.dumps(["voice_calls", "engagements",
                                                                       "engagement_logs"])}
    for key, value in settings.items():
        monkeypatch.setenv(key, value)
    out = io.StringIO()
    code = main(["run", "--source", "zoom_contact_center", "--duckdb-path", str(tmp_path / "w.duckdb"),
                 "--pipelines-dir", str(tmp_path / "pipelines")], console=Console(out=out, err=out, live=False))
    return code, out.getvalue()


@pytest.mark.parametrize("view_type", ["summary", "detail"])
def test_published_examples_land_field_by_field(view_type, tmp_path, monkeypatch):
    bodies = examples()
    with serve(bodies) as server:
        code, out = run_pipeline(server, tmp_path, monkeypatch, view_type)
        requested = list(server.requests)
    assert code == 0, out
    calls_path, calls = (ACCOUNT, DETAIL_CALLS) if view_type == "detail" else (VOICE, VOICE_CALLS)
    assert {t for t, _, _ in requested} == {calls_path, DATASET, LOG}
    # the analytics times are asked for in UTC
    assert {q.get("timezone") for t, _, q in requested if t in (DATASET, LOG)} == {"UTC"}
    if view_type == "detail":
        assert {q.get("view_type") for t, _, q in requested if t == ACCOUNT} == {"detail"}
    problems = []
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        for path, array, landing in ((calls_path, "voice_calls", calls), (DATASET, "engagements", ENGAGEMENTS),
                                     (LOG, "engagement_logs", ENGAGEMENT_LOGS)):
            items = bodies[path][array]
            assert items, path
            schema = spec.response_schema(path)["properties"][array]["items"]
            problems += landing_problems(con, f"{path} {array}[]", items, schema, landing, {})
    assert not problems, "\n".join(problems)
