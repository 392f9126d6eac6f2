"""Contact Center queue and agent views (issue 18) on the sandbox world loaded into DuckDB and Postgres:
every metric of one day equals what the test computes itself from the engagement dataset's JSON."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict

import pytest

from pipelines.analytics import AGENT_DAILY_COLUMNS, QUEUE_DAILY_COLUMNS, refresh_views
from tests.analytics.support import run

SL_SECONDS = 20


def p90(values: list[float]) -> float | None:
    """percentile_cont(0.9): linear interpolation between the closest ranks."""
    if not values:
        return None
    values = sorted(values)
    pos = 0.9 * (len(values) - 1)
    lo, hi = math.floor(pos), math.ceil(pos)
    return values[lo] + (values[hi] - values[lo]) * (pos - lo)


def mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def served_day(sb, day: dt.date) -> list[dict]:
    start = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    return sb.truth.engagements(start, start + dt.timedelta(days=1))


def busiest_day(sb) -> dt.date:
    now = sb.clock.now()
    days = [(now - dt.timedelta(days=n)).date() for n in range(1, 6)]
    return max(days, key=lambda d: sum(e["direction"] == "inbound" for e in served_day(sb, d)))


def expected_queue_rows(engagements: list[dict], day: dt.date, sl: int) -> dict[str, dict]:
    groups: dict[str, list[dict]] = defaultdict(list)
    names = {}
    for e in engagements:
        if e["direction"] != "inbound" or not e["queues"]:
            continue
        queue = e["queues"][-1]  # the queue that finished it
        groups[queue["queue_id"]].append(e)
        names[queue["queue_id"]] = queue["queue_name"]
    out = {}
    for queue_id, rows in groups.items():
        handled = [e for e in rows if e["conversation_duration"] + e["hold_duration"] > 0]
        waits = [(e["duration"] - e["conversation_duration"] - e["hold_duration"]) / 1000 for e in rows]
        within = sum(1 for e in handled
                     if (e["duration"] - e["conversation_duration"] - e["hold_duration"]) / 1000 <= sl)
        abandoned = sum(1 for e in rows if e["abandoned_count"] > 0)
        out[queue_id] = {
            "day": day, "queue_id": queue_id, "queue_name": names[queue_id], "offered": len(rows),
            "handled": len(handled), "abandoned": abandoned, "abandon_rate": abandoned / len(rows),
            "avg_wait_s": mean(waits), "p90_wait_s": p90(waits),
            "avg_handle_s": mean([e["handle_duration"] / 1000 for e in handled]),
            "avg_hold_s": mean([e["hold_duration"] / 1000 for e in handled]),
            "avg_wrap_up_s": mean([e["wrap_up_duration"] / 1000 for e in handled]),
            "transfers": sum(e["transfer_initiated_count"] for e in rows),
            "answered_within_sl": within, "service_level": within / len(rows), "service_level_seconds": sl,
            "source_account": "default",
        }
    return out


def close(a, b) -> bool:
    if isinstance(b, float) or isinstance(a, float):
        return a is not None and b is not None and math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(a, dt.datetime):
        a = a.date()
    return a == b


def test_cc_queue_daily_equals_the_served_json_for_the_busiest_day(wh, analytics_sandbox):
    sb = analytics_sandbox
    day = busiest_day(sb)
    expected = expected_queue_rows(served_day(sb, day), day, SL_SECONDS)
    names = [n for n, _ in QUEUE_DAILY_COLUMNS]
    rows = [dict(zip(names, r, strict=True)) for r in run(
        wh, f"SELECT {', '.join(names)} FROM analytics.cc_queue_daily WHERE day = DATE '{day.isoformat()}'")]
    assert len(expected) >= 2 and sum(r["offered"] for r in expected.values()) >= 5
    assert sum(r["abandoned"] for r in expected.values()) + sum(r["transfers"] for r in expected.values()) > 0
    assert {r["queue_id"] for r in rows} == set(expected)
    for row in rows:
        want = expected[row["queue_id"]]
        wrong = {k: (row[k], want[k]) for k in names if not close(row[k], want[k])}
        assert not wrong, (row["queue_id"], wrong)


def test_cc_agent_daily_equals_the_served_json_for_the_busiest_day(wh, analytics_sandbox):
    sb = analytics_sandbox
    day = busiest_day(sb)
    expected: dict[str, dict] = {}
    for e in served_day(sb, day):
        if e["conversation_duration"] + e["hold_duration"] <= 0:
            continue
        for i, user in enumerate(e["users"]):
            row = expected.setdefault(user["user_id"], defaultdict(float, user_name=user["user_name"],
                                                                   source_account="default"))
            row["handled"] += 1
            row["total_talk_s"] += e["conversation_duration"] / 1000
            row["total_hold_s"] += e["hold_duration"] / 1000
            row["total_wrap_up_s"] += e["wrap_up_duration"] / 1000
            row["total_handle_s"] += e["handle_duration"] / 1000
            passed_on = i < len(e["users"]) - 1 or len(e["users"]) == 1
            row["transfers_initiated"] += e["transfer_initiated_count"] if passed_on else 0
            row["transfers_completed"] += e["transfer_completed_count"] if passed_on else 0
    names = [n for n, _ in AGENT_DAILY_COLUMNS]
    rows = [dict(zip(names, r, strict=True)) for r in run(
        wh, f"SELECT {', '.join(names)} FROM analytics.cc_agent_daily WHERE day = DATE '{day.isoformat()}'")]
    assert expected and {r["user_id"] for r in rows} == set(expected)
    for row in rows:
        want = expected[row["user_id"]]
        want["avg_handle_s"] = want["total_handle_s"] / want["handled"]
        for k in names[2:]:
            assert close(row[k], want[k]), (row["user_id"], k, row[k], want[k])


def test_service_level_seconds_comes_from_the_config(wh, monkeypatch):
    monkeypatch.setenv("ANALYTICS__SERVICE_LEVEL_SECONDS", "600")
    try:
        refresh_views(wh)
        rows = run(wh, "SELECT DISTINCT service_level_seconds FROM analytics.cc_queue_daily")
        assert rows == [(600,)]
        # nearly every handled engagement was answered within 10 minutes
        assert run(wh, "SELECT SUM(answered_within_sl) = SUM(handled) FROM analytics.cc_queue_daily") == [(True,)]
    finally:
        monkeypatch.delenv("ANALYTICS__SERVICE_LEVEL_SECONDS")
        refresh_views(wh)
    assert run(wh, "SELECT DISTINCT service_level_seconds FROM analytics.cc_queue_daily") == [(SL_SECONDS,)]


def test_a_bad_service_level_setting_names_the_key(wh, monkeypatch):
    from sources.common.errors import ConfigError

    monkeypatch.setenv("ANALYTICS__SERVICE_LEVEL_SECONDS", "soon")
    with pytest.raises(ConfigError, match="ANALYTICS__SERVICE_LEVEL_SECONDS"):
        refresh_views(wh)


def test_calls_carry_the_engagement_talk_time(wh):
    rows = run(wh, "SELECT c.talk_s, CAST((e.conversation_duration_ms + e.hold_duration_ms) / 1000 AS BIGINT) "
                   "FROM analytics.calls c JOIN zoom_contact_center.engagements e ON e.engagement_id = c.call_id "
                   "WHERE c.provider = 'zoom_contact_center'")
    assert len(rows) > 10 and all(a == b for a, b in rows)
    assert any(a > 0 for a, _ in rows)
    daily = run(wh, "SELECT SUM(total_talk_s) FROM analytics.calls_daily WHERE provider = 'zoom_contact_center'")
    assert daily[0][0] == sum(a for a, _ in rows)
