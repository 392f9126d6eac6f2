"""inject_fault kinds, `after`/`count`, random faults, and the accounting."""

import json

import httpx
import pytest

from .conftest import zoho_client, zoho_token, zoom_client, zoom_token


def test_status_faults_and_counting(sb, zoom):
    sb.inject_fault("GET /phone/call_logs", "500", count=2, after=1)
    codes = [zoom.get("/phone/call_logs").status_code for _ in range(4)]
    assert codes == [200, 500, 500, 200]
    sb.inject_fault("GET /v2/phone/call_logs", "503")
    r = zoom.get("/phone/call_logs")
    assert r.status_code == 503 and r.json()["code"] == 503
    sb.inject_fault("GET /phone/call_logs/{callLogId}", "429")
    r = zoom.get("/phone/call_logs/x")
    assert r.status_code == 429 and r.headers["X-RateLimit-Type"] == "QPS"
    assert r.headers["X-RateLimit-Category"] == "Light"
    sb.inject_fault("GET /phone/call_history", "429_daily")
    r = zoom.get("/phone/call_history")
    assert r.status_code == 429 and r.headers["X-RateLimit-Type"] == "Daily-limit"
    assert "GMT" in r.headers["Retry-After"]
    assert sb.requests["GET /phone/call_logs"] == 5
    assert sb.requests["GET /phone/call_logs/{id}"] == 1
    log = [e for e in sb.request_log if e[2] == "GET /phone/call_logs"]
    assert [e[4] for e in log] == [200, 500, 500, 200, 503]
    assert log[0][0] == sb.clock.now() and log[0][1] == "GET"
    sb.reset_stats()
    assert not sb.requests and not sb.request_log


def test_malformed_and_drop(sb, zoom):
    sb.inject_fault("GET /phone/users", "malformed")
    r = zoom.get("/phone/users")
    assert r.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.content)
    sb.inject_fault("GET /phone/users", "drop")
    with pytest.raises(httpx.TransportError):
        zoom.get("/phone/users")
    assert zoom.get("/phone/users").status_code == 200
    assert [e[4] for e in sb.request_log if e[2] == "GET /phone/users"] == [200, 0, 200]


def test_expired_page_token_only_hits_requests_with_a_token(sb, zoom):
    sb.inject_fault("GET /phone/call_logs", "expired_page_token")
    params = {"from": "2026-11-01", "to": "2026-11-19"}
    first = zoom.get("/phone/call_logs", params=params)
    assert first.status_code == 200  # no token: not counted
    r = zoom.get("/phone/call_logs", params={**params, "next_page_token": first.json()["next_page_token"]})
    assert r.status_code == 400
    assert r.json() == {"code": 300, "message": "The next page token is invalid or expired."}
    r = zoom.get("/phone/call_logs", params={**params, "next_page_token": first.json()["next_page_token"]})
    assert r.status_code == 200


def test_missing_key_drops_the_key_of_one_item(sb, zoom):
    sb.inject_fault("GET /phone/call_logs", "missing_key")
    zoom.get("/phone/call_logs", params={"from": "2020-01-01", "to": "2020-01-02"})  # 400: fault kept
    items = zoom.get("/phone/call_logs", params={"from": "2026-11-01", "to": "2026-11-19"}).json()["call_logs"]
    assert sum("id" not in x for x in items) == 1 and len(items) == 30
    items = zoom.get("/phone/call_logs", params={"from": "2026-11-01", "to": "2026-11-19"}).json()["call_logs"]
    assert all("id" in x for x in items)
    for route, path, key, items_key in (("GET /phone/call_history", "/phone/call_history", "call_history_uuid",
                                         "call_history"),
                                        ("GET /contact_center/voice_calls", "/contact_center/voice_calls",
                                         "engagement_id", "voice_calls")):
        sb.inject_fault(route, "missing_key")
        items = zoom.get(path, params={"from": "2026-11-01", "to": "2026-11-19"}).json()[items_key]
        assert sum(key not in x for x in items) == 1


def test_zoho_faults(sb):
    with zoho_client(sb) as zoho:
        sb.inject_fault("GET /rest/json/zv/logs", "missing_key")
        logs = zoho.get("/rest/json/zv/logs").json()["logs"]
        assert sum("logid" not in x for x in logs) == 1
        sb.inject_fault("GET /rest/json/zv/logs", "zoho_lockout", after=1)
        assert zoho.get("/rest/json/zv/logs").status_code == 200
        r = zoho.get("/rest/json/zv/logs")
        assert r.status_code == 429 and r.headers["Retry-After"] == "600"
        assert r.json()["code"] == "TOO_MANY_REQUESTS"
        sb.clock.advance(seconds=600)
        assert zoho.get("/rest/json/zv/logs").status_code == 200
        sb.inject_fault("POST /oauth/v2/token", "503")
        assert httpx.post(sb.zoho_token_url, data={"grant_type": "refresh_token", **sb.zoho_credentials}
                          ).status_code == 503


def test_unknown_fault_kind_is_refused(sb):
    with pytest.raises(ValueError):
        sb.inject_fault("GET /phone/call_logs", "boom")


def test_random_faults_are_seeded(make_sb):
    def run():
        sb = make_sb(error_5xx_rate=0.2, error_429_rate=0.1, malformed_rate=0.1, drop_rate=0.05)
        codes = []
        with zoom_client(sb) as zoom:
            for _ in range(60):
                try:
                    r = zoom.get("/phone/users")
                    try:
                        json.loads(r.content)
                        codes.append(r.status_code)
                    except ValueError:
                        codes.append("malformed")
                except httpx.TransportError:
                    codes.append("drop")
        return codes

    a, b = run(), run()
    assert a == b
    assert {200, 429, "malformed", "drop"} <= set(a) and ({500, 503} & set(a))


def test_zoom_phone_endpoint_faults(sb, zoom):
    """A retired endpoint (404), a missing scope (400 code 4711), an expired sync token (404 code 300,
    only on requests that carry one)."""
    sb.inject_fault("GET /phone/call_logs", "retired", count=2)
    assert [zoom.get("/phone/call_logs").status_code for _ in range(3)] == [404, 404, 200]
    sb.inject_fault("GET /phone/call_history/{callHistoryUuid}", "missing_scope")
    r = zoom.get("/phone/call_history/anything")
    assert r.status_code == 400 and r.json()["code"] == 4711 and "scopes" in r.json()["message"]
    user = sb.directory.users[0].id
    route = f"/phone/users/{user}/call_logs/sync"
    sb.inject_fault("GET /phone/users/{userId}/call_logs/sync", "expired_sync_token")
    first = zoom.get(route, params={"sync_type": "FSync"})  # no token: not counted
    assert first.status_code == 200
    r = zoom.get(route, params={"sync_type": "ISync", "sync_token": first.json()["sync_token"]})
    assert r.status_code == 404 and r.json() == {"code": 300, "message": "The sync token is invalid or expired."}
    assert zoom.get(route, params={"sync_type": "ISync", "sync_token": first.json()["sync_token"]}).status_code == 200


def test_a_token_expires_after_n_data_requests(make_sb):
    sb = make_sb(token_expires_after=2)
    headers = {"Authorization": f"Bearer {zoom_token(sb)}"}
    codes = [httpx.get(sb.zoom_base_url + "/phone/users", headers=headers).status_code for _ in range(3)]
    assert codes == [200, 200, 401]
    headers = {"Authorization": f"Zoho-oauthtoken {zoho_token(sb)}"}
    codes = [httpx.get(sb.zoho_base_url + "/rest/json/zv/logs", headers=headers).status_code for _ in range(3)]
    assert codes == [200, 200, 401]


def test_random_429s_mix_the_forms_of_retry_after(make_sb):
    sb = make_sb(error_429_rate=1.0, error_429_retry_after="mixed")
    with zoom_client(sb) as zoom, zoho_client(sb) as zoho:
        zoom_forms = {zoom.get("/phone/users").headers.get("Retry-After", "none")[-3:] for _ in range(30)}
        zoho_forms = {zoho.get("/rest/json/zv/logs").headers.get("Retry-After", "none")[-3:] for _ in range(30)}
    assert zoom_forms == {"1", "GMT", "one"}
    assert zoho_forms == {"1", "GMT"}  # a Zoho 429 without Retry-After would be its 10-minute lock-out
