"""Late calls, expired page tokens, failing runs, the legacy call-history shape, backfills."""

from __future__ import annotations

import datetime as dt
import io
import logging

import duckdb
import pyarrow as pa
import pytest
from dlt.pipeline.exceptions import PipelineStepFailed

from pipelines.cli import main
from pipelines.console import Console
from sandbox import Sandbox, SandboxConfig
from sandbox.config import QUIRKS
from sources.common.config import build_zoom_client
from sources.common.errors import ConfigError
from sources.zoom_phone import helpers, zoom_phone
from sources.zoom_phone.settings import CALL_LOG_DETAILS
from tests.zoom_phone.support import (
    counts,
    duplicates,
    requests_to,
    rows,
    source,
    ts,
    zoom_phone_state,
)

LOGS = "GET /phone/call_logs"
LOG_TABLES = ("call_logs", "call_log_legs")


def error_text(error: BaseException) -> str:
    """What a user sees of a failed run: every message and note down the exception chain."""
    parts = []
    while error is not None:
        parts.append(str(error))
        parts.extend(getattr(error, "__notes__", []))
        error = error.__cause__ or error.__context__
    return "\n".join(parts)


def find_late_arrival(config: SandboxConfig, minutes: int = 10, steps: int = 300):
    """Scout a twin world: (t1, t2, call log id) such that the call starts before the newest
    call visible at t1 but becomes visible only at t2 (minutes after the start)."""
    scout = Sandbox(config)  # same seed, same calls; never started, only its truth is read
    since = scout.clock.now() - dt.timedelta(days=1)
    before: dict[str, dt.datetime] = {}
    for step in range(steps):
        now = {r["id"]: ts(r["date_time"]) for r in scout.truth.call_logs(since, None)}
        if before:
            cursor = max(before.values())
            late = [i for i, when in now.items() if i not in before and when < cursor]
            if late:
                return (step - 1) * minutes, step * minutes, late[0]
        before = now
        scout.clock.advance(minutes=minutes)
    raise AssertionError("no late arrival in the scouted time")


def test_late_call_inside_the_lag_and_expired_page_token(small_sandbox, warehouse):
    sb = small_sandbox()
    t1, t2, late_id = find_late_arrival(sb.config)
    pl = warehouse("zoom_phone")
    start = (sb.clock.now() - dt.timedelta(days=1)).isoformat()
    kwargs = dict(resources=["call_logs", "call_log_details"], start_date=start, page_size=5)

    sb.clock.advance(minutes=t1)
    pl.run(source(sb, **kwargs))
    assert late_id not in {r[0] for r in rows(pl, "SELECT id FROM call_logs")}

    sb.clock.advance(minutes=t2 - t1)
    sb.reset_stats()
    sb.inject_fault(LOGS, "expired_page_token")  # the first request that carries a page token
    pl.run(source(sb, **kwargs))
    assert requests_to(sb, LOGS, 400)  # the token did expire, and the window was read again
    assert rows(pl, "SELECT count(*) FROM call_log_legs WHERE call_log_id = ?", late_id)[0][0] >= 1
    assert {r[0] for r in rows(pl, "SELECT id FROM call_logs")} == {r["id"] for r in sb.truth.call_logs(start, None)}
    assert duplicates(pl, LOG_TABLES) == {"call_logs": 0, "call_log_legs": 0}


def test_failed_runs_load_nothing_and_the_next_run_recovers(small_sandbox, warehouse):
    sb = small_sandbox()
    pl = warehouse("zoom_phone")
    start = (sb.clock.now() - dt.timedelta(days=2)).isoformat()
    kwargs = dict(start_date=start, resources=["call_logs", "call_log_details", "call_history",
                                                "call_history_details"])
    tables = ("call_logs", "call_log_legs", "call_history", "call_elements")
    pl.run(source(sb, **kwargs))
    before = counts(pl, tables)
    sb.clock.advance(days=1)

    # a truncated JSON body that persists through the client's retries
    sb.inject_fault("GET /phone/call_history", "malformed", count=100)
    with pytest.raises(PipelineStepFailed) as failed:
        pl.run(source(sb, **kwargs))
    text = error_text(failed.value)
    assert "/phone/call_history" in text and "window 2026-11-" in text
    assert counts(pl, tables) == before
    sb.clear_faults()

    # an item without its key
    sb.inject_fault(LOGS, "missing_key")
    with pytest.raises(PipelineStepFailed) as failed:
        pl.run(source(sb, **kwargs))
    text = error_text(failed.value)
    assert "GET /phone/call_logs window 2026-11-" in text and "'id'" in text
    assert counts(pl, tables) == before

    pl.run(source(sb, **kwargs))
    after = counts(pl, tables)
    assert after["call_logs"] == len(sb.truth.call_logs(start, None)) > before["call_logs"]
    assert after["call_history"] == len(sb.truth.call_history(start, None)) > before["call_history"]
    uuids = {r[0] for r in rows(pl, "SELECT call_history_uuid FROM call_history")}
    assert after["call_elements"] == len([e for e in sb.truth.call_elements() if e["call_history_uuid"] in uuids])
    assert duplicates(pl, tables) == dict.fromkeys(tables, 0)


def test_legacy_call_history_shape_keys_legs_by_their_own_id(small_sandbox, warehouse):
    """Issue 20.4: call_path[] legs have their own `id`; several share a segment and node (a shared
    line rings its members at once), so a key derived from uuid:segment:node would collapse them."""
    sb = small_sandbox(legacy_call_history_shape=True)
    pl = warehouse("zoom_phone")
    start = (sb.clock.now() - dt.timedelta(days=2)).isoformat()
    pl.run(source(sb, start_date=start, resources=["call_history", "call_history_details"]))
    uuids = {r["call_history_uuid"] for r in sb.truth.call_history(start, None)}
    assert {r[0] for r in rows(pl, "SELECT call_history_uuid FROM call_history")} == uuids
    expected = {(e["call_element_id"], e["call_history_uuid"]) for e in sb.truth.call_elements()
                if e["call_history_uuid"] in uuids}
    loaded = rows(pl, "SELECT call_element_id, call_history_uuid FROM call_elements")
    assert set(loaded) == expected and len(loaded) == len(expected)
    shared = rows(pl, "SELECT count(*) FROM (SELECT call_history_uuid, segment, node FROM call_elements "
                      "GROUP BY 1, 2, 3 HAVING count(*) > 1)")[0][0]
    assert shared > 0  # the legs that share a segment and node are all there
    assert duplicates(pl, ("call_history", "call_elements")) == {"call_history": 0, "call_elements": 0}


def test_backfill_reads_a_closed_range_and_keeps_the_nightly_state(small_sandbox, warehouse):
    sb = small_sandbox()
    pl = warehouse("zoom_phone")
    now = sb.clock.now()
    pl.run(source(sb, start_date=(now - dt.timedelta(days=1)).isoformat(),
                  resources=["call_logs", "user_call_logs"]))
    state = zoom_phone_state(pl)
    nightly = (dict(state["user_call_logs"]["sync_tokens"]), dict(state["call_logs"]["incremental"]["date_time"]))

    start, end = now - dt.timedelta(days=4), now - dt.timedelta(days=2)
    sb.clock.advance(hours=6)  # a later run: a token minted now would differ from the nightly one
    sb.reset_stats()
    pl.run(source(sb, start_date=start.isoformat(), end_date=end.isoformat(),
                  resources=["call_logs", "user_call_logs"]))
    state = zoom_phone_state(pl)
    assert (state["user_call_logs"]["sync_tokens"], state["call_logs"]["incremental"]["date_time"]) == nightly
    assert {q["sync_type"] for q in requests_to(sb, "GET /phone/users/{userId}/call_logs/sync")} == {"BSync"}
    in_range = {r[0] for r in rows(pl, "SELECT id FROM call_logs WHERE date_time >= ? AND date_time < ?",
                                   start, end)}
    assert in_range == {r["id"] for r in sb.truth.call_logs(start, end)}
    licensed = [u["id"] for u in sb.truth.users() if u.get("extension_number")]
    expected = {(u, r["id"]) for u in licensed for r in sb.truth.user_call_logs(u)
                if start <= ts(r["date_time"]) < end}
    assert set(rows(pl, "SELECT user_id, id FROM user_call_logs WHERE date_time >= ? AND date_time < ?",
                    start, end)) == expected


@pytest.mark.parametrize("fam", ["logs", "history"])
def test_a_leg_dropped_by_the_vendor_is_dropped_from_the_warehouse(small_sandbox, warehouse, fam):
    sb = small_sandbox()
    pl = warehouse("zoom_phone")
    table, key, parent, route = {
        "logs": ("call_log_legs", "id", "call_log_id", "GET /phone/call_logs/{id}"),
        "history": ("call_elements", "call_element_id", "call_history_uuid",
                    "GET /phone/call_history/{callHistoryUuid}"),
    }[fam]
    resources = ["call_logs", "call_log_details"] if fam == "logs" else ["call_history", "call_history_details"]
    now = sb.clock.now()
    day = {"start_date": (now - dt.timedelta(days=3)).isoformat(), "end_date": (now - dt.timedelta(days=2)).isoformat()}

    def legs() -> dict[str, int]:
        return dict(rows(pl, f"SELECT {parent}, count(*) FROM {table} GROUP BY 1"))

    pl.run(source(sb, resources=resources, **day))
    before = legs()
    # the same day read again (a backfill re-fetches every detail); one call now has a leg less
    sb.inject_fault(route, "leg_removed")
    pl.run(source(sb, resources=resources, **day))
    after = legs()
    changed = {call: (n, after.get(call)) for call, n in before.items() if after.get(call) != n}
    assert len(changed) == 1 and [(n - 1) for n, _ in changed.values()] == [m for _, m in changed.values()]
    assert set(after) == set(before)
    assert rows(pl, f"SELECT count(*) - count(DISTINCT {key}) FROM {table}")[0][0] == 0
    # and back: the leg reappears once, not twice
    pl.run(source(sb, resources=resources, **day))
    assert legs() == before


def test_a_vanished_call_is_skipped_with_a_warning(small_sandbox, caplog):
    sb = small_sandbox(days=2, calls_per_day=5)
    real = sb.truth.call_logs(sb.clock.now() - dt.timedelta(days=1), None)[0]["id"]
    gone = "0a1b2c3d-0000-4000-8000-00000000dead"
    client = build_zoom_client(clock=sb.clock)
    with caplog.at_level(logging.WARNING):
        legs = helpers.detail_page(client, CALL_LOG_DETAILS, pa.table({"id": [gone, real]}), 4, "default")
    assert set(legs.column("call_log_id").to_pylist()) == {real}
    assert legs.num_rows == len([leg for leg in sb.truth.call_log_legs() if leg["call_log_id"] == real])
    assert gone in caplog.text and requests_to(sb, "GET /phone/call_logs/{id}", 404)


def test_bad_arguments_say_what_to_type(sandbox_env):
    with pytest.raises(ConfigError, match="call_log_details"):
        zoom_phone(resources=["call_log"], clock=sandbox_env.clock)
    with pytest.raises(ConfigError, match="end_date"):
        source(sandbox_env, start_date="2026-11-01", end_date="2026-10-01")
    with pytest.raises(ConfigError, match="start_date"):
        source(sandbox_env, start_date="yesterday-ish")
    with pytest.raises(ConfigError, match="page_size"):
        source(sandbox_env, page_size=1000)


@pytest.mark.postgres
def test_postgres_gets_the_same_rows_and_types(small_sandbox, pg_dsn, pg_dataset_suffix, tmp_path):
    import dlt
    import psycopg2

    sb = small_sandbox(days=3, calls_per_day=10)
    start = (sb.clock.now() - dt.timedelta(days=2)).isoformat()
    dataset = f"zoom_phone_{pg_dataset_suffix}"
    pl = dlt.pipeline(pipeline_name=f"zp_pg_{pg_dataset_suffix}", destination=dlt.destinations.postgres(pg_dsn),
                      dataset_name=dataset, pipelines_dir=str(tmp_path / "pg_pipelines"))
    try:
        pl.run(source(sb, start_date=start, resources=["call_logs", "call_log_details"]))
        pl.run(source(sb, start_date=start, resources=["call_logs", "call_log_details"]))  # idempotent
        with psycopg2.connect(pg_dsn) as con, con.cursor() as cur:
            cur.execute(f'SELECT count(*), count(DISTINCT id) FROM "{dataset}".call_logs')
            assert cur.fetchone() == (len(sb.truth.call_logs(start, None)),) * 2
            cur.execute("SELECT column_name, data_type FROM information_schema.columns "
                        "WHERE table_schema = %s AND table_name = 'call_logs'", (dataset,))
            types = dict(cur.fetchall())
    finally:
        with psycopg2.connect(pg_dsn) as con, con.cursor() as cur:
            cur.execute(f'DROP SCHEMA IF EXISTS "{dataset}" CASCADE')
            cur.execute(f'DROP SCHEMA IF EXISTS "{dataset}_staging" CASCADE')
    assert {c: types[c] for c in ("call_id", "charge", "date_time", "duration")} == {
        "call_id": "character varying", "charge": "numeric", "date_time": "timestamp with time zone",
        "duration": "bigint"}


def test_a_first_run_with_the_published_defaults_loads_the_unrecorded_calls_too(sandbox_factory, tmp_path):
    """Issue 20.2: `recording_status` defaults to `recorded`; a run that never sends it loads only
    recorded calls. `callpipe run` with the default resources against a sandbox serving the
    definition's defaults (every quirk off) loads every call, checked against each pass's total."""
    sb = sandbox_factory(seed=3, users=4, calls_per_day=12, days=20, cc_calls_per_day=0, zoho_calls_per_day=0,
                         start="2026-11-20T12:00:00Z", enforce_rate_limits=False, **dict.fromkeys(QUIRKS, False))
    out = io.StringIO()
    code = main(["run", "--source", "zoom_phone", "--duckdb-path", str(tmp_path / "w.duckdb"),
                 "--pipelines-dir", str(tmp_path / "pl")], clock=sb.clock, console=Console(out=out, err=out, live=False))
    assert code == 0, out.getvalue()
    client = build_zoom_client(clock=sb.clock)
    totals = {}
    # the run's own list requests (the request plan it logs at its start counts with page_size=1)
    listed = [q for q in requests_to(sb, "GET /phone/call_history") if q.get("page_size") != "1"]
    for q in listed:
        if "next_page_token" not in q:
            params = {"from": q["from"], "to": q["to"], "page_size": 1, "recording_status": q["recording_status"]}
            totals[(q["from"], q["to"], q["recording_status"])] = client.get(
                "/phone/call_history", params, label="heavy")["total_records"]
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        by_status = dict(con.execute("SELECT recording_status, count(*) FROM zoom_phone.call_history "
                                     "GROUP BY 1").fetchall())
    for status in ("recorded", "non_recorded"):
        assert by_status[status] == sum(n for (_, _, s), n in totals.items() if s == status) > 0
    first = min(q["from"] for q in listed)
    assert sum(by_status.values()) == len(sb.truth.call_history(first, None))
