"""Zoom OAuth, windows (one month, six months, last 24 h), page tokens, totals = truth."""

import base64

import httpx

from .conftest import fetch_all, zoom_client, zoom_token


def test_token_success_and_errors(sb):
    r = httpx.post(sb.zoom_token_url, data={"grant_type": "account_credentials", "account_id": "sandbox-account"},
                   auth=("sandbox-client-id", "sandbox-client-secret"))
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600 and body["access_token"]
    assert r.headers["content-type"].startswith("application/json")
    bad = httpx.post(sb.zoom_token_url, params={"grant_type": "account_credentials", "account_id": "sandbox-account"},
                     auth=("sandbox-client-id", "nope"))
    assert bad.status_code == 401
    assert bad.json() == {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}
    assert sb.requests["POST /oauth/token"] == 2


def test_bearer_required_and_tokens_expire(sb):
    url = sb.zoom_base_url + "/phone/users"
    for headers in ({}, {"Authorization": "Bearer made-up"}, {"Authorization": "Basic abc"}):
        r = httpx.get(url, headers=headers)
        assert r.status_code == 401
        assert r.json() == {"code": 124, "message": "Invalid access token."}
    t1 = zoom_token(sb)
    sb.clock.advance(seconds=1800)
    t2 = zoom_token(sb)  # several tokens live at once
    for t in (t1, t2):
        assert httpx.get(url, headers={"Authorization": f"Bearer {t}"}).status_code == 200
    sb.clock.advance(seconds=1800)  # t1 is now 3600 s old
    assert httpx.get(url, headers={"Authorization": f"Bearer {t1}"}).json()["code"] == 124
    assert httpx.get(url, headers={"Authorization": f"Bearer {t2}"}).status_code == 200


def test_45_day_window_is_cut_to_one_month(sb, zoom):
    r = zoom.get("/phone/call_logs", params={"from": "2026-09-01", "to": "2026-10-15", "page_size": 300})
    body = r.json()
    assert r.status_code == 200
    assert body["from"] == "2026-09-01" and body["to"] == "2026-09-30"
    truth = sb.truth.call_logs("2026-09-01", "2026-10-01")
    assert body["total_records"] == len(truth) > 0
    assert [x["id"] for x in body["call_logs"]] == [x["id"] for x in truth][:300]
    r = zoom.get("/phone/call_history", params={"from": "2026-09-10T06:00:00Z", "to": "2026-11-01T00:00:00Z"})
    assert r.json()["to"] == "2026-10-10T05:59:59Z"
    recorded = [x for x in sb.truth.call_history("2026-09-10T06:00:00Z", "2026-10-10T06:00:00Z")
                if x["recording_status"] == "recorded"]  # recording_status defaults to `recorded`
    assert r.json()["total_records"] == len(recorded) > 0


def test_window_older_than_six_months_is_refused(zoom):
    ok = zoom.get("/phone/call_logs", params={"from": "2026-05-20", "to": "2026-06-10"})
    assert ok.status_code == 200
    for path in ("/phone/call_logs", "/phone/call_history", "/contact_center/voice_calls"):
        r = zoom.get(path, params={"from": "2026-05-19", "to": "2026-06-10"})
        assert r.status_code == 400, path
        assert r.json()["code"] == 300
    r = zoom.get("/phone/call_logs", params={"from": "2026-11-10", "to": "2026-11-01"})
    assert r.status_code == 400 and r.json()["code"] == 300
    r = zoom.get("/phone/call_logs", params={"from": "yesterday", "to": "2026-11-01"})
    assert r.status_code == 400 and r.json()["code"] == 300


def test_default_window_is_last_24_hours(sb, zoom):
    body = zoom.get("/phone/call_logs", params={"page_size": 300}).json()
    assert body["from"] == "2026-11-19T12:00:00Z" and body["to"] == "2026-11-20T12:00:00Z"
    truth = sb.truth.call_logs("2026-11-19T12:00:00Z", "2026-11-20T12:00:01Z")
    assert body["total_records"] == len(truth) > 0
    assert [x["id"] for x in body["call_logs"]] == [x["id"] for x in truth]


def test_date_only_to_includes_the_whole_day_and_order_is_ascending(sb, zoom):
    items, pages = fetch_all(zoom, "/phone/call_logs", "call_logs",
                             {"from": "2026-11-01", "to": "2026-11-19", "page_size": 7})
    truth = sb.truth.call_logs("2026-11-01", "2026-11-20")
    assert [x["id"] for x in items] == [x["id"] for x in truth]
    assert all(p["total_records"] == len(truth) for p in pages)
    assert all(p["page_count"] == -(-len(truth) // 7) for p in pages)
    times = [x["date_time"] for x in items]
    assert times == sorted(times)
    assert any(t.startswith("2026-11-19T2") for t in times)
    assert sb.requests["GET /phone/call_logs"] == len(pages)


def test_time_type_end_and_missed_filter(sb, zoom):
    params = {"from": "2026-11-10", "to": "2026-11-12", "page_size": 300}
    missed = zoom.get("/phone/call_logs", params={**params, "type": "missed"}).json()["call_logs"]
    assert missed and all(x["direction"] == "inbound" and x["result"] != "Call connected" for x in missed)
    by_end = zoom.get("/phone/call_logs", params={**params, "time_type": "endTime"}).json()["call_logs"]
    ends = [x["call_end_time"] for x in by_end]
    assert ends == sorted(ends) and all("2026-11-10" <= e[:10] <= "2026-11-12" for e in ends)


def test_page_token_expires_after_15_minutes(sb, zoom):
    params = {"from": "2026-11-01", "to": "2026-11-19", "page_size": 5}
    first = zoom.get("/phone/call_logs", params=params).json()
    assert first["next_page_token"]
    sb.clock.advance(seconds=899)
    second = zoom.get("/phone/call_logs", params={**params, "next_page_token": first["next_page_token"]})
    assert second.status_code == 200
    sb.clock.advance(seconds=901)  # the second page's token was issued 0 s ago; the first one is 30 min old
    r = zoom.get("/phone/call_logs", params={**params, "next_page_token": second.json()["next_page_token"]})
    assert r.status_code == 400
    assert r.json() == {"code": 300, "message": "The next page token is invalid or expired."}
    r = zoom.get("/phone/call_logs", params={**params, "next_page_token": "garbage"})
    assert r.status_code == 400 and r.json()["code"] == 300


def test_exactly_full_last_page_leads_to_an_empty_page(sb, zoom):
    truth = sb.truth.call_logs("2026-11-01", "2026-11-20")
    n = len(truth)
    divisor = next(d for d in range(2, n) if n % d == 0)
    size = n // divisor
    items, pages = fetch_all(zoom, "/phone/call_logs", "call_logs",
                             {"from": "2026-11-01", "to": "2026-11-19", "page_size": size})
    assert len(items) == n
    assert pages[-1]["call_logs"] == [] and pages[-1]["next_page_token"] == ""
    assert len(pages) == divisor + 1


def test_empty_last_page_quirk_can_be_switched_off(make_sb):
    sb = make_sb(quirk_empty_last_page=False)
    n = len(sb.truth.call_logs("2026-11-01", "2026-11-20"))
    divisor = next(d for d in range(2, n) if n % d == 0)
    with zoom_client(sb) as zoom:
        _, pages = fetch_all(zoom, "/phone/call_logs", "call_logs",
                             {"from": "2026-11-01", "to": "2026-11-19", "page_size": n // divisor})
    assert len(pages) == divisor and pages[-1]["call_logs"]


def test_page_size_limits(zoom):
    assert zoom.get("/phone/call_logs", params={"from": "2026-11-01", "to": "2026-11-19"}).json()["page_size"] == 30
    big = zoom.get("/phone/call_logs", params={"from": "2026-11-01", "to": "2026-11-19", "page_size": 1000}).json()
    assert big["page_size"] == 300
    assert zoom.get("/contact_center/voice_calls").json()["page_size"] == 10
    assert zoom.get("/contact_center/voice_calls", params={"page_size": 500}).json()["page_size"] == 100
    assert zoom.get("/phone/users", params={"page_size": 500}).json()["page_size"] == 100


def test_page_token_is_opaque_base64(zoom):
    token = zoom.get("/phone/call_logs", params={"from": "2026-11-01", "to": "2026-11-19"}).json()["next_page_token"]
    body = token.split(".")[0]
    assert body
    # validate=True: urlsafe_b64decode alone skips any character outside the alphabet, so anything "decodes"
    base64.b64decode(body + "=" * (-len(body) % 4), altchars=b"-_", validate=True)
