"""Zoho Voice: refresh-token OAuth, logs paging (offset, newest first), errors, 204, lock-out."""

import httpx

from sandbox.zohodata import FIXTURE_ROWS

from .conftest import zoho_client


def test_token_errors_and_mint_throttle(make_sb):
    sb = make_sb(enforce_rate_limits=True)
    creds = sb.zoho_credentials
    bad = httpx.post(sb.zoho_token_url, params={"grant_type": "refresh_token", **creds, "client_secret": "x"})
    assert bad.status_code == 200 and bad.json() == {"error": "invalid_code"}
    for _ in range(10):
        r = httpx.post(sb.zoho_token_url, data={"grant_type": "refresh_token", **creds})
        body = r.json()
        assert set(body) == {"access_token", "api_domain", "token_type", "expires_in"}
        assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    r = httpx.post(sb.zoho_token_url, data={"grant_type": "refresh_token", **creds})
    assert r.status_code == 200 and r.json()["error"] == "Access Denied"
    assert "too many requests" in r.json()["error_description"]
    sb.clock.advance(minutes=10)
    assert "access_token" in httpx.post(sb.zoho_token_url, data={"grant_type": "refresh_token", **creds}).json()


def test_logs_need_a_valid_token(sb):
    url = sb.zoho_base_url + "/rest/json/zv/logs"
    for headers in ({}, {"Authorization": "Zoho-oauthtoken 1000.nope"}, {"Authorization": "Bearer x"}):
        r = httpx.get(url, headers=headers)
        assert r.status_code == 401
        assert r.json()["status"] == "ERROR" and r.json()["code"] == "INVALID_OAUTHTOKEN"


def test_offset_paging_newest_first_equals_truth(sb, zoho):
    truth = sb.truth.zoho_logs()
    got, offset = [], 0
    while True:
        r = zoho.get("/rest/json/zv/logs", params={"from": offset, "size": 100})
        if r.status_code == 204:
            assert r.content == b""
            break
        body = r.json()
        assert body["status"] == "200" and body["meta"]["total"] == len(truth)
        got.extend(body["logs"])
        offset += 100
    assert got == truth
    starts = [int(x["start_time"]) for x in got]
    assert starts == sorted(starts, reverse=True)
    by_id = {x["logid"]: x for x in got}
    for row in FIXTURE_ROWS:  # the doc's two sample rows, exactly
        assert by_id[row["logid"]] == row
        assert list(by_id[row["logid"]]) == list(row)
    assert zoho.get("/rest/json/zv/logs").json()["logs"] == truth[:10]  # defaults: from 0, size 10
    assert len(zoho.get("/rest/json/zv/logs", params={"size": 500}).json()["logs"]) == 100
    assert sb.requests["GET /rest/json/zv/logs"] >= 3


def test_rows_look_like_the_doc(sb):
    rows = sb.truth.zoho_logs("2026-11-01", "2026-11-20")
    assert rows and {x["call_type"] for x in rows} >= {"incoming", "outgoing", "missed"}
    for x in rows:
        assert x["start_time"].isdigit() and len(x["start_time"]) == 13
        assert x["duration"].count(":") in (1, 2)
        assert set(x["voice_credits"]) == {"voice", "free_minutes", "total"}
        assert x["zsoid"] == "862937118" and x["logid"]
    incoming = next(x for x in rows if x["call_type"] == "incoming")
    assert set(incoming["bridged_agent"]) == {"agent", "domain", "time", "uuid", "user_agent"}
    long_calls = [x for x in sb.truth.zoho_logs() if x["duration"].count(":") == 2]
    assert long_calls and all(len(x["duration"].split(":")[1]) == 2 for x in long_calls)


def test_date_filters_and_call_type(sb, zoho):
    params = {"fromDate": "2026-11-01", "toDate": "2026-11-10", "size": 100}
    body = zoho.get("/rest/json/zv/logs", params=params).json()
    truth = sb.truth.zoho_logs("2026-11-01", "2026-11-11")  # a date-only toDate includes that day
    assert body["meta"]["total"] == len(truth) and body["logs"] == truth[:100]
    ms_from, ms_to = "1793491200000", "1794268800000"  # 2026-11-01 .. 2026-11-10 (exclusive)
    body = zoho.get("/rest/json/zv/logs", params={"fromDate": ms_from, "toDate": ms_to, "size": 100}).json()
    assert body["meta"]["total"] == len(sb.truth.zoho_logs("2026-11-01", "2026-11-10"))
    body = zoho.get("/rest/json/zv/logs", params={"fromDate": "2026-11-01T00:00:00Z", "toDate": "2026-11-10T00:00:00Z",
                                                   "callType": "missed", "size": 100}).json()
    assert body["logs"] and all(x["call_type"] == "missed" for x in body["logs"])
    empty = {"from": 0, "size": 10, "fromDate": "", "toDate": "", "agent": "", "callType": "", "numberIds": "",
             "userNumber": "", "isAllCountry": "true", "isVoiceMail": "false", "isRecording": "false",
             "departmentId": "", "groupIds": ""}  # the doc's sample request
    assert zoho.get("/rest/json/zv/logs", params=empty).json()["meta"]["total"] == len(sb.truth.zoho_logs())
    doc_dept = zoho.get("/rest/json/zv/logs", params={"departmentId": "612000000000101", "size": 100}).json()
    assert all(x["department"] == "zohotest" for x in doc_dept["logs"])


def test_extra_parameter_and_past_the_end(sb, zoho):
    r = zoho.get("/rest/json/zv/logs", params={"page": 2})
    assert r.status_code == 200
    assert r.json() == {"code": "ZVT010", "message": "Extra parameter found.", "status": "ERROR"}
    total = len(sb.truth.zoho_logs())
    r = zoho.get("/rest/json/zv/logs", params={"from": total})
    assert r.status_code == 204 and r.content == b""
    assert zoho.get("/rest/json/zv/logs", params={"from": total - 1}).status_code == 200


def test_lockout_lasts_ten_minutes_on_the_sandbox_clock(make_sb):
    sb = make_sb(enforce_rate_limits=True)
    with zoho_client(sb) as zoho:
        assert all(zoho.get("/rest/json/zv/logs").status_code == 200 for _ in range(30))
        r = zoho.get("/rest/json/zv/logs")
        assert r.status_code == 429
        assert r.json() == {"status": "ERROR", "code": "TOO_MANY_REQUESTS",
                            "message": "Too many requests. Locked for 10 minutes."}
        assert r.headers["Retry-After"] == "600"
        sb.clock.advance(seconds=300)
        r = zoho.get("/rest/json/zv/logs")
        assert r.status_code == 429 and r.headers["Retry-After"] == "300"
        sb.clock.advance(seconds=299)
        assert zoho.get("/rest/json/zv/logs").status_code == 429
        sb.clock.advance(seconds=1)
        assert zoho.get("/rest/json/zv/logs").status_code == 200


def test_rolling_minute_allows_a_steady_30_per_minute(make_sb):
    sb = make_sb(enforce_rate_limits=True)
    with zoho_client(sb) as zoho:
        for _ in range(90):
            assert zoho.get("/rest/json/zv/logs").status_code == 200
            sb.clock.sleep(2.0)


def test_rows_added_per_page_shift_offsets(make_sb):
    sb = make_sb(zoho_rows_added_per_page=3)
    with zoho_client(sb) as zoho:
        first = zoho.get("/rest/json/zv/logs", params={"size": 10}).json()
        sb.clock.advance(seconds=5)
        second = zoho.get("/rest/json/zv/logs", params={"from": 10, "size": 10}).json()
        assert second["meta"]["total"] == first["meta"]["total"] + 3
        # the last 3 rows of page 1 come again at the top of page 2
        assert [x["logid"] for x in second["logs"][:3]] == [x["logid"] for x in first["logs"][7:]]
        assert len(sb.truth.zoho_logs()) == first["meta"]["total"] + 6


def test_dates_without_a_zone_are_read_in_the_org_time_zone(make_sb):
    sb = make_sb(zoho_timezone="America/Los_Angeles")
    with zoho_client(sb) as zoho:
        for params, start, end in (
            ({"fromDate": "2026-11-10", "toDate": "2026-11-12"}, "2026-11-10T08:00:00Z", "2026-11-13T08:00:00Z"),
            ({"fromDate": "2026-11-10 10:00", "toDate": "2026-11-12 09:30"}, "2026-11-10T18:00:00Z",
             "2026-11-12T17:30:00Z"),
            ({"fromDate": "2026-11-10T10:00:00Z", "toDate": "2026-11-12T09:30:00Z"}, "2026-11-10T10:00:00Z",
             "2026-11-12T09:30:00Z"),
        ):
            body = zoho.get("/rest/json/zv/logs", params={**params, "size": 100}).json()
            truth = sb.truth.zoho_logs(start, end)
            assert body["meta"]["total"] == len(truth) > 5, params
            assert body["logs"] == truth[:100], params


def test_an_ignored_date_format_lists_every_log(make_sb):
    sb = make_sb(zoho_ignored_date_formats=("epoch_ms",))
    everything = len(sb.truth.zoho_logs())
    window = len(sb.truth.zoho_logs("2026-11-10", "2026-11-12"))
    with zoho_client(sb) as zoho:
        ignored = zoho.get("/rest/json/zv/logs", params={"fromDate": "1794268800000", "toDate": "1794441600000"})
        honoured = zoho.get("/rest/json/zv/logs", params={"fromDate": "2026-11-10", "toDate": "2026-11-11"})
    assert ignored.json()["meta"]["total"] == everything > window
    assert honoured.json()["meta"]["total"] == window > 0
