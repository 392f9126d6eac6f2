"""Contact Center detail view and CX Analytics engagement routes: one story per engagement, told the
same way by every route (ids, queues, agents, durations that add up), times in the asked zone."""

from __future__ import annotations

import datetime as dt

from sandbox.clock import fmt_ts
from sources.common.shaping import parse_money, parse_ts
from tests.contract import spec

from .conftest import fetch_all, zoom_client

VOICE = "/contact_center/voice_calls"
ACCOUNT = "/accounts/sandbox-account/contact_center/voice_calls"
DATASET = "/contact_center/analytics/dataset/historical/engagement"
LOG = "/contact_center/analytics/log/historical/engagement"
MONTH = {"from": "2026-10-21T00:00:00Z", "to": "2026-11-20T00:00:00Z", "page_size": 100}
LOG_MONTH = {"start_time_from": MONTH["from"], "start_time_to": MONTH["to"], "page_size": 100}
ABANDONED = {"short_abandoned", "long_abandoned", "abandoned"}


def _by_id(items: list[dict]) -> dict[str, dict]:
    return {x["engagement_id"]: x for x in items}


def test_dataset_tells_the_voice_calls_story_and_its_durations_add_up(make_sb):
    sb = make_sb(cc_calls_per_day=40, days=40)
    with zoom_client(sb) as zoom:
        calls = _by_id(fetch_all(zoom, VOICE, "voice_calls", MONTH)[0])
        rows, pages = fetch_all(zoom, DATASET, "engagements", MONTH)
    closed = {k: v for k, v in calls.items() if v["result"] != "in_progress"}
    assert len(rows) == pages[0]["total_records"] == len(closed) > 800
    assert set(_by_id(rows)) == set(closed)
    # the definition's unit of `duration` is the millisecond; total_duration is in seconds
    props = spec.response_schema(DATASET)["properties"]["engagements"]["items"]["properties"]
    assert "milliseconds" in props["duration"]["description"]
    seen = set()
    for row in rows:
        call = closed[row["engagement_id"]]
        assert row["start_time"] == call["start_time"] and row["end_time"] == call["end_time"]
        assert row["duration"] == call["total_duration"] * 1000
        assert [q["queue_id"] for q in row["queues"]] == [q["cc_queue_id"] for q in call["queues"]]
        assert [(u["user_id"], u["user_name"]) for u in row["users"]] == [
            (a["user_id"], a["display_name"]) for a in call["agents"]]
        talk = row["conversation_duration"] + row["hold_duration"]
        wait = row["duration"] - talk
        assert wait >= 0 and row["conversation_duration"] >= 0
        assert row["handle_duration"] == talk + row["wrap_up_duration"]
        assert (row["hold_count"] > 0) == (row["hold_duration"] > 0)
        if call["result"] in ABANDONED:
            assert row["abandoned_count"] == 1 and row["users"] == [] and row["handle_duration"] == 0
            seen.add("abandoned")
        else:
            assert row["abandoned_count"] == 0
        if not row["users"]:
            assert row["handle_duration"] == 0 and talk == 0
        if row["transfer_completed_count"]:
            assert len(row["users"]) == 2 and row["transfer_initiated_count"] == 1
            assert row["warm_transfer_completed_count"] + row["direct_transfer_count"] == 1
            assert row["warm_transfer_duration"] <= row["hold_duration"]
            seen.add("warm" if row["warm_transfer_completed_count"] else "direct")
        else:
            assert len(row["users"]) <= 1
        if row["hold_count"]:
            seen.add("hold")
        if talk and wait:
            seen.add("waited, then answered")
    assert seen == {"abandoned", "warm", "direct", "hold", "waited, then answered"}


def test_detail_view_has_one_leg_per_call_leg_and_the_summary_none(make_sb):
    sb = make_sb(quirk_late_arrivals=False)
    with zoom_client(sb) as zoom:
        summary = fetch_all(zoom, VOICE, "voice_calls", MONTH)[0]
        detail, _ = fetch_all(zoom, ACCOUNT, "voice_calls", {**MONTH, "view_type": "detail"})
        plain, _ = fetch_all(zoom, ACCOUNT, "voice_calls", MONTH)
        pacific, _ = fetch_all(zoom, ACCOUNT, "voice_calls", {**MONTH, "from": "2026-10-20T17:00:00-07:00"})
        assert zoom.get(ACCOUNT.replace("sandbox-account", "other"), params=MONTH).json()["code"] == 2001
        bad = zoom.get(ACCOUNT, params={**MONTH, "view_type": "full"})
        assert bad.status_code == 400 and bad.json()["code"] == 300
    assert [x["engagement_id"] for x in detail] == [x["engagement_id"] for x in summary]
    assert all("voice_call_details" not in x and "sub_types" not in x for x in plain)
    transfers = 0
    for call, full in zip(summary, detail, strict=True):
        legs = full["voice_call_details"]
        assert full["start_time"] == call["start_time"].replace("Z", "+00:00")
        assert len(legs) == len(full["call_legs"]) == len(full["rates"])
        assert [leg["call_leg"] for leg in legs] == full["call_legs"]
        assert sum(leg["total_duration"] for leg in legs) == full["total_duration"]
        assert sum(parse_money(leg["charge"]) for leg in legs) == parse_money(full["charge"])
        assert [leg["rate"] for leg in legs] == full["rates"]
        assert [a for leg in legs for a in leg["agents"]] == full["agents"]
        assert legs[0]["start_time"] == full["start_time"] and legs[-1]["end_time"] == full["end_time"]
        if len(legs) == 2:
            transfers += 1
            assert full["sub_types"][0] in ("external_warm_transfer_call", "external_direct_transfer_call")
            assert legs[0]["end_time"] == legs[1]["start_time"]
    assert transfers > 5
    # times carry the offset `from` was given with
    assert all(x["start_time"].endswith("-07:00") for x in pacific)
    assert {parse_ts(x["start_time"]) for x in pacific} >= {parse_ts(x["start_time"]) for x in plain}


def test_timezone_reads_the_window_and_renders_the_times_in_that_zone(sb):
    with zoom_client(sb) as zoom:
        utc, _ = fetch_all(zoom, DATASET, "engagements", {"from": "2026-11-10T08:00:00Z",
                                                          "to": "2026-11-12T07:59:59Z"})
        local, pages = fetch_all(zoom, DATASET, "engagements", {"from": "2026-11-10", "to": "2026-11-11",
                                                                "timezone": "America/Los_Angeles"})
        logs, _ = fetch_all(zoom, LOG, "engagement_logs", {"start_time_from": "2026-11-10T00:00:00",
                                                           "start_time_to": "2026-11-11T23:59:59",
                                                           "timezone": "America/Los_Angeles"})
        bad = zoom.get(DATASET, params={"timezone": "Mars/Olympus_Mons"})
    assert pages[0]["timezone"] == "America/Los_Angeles"
    assert all(x["start_time"].endswith("Z") for x in utc)
    assert all(x["start_time"].endswith("-08:00") and x["end_time"].endswith("-08:00") for x in local + logs)
    assert [x["engagement_id"] for x in local] == [x["engagement_id"] for x in utc] == [
        x["engagement_id"] for x in logs]
    assert [parse_ts(x["start_time"]) for x in local] == [parse_ts(x["start_time"]) for x in utc]
    assert len(utc) > 5
    assert bad.status_code == 400 and bad.json()["code"] == 300


def test_analytics_paging_windows_and_15_minute_tokens(sb):
    with zoom_client(sb) as zoom:
        for path, key, params in ((DATASET, "engagements", {"from": "2026-11-01T00:00:00Z", "to": "2026-11-15T00:00:00Z"}),
                                  (LOG, "engagement_logs", {"start_time_from": "2026-11-01T00:00:00Z",
                                                            "start_time_to": "2026-11-15T00:00:00Z"})):
            items, pages = fetch_all(zoom, path, key, {**params, "page_size": 7})
            truth = (sb.truth.engagements if path == DATASET else sb.truth.engagement_logs)(
                "2026-11-01", "2026-11-15T00:00:01Z")
            assert items == truth and len(pages) >= 10
            assert pages[0]["page_size"] == 7 and pages[0]["total_records"] == len(truth)
            assert all(len(p["next_page_token"]) <= 100 for p in pages)
            first = zoom.get(path, params=params).json()
            assert first["page_size"] == 30  # the default
            token = first["next_page_token"]
            sb.clock.advance(minutes=16)
            expired = zoom.get(path, params={"next_page_token": token})
            assert expired.status_code == 400 and expired.json()["code"] == 300
        cut = zoom.get(DATASET, params={"from": "2026-08-01T00:00:00Z", "to": "2026-09-20T00:00:00Z"}).json()
        assert cut["to"] == "2026-08-31T23:59:59Z"
        old = zoom.get(DATASET, params={"from": "2026-04-01T00:00:00Z", "to": "2026-04-02T00:00:00Z"})
        assert old.status_code == 400 and old.json()["code"] == 300
        last_day = zoom.get(LOG).json()  # no window: the last 24 hours
        assert last_day["total_records"] == len(sb.truth.engagement_logs(sb.clock.now() - dt.timedelta(days=1)))


def test_log_carries_events_flows_dispositions_and_customer_data(make_sb):
    sb = make_sb(cc_calls_per_day=40, days=40)
    with zoom_client(sb) as zoom:
        logs = _by_id(fetch_all(zoom, LOG, "engagement_logs", LOG_MONTH)[0])
        rows = _by_id(fetch_all(zoom, DATASET, "engagements", MONTH)[0])
        calls = _by_id(fetch_all(zoom, VOICE, "voice_calls", MONTH)[0])
        by_end, _ = fetch_all(zoom, LOG, "engagement_logs", {"end_time_from": "2026-11-19T00:00:00Z",
                                                             "end_time_to": "2026-11-19T23:59:59Z"})
    assert set(logs) == set(rows)
    for eid, log in logs.items():
        row, call = rows[eid], calls[eid]
        names = [e["event_name"] for e in log["events"]]
        assert names[0] == "engagement.start" and "engagement.end" in names
        assert (names.count("agent.answer") == 2) == bool(row["transfer_completed_count"])
        assert log["flows"] == call["flows"] and log["users"] == row["users"] and log["queues"] == row["queues"]
        assert log["duration"] == row["duration"] and log["hold_duration"] == row["hold_duration"]
        assert log["voicemail_count"] == (call["inbox"] and 1 or 0)
        assert ("transcript_url" in log) == call["recorded"]
        assert bool(log["dispositions"]) == (row["handle_duration"] > 0)
        for note in log["notes"]:
            assert note["user_id"] == row["users"][0]["user_id"] and note["note_content"]
    assert sum(bool(x["notes"]) for x in logs.values()) > 20
    assert by_end and all(x["end_time"].startswith("2026-11-19") for x in by_end)


def test_late_closing_engagement_reaches_the_datasets_hours_later(late_engagement):
    sb, late = late_engagement
    with zoom_client(sb) as zoom:
        day = fmt_ts(late.start)[:10]
        window = {"from": day + "T00:00:00Z", "to": day + "T23:59:59Z", "engagement_id": late.engagement_id}
        log_window = {"start_time_from": window["from"], "start_time_to": window["to"],
                      "engagement_id": late.engagement_id}
        listed = zoom.get(VOICE, params=window).json()["voice_calls"]
        assert [x["result"] for x in listed] == ["in_progress"]
        assert zoom.get(DATASET, params=window).json()["engagements"] == []
        assert zoom.get(LOG, params=log_window).json()["engagement_logs"] == []
        sb.clock.advance(seconds=late.final_vis - late.vis)
        (row,) = zoom.get(DATASET, params=window).json()["engagements"]
        (log,) = zoom.get(LOG, params=log_window).json()["engagement_logs"]
        (call,) = zoom.get(VOICE, params=window).json()["voice_calls"]
        assert row["engagement_id"] == log["engagement_id"] == late.engagement_id
        assert row["duration"] == call["total_duration"] * 1000 > 0


def test_missing_report_scope_answers_like_zoom_and_voice_calls_still_work(make_sb):
    for status in (401, 403):
        sb = make_sb(zoom_missing_scopes=("contact_center_report:read:admin",), zoom_missing_scope_status=status)
        with zoom_client(sb) as zoom:
            for path in (DATASET, LOG):
                r = zoom.get(path)
                assert r.status_code == status, path
                assert r.json()["code"] == 4711
                assert "does not contain scopes:[contact_center_report:read:admin" in r.json()["message"]
            assert zoom.get(VOICE).status_code == 200
            assert zoom.get(ACCOUNT).status_code == 200


def test_truth_accessors_and_admin_route_equal_what_is_served(sb):
    import httpx

    with zoom_client(sb) as zoom:
        rows, _ = fetch_all(zoom, DATASET, "engagements", MONTH)
        detail, _ = fetch_all(zoom, ACCOUNT, "voice_calls", {**MONTH, "view_type": "detail"})
        queue = rows[0]["queues"][0]["queue_id"]
        by_queue, _ = fetch_all(zoom, DATASET, "engagements", {**MONTH, "queue_id": queue})
    end = "2026-11-20T00:00:01Z"
    assert sb.truth.engagements(MONTH["from"], end) == rows
    assert sb.truth.voice_calls(MONTH["from"], end, view_type="detail") == detail
    assert sb.truth.engagements(MONTH["from"], end, queue_id=queue) == by_queue
    assert 0 < len(by_queue) < len(rows)
    admin = httpx.get(f"{sb.url}/_sandbox/truth/engagement_logs", params={"start": MONTH["from"], "end": end,
                                                                          "count_only": 1}).json()
    assert admin == {"count": len(rows)}
    admin = httpx.get(f"{sb.url}/_sandbox/truth/engagements", params={"start": MONTH["from"], "end": end,
                                                                      "timezone": "Asia/Tokyo"}).json()
    assert admin["count"] == len(rows) and admin["items"][0]["start_time"].endswith("+09:00")


def test_the_new_routes_share_the_heavy_limit(make_sb):
    sb = make_sb(enforce_rate_limits=True)  # frozen clock: every request in the same second
    with zoom_client(sb) as zoom:
        statuses = [zoom.get(path).status_code for path in (DATASET, LOG, ACCOUNT, VOICE) * 3]
        limited = zoom.get(DATASET)
    assert statuses[:10] == [200] * 10 and set(statuses[10:]) == {429}
    assert limited.status_code == 429 and limited.headers["X-RateLimit-Category"] == "Heavy"
