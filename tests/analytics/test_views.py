"""The analyst views on a sandbox world loaded into DuckDB and Postgres."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter

import duckdb
import pytest

from pipelines.analytics import CALL_COLUMNS, LEG_COLUMNS, VIEWS, refresh_views
from pipelines.outcomes import OUTCOME_MAP, OUTCOMES
from pipelines.warehouse import Warehouse
from tests.analytics.conftest import SOURCES, drop_pg_schemas, load_world
from tests.analytics.support import WORKED_EXAMPLE_QUERY, doc_columns, doc_queries, norm_rows, run, scalar

DAILY_COLUMNS = ["day", "provider", "direction", "outcome", "calls", "answered", "missed",
                 "total_duration_s", "avg_duration_s", "total_talk_s", "quality_flagged", "source_account"]
WORKED_EXAMPLE = [("call_queue", "Marketing Queue", "forwarded"), ("user", "Ji Won Lee", "missed"),
                  ("user", "Rosario Ramirez", "answered")]


def columns(wh: Warehouse, name: str) -> list[str]:
    return wh.columns(wh.analytics_dataset, name)


# ------------------------------------------------------------------ shape


def test_refresh_makes_the_views_and_the_map(wh):
    assert wh.refreshed == list(VIEWS)
    kinds = dict(wh.query(
        "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = ?",
        [wh.analytics_dataset]))
    assert {v: kinds.get(v) for v in VIEWS} == {v: "VIEW" for v in VIEWS}
    assert kinds.get("outcome_map") == "BASE TABLE"
    assert scalar(wh, "SELECT COUNT(*) FROM analytics.outcome_map") == len(OUTCOME_MAP)
    assert columns(wh, "calls") == [n for n, _ in CALL_COLUMNS]
    assert columns(wh, "call_legs") == [n for n, _ in LEG_COLUMNS]
    assert columns(wh, "calls_daily") == DAILY_COLUMNS


def test_outcomes_are_normalized_values(wh):
    for view in ("calls", "call_legs", "calls_daily"):
        values = {r[0] for r in run(wh, f"SELECT DISTINCT outcome FROM analytics.{view}")}
        assert values <= set(OUTCOMES), view


def test_every_result_in_the_loaded_world_is_mapped(wh):
    others = set(run(wh, "SELECT DISTINCT provider, result_raw FROM analytics.calls WHERE outcome = 'other'"))
    others |= set(run(wh, "SELECT DISTINCT provider, result_raw FROM analytics.call_legs WHERE outcome = 'other'"))
    assert others <= {("zoom_contact_center", "in_progress")}


# ------------------------------------------------------------------ same results on both destinations


@pytest.mark.postgres
@pytest.mark.parametrize("view", VIEWS)
def test_duckdb_and_postgres_give_the_same_rows(duck_wh, pg_wh, view):
    duck = norm_rows(run(duck_wh, f"SELECT * FROM analytics.{view}"))
    pg = norm_rows(run(pg_wh, f"SELECT * FROM analytics.{view}"))
    assert len(duck) == len(pg) > 0
    assert columns(duck_wh, view) == columns(pg_wh, view)
    for a, b in zip(duck, pg, strict=True):
        assert a == b


# ------------------------------------------------------------------ counts reconcile with the raw tables


def test_calls_are_the_distinct_calls_of_the_raw_tables(wh):
    expected = {
        "zoom_phone": scalar(wh, "SELECT COUNT(*) FROM (SELECT COALESCE(call_id, call_history_uuid) AS k "
                                 "FROM zoom_phone.call_history UNION SELECT COALESCE(call_id, id) "
                                 "FROM zoom_phone.call_logs) u"),
        "zoom_contact_center": scalar(wh, "SELECT COUNT(DISTINCT engagement_id) FROM zoom_contact_center.voice_calls"),
        "zoho_voice": scalar(wh, "SELECT COUNT(DISTINCT logid) FROM zoho_voice.call_logs"),
    }
    got = dict(run(wh, "SELECT provider, COUNT(*) FROM analytics.calls GROUP BY provider"))
    assert got == expected
    assert scalar(wh, "SELECT COUNT(*) FROM (SELECT provider, call_id FROM analytics.calls "
                      "GROUP BY provider, call_id HAVING COUNT(*) > 1) d") == 0


def test_zoom_calls_prefer_call_history_and_keep_legacy_only_calls(wh):
    by_table = dict(run(wh, "SELECT source_table, COUNT(*) FROM analytics.calls WHERE provider = 'zoom_phone' "
                            "GROUP BY source_table"))
    assert by_table["call_history"] == scalar(wh, "SELECT COUNT(DISTINCT call_id) FROM zoom_phone.call_history")
    legacy_only = scalar(wh, "SELECT COUNT(DISTINCT call_id) FROM zoom_phone.call_logs WHERE call_id NOT IN "
                             "(SELECT call_id FROM zoom_phone.call_history)")
    assert by_table["call_logs"] == legacy_only > 0
    # a transfer makes two call logs with one call_id: one call, both logs' charge
    two_logs = run(wh, "SELECT call_id, SUM(charge) FROM zoom_phone.call_logs GROUP BY call_id HAVING COUNT(*) > 1")
    assert two_logs, "the sandbox world should contain a transfer"
    charges = dict(run(wh, "SELECT call_id, charge FROM analytics.calls WHERE provider = 'zoom_phone'"))
    for call_id, total in two_logs:
        assert charges[call_id] == total


def test_call_legs_follow_the_documented_rule(wh):
    elements = scalar(wh, "SELECT COUNT(*) FROM zoom_phone.call_elements WHERE call_history_uuid IN "
                          "(SELECT call_history_uuid FROM zoom_phone.call_history)")
    legacy = scalar(wh, "SELECT COUNT(*) FROM zoom_phone.call_log_legs g JOIN zoom_phone.call_logs l "
                        "ON l.id = g.call_log_id WHERE l.call_id NOT IN (SELECT call_id FROM zoom_phone.call_elements)")
    cc = sum(scalar(wh, f"SELECT COUNT(*) FROM zoom_contact_center.{t} WHERE position >= 0")
             for t in ("voice_call_flows", "voice_call_queues", "voice_call_agents"))
    got = dict(run(wh, "SELECT source_table, COUNT(*) FROM analytics.call_legs GROUP BY source_table"))
    assert got.get("call_elements") == elements > 0
    assert got.get("call_log_legs") == legacy > 0
    assert sum(v for k, v in got.items() if k.startswith("voice_call_")) == cc > 0
    assert scalar(wh, "SELECT COUNT(*) FROM analytics.call_legs") == elements + legacy + cc


def test_a_call_in_both_zoom_families_does_not_double_its_legs(wh):
    assert scalar(wh, "SELECT COUNT(*) FROM (SELECT call_id FROM analytics.call_legs WHERE provider = 'zoom_phone' "
                      "GROUP BY call_id HAVING COUNT(DISTINCT source_table) > 1) d") == 0
    # leg_order is 1..n per call, without gaps or repeats
    assert scalar(wh, "SELECT COUNT(*) FROM (SELECT provider, call_id FROM analytics.call_legs "
                      "GROUP BY provider, call_id HAVING MIN(leg_order) <> 1 OR MAX(leg_order) <> COUNT(*) "
                      "OR COUNT(DISTINCT leg_order) <> COUNT(*)) d") == 0
    # every leg belongs to a call of `calls`
    assert scalar(wh, "SELECT COUNT(*) FROM analytics.call_legs l WHERE NOT EXISTS (SELECT 1 FROM analytics.calls c "
                      "WHERE c.provider = l.provider AND c.call_id = l.call_id)") == 0


def test_calls_daily_adds_up_to_calls(wh):
    totals = run(wh, "SELECT SUM(calls), SUM(answered), SUM(missed), SUM(total_duration_s) FROM analytics.calls_daily")
    direct = run(wh, "SELECT COUNT(*), SUM(CASE WHEN outcome = 'answered' THEN 1 ELSE 0 END), "
                     "SUM(CASE WHEN outcome = 'missed' THEN 1 ELSE 0 END), SUM(duration_s) FROM analytics.calls")
    assert [int(v) for v in totals[0]] == [int(v) for v in direct[0]]


def test_calls_daily_days_are_utc_whatever_the_session_time_zone(duck_wh):
    with duckdb.connect(duck_wh.location, read_only=True) as con:
        con.execute("SET TimeZone = 'Pacific/Auckland'")
        daily = dict(con.execute("SELECT day, SUM(calls) FROM analytics.calls_daily GROUP BY day").fetchall())
        starts = [r[0] for r in con.execute("SELECT started_at FROM analytics.calls").fetchall()]
    expected = Counter(s.astimezone(dt.UTC).date() for s in starts)
    assert {d: int(n) for d, n in daily.items()} == dict(expected)


# ------------------------------------------------------------------ the worked example and the doc's queries


def test_worked_example_query_returns_the_three_legs(wh, analytics_sandbox):
    rows = run(wh, doc_queries()[WORKED_EXAMPLE_QUERY])
    assert [(r[1], r[2], r[3]) for r in rows] == WORKED_EXAMPLE
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)
    truth = analytics_sandbox.truth.marketing_hotline
    names = {u["id"]: u["name"] for u in analytics_sandbox.truth.users()}
    answered = [r[2] for r in rows if r[3] == "answered"]
    assert answered == [names[truth["answered_user_id"]]]
    assert [r[2] for r in rows if r[3] == "missed"] == [names[truth["missed_user_id"]]]
    # the call entered through the Marketing Hotline auto receptionist
    entry = run(wh, "SELECT target_name FROM analytics.call_legs WHERE call_id = '696165649876346057' "
                    "AND leg_order = 1")
    assert entry == [("Marketing Hotline",)]


def test_worked_example_from_the_legacy_family_alone(analytics_sandbox, tmp_path):
    wh = Warehouse.duckdb(tmp_path / "legacy.duckdb", pipelines_dir=tmp_path / "pipelines")
    load_world(wh, analytics_sandbox, legacy_only=True)
    refresh_views(wh)
    rows = run(wh, doc_queries()[WORKED_EXAMPLE_QUERY])
    assert [(r[1], r[2], r[3]) for r in rows] == WORKED_EXAMPLE
    assert run(wh, "SELECT DISTINCT source_table FROM analytics.call_legs") == [("call_log_legs",)]
    assert run(wh, "SELECT callee_name, outcome, recorded FROM analytics.calls "
                   "WHERE call_id = '696165649876346057'") == [("Marketing Hotline", "answered", True)]


def test_no_impossible_value_and_every_answered_leg_has_its_talk_time(wh):
    for view, cols in (("calls", ("duration_s", "talk_s")), ("call_legs", ("ring_s", "wait_s", "hold_s", "talk_s"))):
        negative = " OR ".join(f"{c} < 0" for c in cols)
        assert scalar(wh, f"SELECT count(*) FROM analytics.{view} WHERE {negative}") == 0, view
    # call elements carry no talk time: it comes from their times, for every answered leg
    assert scalar(wh, "SELECT count(*) FROM analytics.call_legs WHERE source_table = 'call_elements' "
                      "AND answered_at IS NOT NULL AND ended_at IS NOT NULL") > 0
    assert scalar(wh, "SELECT count(*) FROM analytics.call_legs WHERE source_table = 'call_elements' "
                      "AND answered_at IS NOT NULL AND ended_at IS NOT NULL AND talk_s IS NULL "
                      "AND quality_flags IS NULL") == 0
    # a flagged row says why, with the documented names only
    names = {"end_before_start", "answer_before_start", "end_before_answer", "negative_duration", "negative_talk",
             "negative_hold", "negative_wait"}
    for view in ("calls", "call_legs"):
        seen = {f for (v,) in run(wh, f"SELECT DISTINCT quality_flags FROM analytics.{view} "
                                      "WHERE quality_flags IS NOT NULL") for f in v.split(",")}
        assert seen <= names, view


@pytest.mark.parametrize("name", sorted(doc_queries()))
def test_documented_queries_run_and_return_rows(wh, name):
    assert run(wh, doc_queries()[name]), name


def test_data_dictionary_columns_match_the_tables(duck_wh):
    documented = doc_columns()
    for view in VIEWS + ("outcome_map",):
        assert documented[f"analytics.{view}"] == columns(duck_wh, view), view
    checked = set()
    for source in SOURCES:
        for table in duck_wh.tables(source):
            if table.startswith("_dlt"):
                continue
            name = f"{source}.{table}"
            if name not in documented:
                continue  # tables the sources add later (users, user syncs...) are documented when loaded
            missing = set(documented[name]) - set(duck_wh.columns(source, table))
            assert not missing, f"{name}: documented columns not in the table: {sorted(missing)}"
            checked.add(name)
    # the loaded world's main tables are documented (so the loop above compared something)
    assert {"zoom_phone.call_history", "zoom_phone.call_logs", "zoom_contact_center.voice_calls",
            "zoho_voice.call_logs"} <= checked


# ------------------------------------------------------------------ refresh at any stage


def test_refresh_is_repeatable(wh):
    before = scalar(wh, "SELECT COUNT(*) FROM analytics.calls")
    assert refresh_views(wh) == list(VIEWS)
    assert scalar(wh, "SELECT COUNT(*) FROM analytics.calls") == before
    assert scalar(wh, "SELECT COUNT(*) FROM analytics.outcome_map") == len(OUTCOME_MAP)


def test_views_exist_before_anything_is_loaded(tmp_path):
    wh = Warehouse.duckdb(tmp_path / "empty.duckdb", pipelines_dir=tmp_path / "pipelines")
    assert refresh_views(wh) == list(VIEWS)
    for view in VIEWS:
        assert scalar(wh, f"SELECT COUNT(*) FROM analytics.{view}") == 0
    assert columns(wh, "calls") == [n for n, _ in CALL_COLUMNS]


@pytest.mark.postgres
def test_postgres_replaces_views_whose_columns_changed(pg_dsn, tmp_path):
    suffix = uuid.uuid4().hex[:8]
    wh = Warehouse.postgres(pg_dsn, datasets={s: f"{s}_{suffix}" for s in SOURCES},
                            analytics_dataset=f"analytics_{suffix}", pipelines_dir=tmp_path / "pipelines")
    a = wh.analytics_dataset
    try:
        wh.execute([f"CREATE SCHEMA {a}", f"CREATE VIEW {a}.calls AS SELECT 1 AS old_column",
                    f"CREATE VIEW {a}.calls_daily AS SELECT old_column FROM {a}.calls"])
        assert refresh_views(wh) == list(VIEWS)
        assert columns(wh, "calls") == [n for n, _ in CALL_COLUMNS]
        assert columns(wh, "calls_daily") == DAILY_COLUMNS
        assert refresh_views(wh) == list(VIEWS)  # and again, in place
    finally:
        drop_pg_schemas(wh)
