"""Zoom Contact Center voice calls: window, paging, filters, id limits, late (in-progress) engagements."""

from sandbox.clock import fmt_ts

from .conftest import fetch_all, zoom_client


def test_voice_calls_paging_equals_truth(sb, zoom):
    params = {"from": "2026-10-25", "to": "2026-11-20"}
    items, pages = fetch_all(zoom, "/contact_center/voice_calls", "voice_calls", params)
    truth = sb.truth.voice_calls("2026-10-25", "2026-11-21")
    assert [x["engagement_id"] for x in items] == [x["engagement_id"] for x in truth]
    assert pages[0]["total_records"] == len(truth) and pages[0]["page_size"] == 10
    assert set(pages[0]) == {"next_page_token", "page_size", "total_records", "from", "to", "voice_calls"}
    starts = [x["start_time"] for x in items]
    assert starts == sorted(starts)
    results = {x["result"] for x in sb.truth.voice_calls()}
    # documented values, and (quirk_unknown_enums, on by default) a few undocumented ones
    assert {"completed", "short_abandoned", "long_abandoned", "hang_up_calls", "overflowed_to_inbox"} <= results
    assert {"abandoned", "transferred", "voicemail"} <= results
    one = items[0]
    for key in ("engagement_id", "direction", "call_legs", "distributions", "types", "caller_number",
                "callee_number", "start_time", "end_time", "total_duration", "queues", "agents", "flows",
                "recorded", "monitored", "inbox", "result", "charge", "rates", "charge_type"):
        assert key in one


def test_default_window_and_one_month_cut(sb, zoom):
    body = zoom.get("/contact_center/voice_calls").json()
    assert body["from"] == "2026-11-19T12:00:00Z" and body["total_records"] == len(
        sb.truth.voice_calls("2026-11-19T12:00:00Z", "2026-11-20T12:00:01Z"))
    body = zoom.get("/contact_center/voice_calls", params={"from": "2026-08-01", "to": "2026-09-20"}).json()
    assert body["to"] == "2026-08-31"


def test_filters(sb, zoom):
    params = {"from": "2026-10-21", "to": "2026-11-20", "page_size": 100}
    everything, _ = fetch_all(zoom, "/contact_center/voice_calls", "voice_calls", params)
    queue = everything[0]["queues"][0]["queue_id"] if everything[0]["queues"] else next(
        x["queues"][0]["queue_id"] for x in everything if x["queues"])
    agent = next(x["agents"][0]["user_id"] for x in everything if x["agents"])
    cases = {
        "direction": ({"direction": "outbound"}, lambda x: x["direction"] == "outbound"),
        "queue": ({"queue_ids": queue}, lambda x: queue in [q["queue_id"] for q in x["queues"]]),
        "agent": ({"user_ids": agent}, lambda x: agent in [a["user_id"] for a in x["agents"]]),
        "types": ({"types": ["external_callback_call", "external_conference_call"]},
                  lambda x: {"external_callback_call", "external_conference_call"} & set(x["types"])),
        "distribution": ({"distribution": "non_acd"}, lambda x: "non_acd" in x["distributions"]),
        "country": ({"country_iso_codes": "GB"}, lambda x: x["country_name"] == "United Kingdom"),
    }
    for name, (extra, pred) in cases.items():
        got, pages = fetch_all(zoom, "/contact_center/voice_calls", "voice_calls", {**params, **extra})
        expected = [x["engagement_id"] for x in everything if pred(x)]
        assert [x["engagement_id"] for x in got] == expected, name
        assert 0 < len(got) < len(everything), name
    one = everything[3]["engagement_id"]
    got = zoom.get("/contact_center/voice_calls", params={**params, "engagement_id": one}).json()["voice_calls"]
    assert [x["engagement_id"] for x in got] == [one]
    filtered = sb.truth.voice_calls("2026-10-21", "2026-11-21", direction="outbound")
    assert len(filtered) == len([x for x in everything if x["direction"] == "outbound"])


def test_id_list_limits_and_unknown_ids(sb, zoom):
    users = [u.id for u in sb.directory.users]
    ids = ",".join((users * 4)[:21])
    r = zoom.get("/contact_center/voice_calls", params={"user_ids": ids})
    assert r.status_code == 400 and r.json()["code"] == 300
    r = zoom.get("/contact_center/voice_calls", params=[("queue_ids", "x1,x2")] + [("queue_ids", f"q{i}") for i in range(19)])
    assert r.status_code == 400 and r.json()["code"] == 300
    r = zoom.get("/contact_center/voice_calls", params={"queue_ids": "no-such-queue"})
    assert r.status_code == 404 and r.json()["code"] == 1201
    r = zoom.get("/contact_center/voice_calls", params={"user_ids": "no-such-user"})
    assert r.status_code == 404 and r.json()["code"] == 1001
    r = zoom.get("/contact_center/voice_calls", params=[("user_ids", users[0]), ("user_ids", f"{users[1]},{users[2]}")])
    assert r.status_code == 200


def test_unfinished_engagement_is_updated_hours_later(late_engagement):
    sb, late = late_engagement
    with zoom_client(sb) as zoom:
        day = fmt_ts(late.start)[:10]
        params = {"from": day, "to": day, "engagement_id": late.engagement_id}
        first = zoom.get("/contact_center/voice_calls", params=params).json()["voice_calls"]
        assert len(first) == 1
        assert first[0]["end_time"] is None and first[0]["result"] == "in_progress"
        sb.clock.advance(seconds=late.final_vis - late.vis)
        final = zoom.get("/contact_center/voice_calls", params=params).json()["voice_calls"]
        assert final[0]["engagement_id"] == late.engagement_id
        assert final[0]["end_time"] == fmt_ts(late.end) and final[0]["result"] in ("completed", "transferred")
        assert final[0]["start_time"] == first[0]["start_time"]
