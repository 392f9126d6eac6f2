"""ApiClient against a real HTTP server on 127.0.0.1: auth, retries, errors, secrets."""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import threading
import traceback

import pytest

from sources.common.http import (
    ApiClient,
    ApiError,
    AuthError,
    MalformedResponse,
    QuotaExhausted,
    RateLimiter,
    RetriesExhausted,
    RetryPolicy,
    ZohoRefreshAuth,
    ZoomS2SAuth,
)
from tests.common.fake_server import FakeClock, FakeServer, Reply, token_handler

SECRET = "zoom-client-secret-XYZ123"
ZOHO_SECRET = "zoho-client-secret-ABC987"
REFRESH = "zoho-refresh-token-QWE456"
ITEM = "/phone/call_logs/{id}"


@pytest.fixture
def server():
    with FakeServer() as srv:
        srv.route("POST", "/oauth/token", token_handler())
        srv.route("POST", "/oauth/v2/token", token_handler("zoho"))
        yield srv


@pytest.fixture
def clock():
    return FakeClock()


def zoom(server, clock, *, max_retries=3, backoff_max=60.0, read_timeout=2.0, limiters=None):
    auth = ZoomS2SAuth(server.url + "/oauth/token", "acct-1", "cid-1", SECRET, clock=clock)
    limiters = limiters or {label: RateLimiter(1000, clock=clock, name=f"zoom {label}")
                            for label in ("light", "medium", "heavy")}
    retry = RetryPolicy(max_retries=max_retries, backoff_base=1.0, backoff_max=backoff_max)
    return ApiClient("zoom", server.url + "/v2", auth, limiters, clock=clock, connect_timeout=2.0,
                     read_timeout=read_timeout, retry=retry, config_section="sources.zoom")


def zoho(server, clock, *, max_retries=3):
    auth = ZohoRefreshAuth(server.url + "/oauth/v2/token", "zcid-1", ZOHO_SECRET, REFRESH, clock=clock)
    limiters = {"default": RateLimiter(1000, clock=clock, name="zoho_voice default")}
    return ApiClient("zoho_voice", server.url, auth, limiters, clock=clock, connect_timeout=2.0, read_timeout=2.0,
                     retry=RetryPolicy(max_retries=max_retries), config_section="sources.zoho_voice")


def api_hits(server, path="/v2/phone/call_logs/1"):
    return server.hits("GET", path)


# --------------------------------------------------------------------------- Zoom auth

def test_zoom_token_fetched_once_cached_and_sent_as_bearer(server, clock):
    server.route("GET", "/v2/phone/call_logs/1", Reply(200, {"id": "1"}))
    with zoom(server, clock) as client:
        assert client.get("/phone/call_logs/1", label="light", endpoint=ITEM) == {"id": "1"}
        assert client.get("/phone/call_logs/1", label="light", endpoint=ITEM) == {"id": "1"}
        assert client.stats() == {ITEM: 2, "_retries": 0, "_429": 0, "_token": 1}
    (token_request,) = server.hits("POST", "/oauth/token")
    assert token_request.basic_auth == ("cid-1", SECRET)
    assert token_request.form == {"grant_type": ["account_credentials"], "account_id": ["acct-1"]}
    assert token_request.query == {}  # nothing in the URL
    assert [r.headers["authorization"] for r in api_hits(server)] == ["Bearer tok-1"] * 2


def test_token_refreshed_shortly_before_expiry(server, clock):
    server.route("GET", "/v2/phone/call_logs/1", Reply(200, {}))
    with zoom(server, clock) as client:
        client.get("/phone/call_logs/1", label="light")
        clock.advance(3600 - 301)  # 5-minute margin not reached yet
        client.get("/phone/call_logs/1", label="light")
        assert len(server.hits("POST", "/oauth/token")) == 1
        clock.advance(2)
        client.get("/phone/call_logs/1", label="light")
    assert len(server.hits("POST", "/oauth/token")) == 2
    assert api_hits(server)[-1].headers["authorization"] == "Bearer tok-2"


def test_twenty_threads_meeting_an_expired_token_fetch_exactly_one(server, clock):
    server.route("POST", "/oauth/token", token_handler(delay=0.2))
    server.route("GET", "/v2/phone/call_logs/1", Reply(200, {}))
    with zoom(server, clock) as client:
        client.get("/phone/call_logs/1", label="light")
        clock.advance(4000)
        barrier = threading.Barrier(20)
        errors = []

        def call():
            barrier.wait()
            try:
                client.get("/phone/call_logs/1", label="light")
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)

        threads = [threading.Thread(target=call) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors
    assert len(server.hits("POST", "/oauth/token")) == 2  # the first one + exactly one refresh
    assert {r.headers["authorization"] for r in api_hits(server)[1:]} == {"Bearer tok-2"}


def test_401_code_124_refreshes_once_and_retries_once(server, clock):
    server.route("GET", "/v2/phone/call_logs/1",
                 Reply(401, {"code": 124, "message": "Invalid access token."}), Reply(200, {"id": "1"}))
    with zoom(server, clock) as client:
        assert client.get("/phone/call_logs/1", label="light") == {"id": "1"}
        assert client.stats()["_retries"] == 1
    assert len(server.hits("POST", "/oauth/token")) == 2
    assert [r.headers["authorization"] for r in api_hits(server)] == ["Bearer tok-1", "Bearer tok-2"]


def test_second_new_token_refused_is_an_auth_error_naming_the_scopes_not_the_credentials(server, clock):
    """Two freshly issued tokens refused before either worked: the token endpoint accepted the
    credentials, so the error points at what the API checks (app activated, scopes)."""
    server.route("GET", "/v2/phone/call_logs/1", Reply(401, {"code": 124, "message": "Invalid access token."}))
    with zoom(server, clock) as client, pytest.raises(AuthError) as info:
        client.get("/phone/call_logs/1", label="light", endpoint=ITEM)
    assert len(api_hits(server)) == 2
    text = str(info.value)
    assert "zoom GET /phone/call_logs/{id}" in text and "HTTP 401" in text and "code 124" in text
    assert "scopes" in text and "SOURCES__ZOOM__CLIENT_SECRET" not in text
    assert info.value.status == 401 and info.value.code == 124


def test_two_401s_in_one_request_after_a_token_that_worked_are_renewed(server, clock):
    """tok-1 worked, then expired (401); tok-2 gets a 503, then a 401: an expiry again, not bad
    credentials (issue 14.5: the second 401 used to fail the source)."""
    expired = Reply(401, {"code": 124, "message": "Invalid access token."})
    server.route("GET", "/v2/phone/call_logs/1", Reply(200, {}), expired, Reply(503, {}), expired,
                 Reply(200, {"ok": 1}))
    with zoom(server, clock) as client:
        client.get("/phone/call_logs/1", label="light")
        assert client.get("/phone/call_logs/1", label="light") == {"ok": 1}
        assert client.stats()["_retries"] == 3
    assert [r.headers["authorization"] for r in api_hits(server)] == [
        "Bearer tok-1", "Bearer tok-1", "Bearer tok-2", "Bearer tok-2", "Bearer tok-3"]


def test_zoom_token_endpoint_refusal_is_auth_error(server, clock):
    server.route("POST", "/oauth/token", Reply(400, {"reason": "Invalid client_id or client_secret",
                                                     "error": "invalid_client"}))
    with zoom(server, clock) as client, pytest.raises(AuthError) as info:
        client.get("/phone/call_logs/1", label="light")
    assert "invalid_client" in str(info.value) and "Invalid client_id or client_secret" in str(info.value)
    assert api_hits(server) == []


# --------------------------------------------------------------------------- retries

def test_429_retry_after_in_seconds(server, clock):
    server.route("GET", "/v2/phone/call_logs/1",
                 Reply(429, {"code": 429, "message": "You have reached the maximum per-second rate limit"},
                       headers={"Retry-After": "7", "X-RateLimit-Type": "QPS"}),
                 Reply(200, {"ok": True}))
    with zoom(server, clock) as client:
        assert client.get("/phone/call_logs/1", label="light", endpoint=ITEM) == {"ok": True}
        assert clock.sleeps == [7.0]
        assert client.stats() == {ITEM: 2, "_retries": 1, "_429": 1, "_token": 1}


def test_429_retry_after_as_http_date(server, clock):
    when = email.utils.format_datetime(clock.now() + dt.timedelta(seconds=12), usegmt=True)
    server.route("GET", "/v2/phone/call_logs/1", Reply(429, {}, headers={"Retry-After": when}), Reply(200, {}))
    with zoom(server, clock) as client:
        client.get("/phone/call_logs/1", label="light")
    assert clock.sleeps == [12.0]


def test_retry_after_is_capped_by_backoff_max(server, clock):
    server.route("GET", "/v2/phone/call_logs/1", Reply(429, {}, headers={"Retry-After": "3600"}), Reply(200, {}))
    with zoom(server, clock, backoff_max=30.0) as client:
        client.get("/phone/call_logs/1", label="light")
    assert clock.sleeps == [30.0]


def test_5xx_then_success_with_exponential_backoff(server, clock):
    server.route("GET", "/v2/phone/call_logs/1", Reply(500, "oops"), Reply(503, {}), Reply(200, {"ok": 1}))
    with zoom(server, clock) as client:
        assert client.get("/phone/call_logs/1", label="light") == {"ok": 1}
    first, second = clock.sleeps
    assert 0.5 <= first <= 1.0 and 1.0 <= second <= 2.0


def test_retries_exhausted_names_the_last_cause(server, clock):
    server.route("GET", "/v2/phone/call_logs/1", Reply(503, {"message": "Service Unavailable"}))
    with zoom(server, clock, max_retries=2) as client, pytest.raises(RetriesExhausted) as info:
        client.get("/phone/call_logs/1", label="light", endpoint=ITEM)
    assert len(api_hits(server)) == 3
    text = str(info.value)
    assert "zoom GET /phone/call_logs/{id}" in text and "HTTP 503" in text and "Service Unavailable" in text
    assert "max_retries" in text and "[sources.zoom]" in text


def test_throttles_are_waited_out_and_do_not_use_up_the_retries(server, clock):
    qps = Reply(429, {"code": 429, "message": "per-second rate limit"}, headers={"Retry-After": "1"})
    server.route("GET", "/v2/phone/call_logs/1", *[qps] * 5, Reply(200, {"ok": 1}))
    with zoom(server, clock, max_retries=2) as client:
        assert client.get("/phone/call_logs/1", label="light") == {"ok": 1}
    assert clock.sleeps == [1.0] * 5


def test_endless_throttling_stops_at_four_times_max_retries(server, clock):
    server.route("GET", "/v2/phone/call_logs/1", Reply(429, {"code": 429, "message": "per-second rate limit"}))
    with zoom(server, clock, max_retries=2) as client, pytest.raises(RetriesExhausted) as info:
        client.get("/phone/call_logs/1", label="light")
    assert len(api_hits(server)) == 9 and "HTTP 429" in str(info.value)


def test_failures_past_max_retries_borrow_from_the_budget_successes_earn(server, clock):
    """max_retries=1; ten answers earn one retry: the next request survives two failures, the one
    after (budget spent) gives up after two attempts as a fresh client would."""
    server.route("GET", "/v2/ok", Reply(200, {}))
    server.route("GET", "/v2/phone/call_logs/1", Reply(503, {}), Reply(503, {}), Reply(200, {"ok": 1}),
                 Reply(503, {}), Reply(503, {}), Reply(200, {"ok": 2}))
    with zoom(server, clock, max_retries=1) as client:
        for _ in range(10):
            client.get("/ok", label="light")
        assert client.get("/phone/call_logs/1", label="light") == {"ok": 1}
        with pytest.raises(RetriesExhausted):
            client.get("/phone/call_logs/1", label="light")
    assert len(api_hits(server)) == 5


def test_backoff_stays_short_while_other_requests_get_answers(server):
    """A request that is only unlucky (every other request of the client succeeds meanwhile)
    waits like a first retry each time, not 1, 2, 4, 8 s: a page of details is not held by it."""
    server.route("GET", "/v2/ok", Reply(200, {}))
    server.route("GET", "/v2/phone/call_logs/1", *[Reply(500, {})] * 4, Reply(200, {"ok": 1}))

    class BusyClock(FakeClock):  # while one request backs off, another thread gets an answer
        def sleep(self, seconds):
            super().sleep(seconds)
            other = threading.Thread(target=client.get, args=("/ok",), kwargs={"label": "light"})
            other.start()
            other.join()

    clock = BusyClock()
    with zoom(server, clock, max_retries=4) as client:
        assert client.get("/phone/call_logs/1", label="light") == {"ok": 1}
    assert len(clock.sleeps) == 4 and all(0.5 <= s <= 1.0 for s in clock.sleeps), clock.sleeps


def test_dropped_connection_and_truncated_json_are_retried(server, clock):
    server.route("GET", "/v2/phone/call_logs/1", Reply(drop=True), Reply(200, '{"call_logs": [{"id"'),
                 Reply(200, {"ok": 1}))
    with zoom(server, clock) as client:
        assert client.get("/phone/call_logs/1", label="light") == {"ok": 1}
        assert client.stats()["_retries"] == 2


def test_malformed_json_after_retries_is_malformed_response(server, clock):
    server.route("GET", "/v2/phone/call_logs/1", Reply(200, "<html>not json"))
    with zoom(server, clock, max_retries=1) as client, pytest.raises(MalformedResponse) as info:
        client.get("/phone/call_logs/1", label="light")
    assert "not valid JSON" in str(info.value)


def test_read_timeout_is_retried(server, clock):
    server.route("GET", "/v2/phone/call_logs/1", Reply(200, {}, delay=0.5), Reply(200, {"ok": 1}))
    with zoom(server, clock, read_timeout=0.2) as client:
        assert client.get("/phone/call_logs/1", label="light") == {"ok": 1}


def test_connection_refused_exhausts_with_clear_error(clock):
    with FakeServer() as srv:
        url = srv.url
    auth = ZoomS2SAuth(url + "/oauth/token", "a", "c", SECRET, clock=clock)
    client = ApiClient("zoom", url + "/v2", auth, {"light": RateLimiter(100, clock=clock)}, clock=clock,
                       retry=RetryPolicy(max_retries=1))
    with client, pytest.raises(RetriesExhausted) as info:
        client.get("/x", label="light")
    assert "connection error" in str(info.value)
    # httpx's exception is neither chained nor kept as context (its text could hold a secret)
    assert info.value.__cause__ is None and info.value.__context__ is None


# --------------------------------------------------------------------------- Zoom errors

def test_daily_limit_raises_quota_exhausted_without_retry(server, clock):
    retry_at = clock.now() + dt.timedelta(hours=5)
    server.route("GET", "/v2/phone/call_logs",
                 Reply(429, {"code": 429, "message": "You have reached the maximum daily rate limit for this API."},
                       headers={"X-RateLimit-Type": "Daily-limit",
                                "Retry-After": email.utils.format_datetime(retry_at, usegmt=True)}))
    with zoom(server, clock) as client:
        with pytest.raises(QuotaExhausted) as info:
            client.get("/phone/call_logs", label="heavy")
        assert info.value.retry_at == retry_at
        assert len(server.hits("GET", "/v2/phone/call_logs")) == 1
        assert clock.sleeps == []
        # the heavy limiter is now paused: no further request reaches the server
        with pytest.raises(QuotaExhausted):
            client.get("/phone/call_logs", label="heavy")
        assert len(server.hits("GET", "/v2/phone/call_logs")) == 1


def test_daily_limit_from_message_only_retries_at_next_utc_midnight(server, clock):
    server.route("GET", "/v2/phone/call_logs",
                 Reply(429, {"code": 429, "message": "You have reached the maximum daily rate limit for this API."}))
    with zoom(server, clock) as client, pytest.raises(QuotaExhausted) as info:
        client.get("/phone/call_logs", label="heavy")
    assert info.value.retry_at == dt.datetime(2026, 11, 21, tzinfo=dt.UTC)
    assert len(server.hits("GET", "/v2/phone/call_logs")) == 1


def test_other_4xx_is_api_error_at_once(server, clock):
    server.route("GET", "/v2/phone/users/u1/call_logs", Reply(404, {"code": 1001, "message": "User does not exist: u1"}))
    with zoom(server, clock) as client, pytest.raises(ApiError) as info:
        client.get("/phone/users/u1/call_logs", label="medium", endpoint="/phone/users/{userId}/call_logs")
    error = info.value
    assert (error.provider, error.method, error.endpoint, error.status, error.code) == (
        "zoom", "GET", "/phone/users/{userId}/call_logs", 404, 1001)
    assert error.message == "User does not exist: u1"
    assert len(server.hits("GET", "/v2/phone/users/u1/call_logs")) == 1
    assert "Hint:" in str(error)


def test_204_and_empty_body_are_none(server, clock):
    server.route("GET", "/v2/a", Reply(204))
    server.route("GET", "/v2/b", Reply(200, ""))
    with zoom(server, clock) as client:
        assert client.get("/a", label="light") is None
        assert client.get("/b", label="light") is None


def test_params_as_list_of_pairs(server, clock):
    server.route("GET", "/v2/phone/call_history", Reply(200, {"call_history": []}))
    with zoom(server, clock) as client:
        client.get("/phone/call_history", [("from", "2026-11-01"), ("page_size", 300)], label="heavy")
    assert server.hits("GET", "/v2/phone/call_history")[0].query == {"from": ["2026-11-01"], "page_size": ["300"]}


def test_unknown_label_is_a_programming_error(server, clock):
    with zoom(server, clock) as client, pytest.raises(ValueError, match="unknown rate label"):
        client.get("/x", label="huge")


# --------------------------------------------------------------------------- Zoho

def test_zoho_refresh_grant_in_form_body_and_header(server, clock):
    server.route("GET", "/rest/json/zv/logs", Reply(200, {"logs": [], "meta": {"total": 0}}))
    with zoho(server, clock) as client:
        client.get("/rest/json/zv/logs", label="default")
        client.get("/rest/json/zv/logs", label="default")
    (token_request,) = server.hits("POST", "/oauth/v2/token")
    assert token_request.query == {}
    assert token_request.form == {"grant_type": ["refresh_token"], "client_id": ["zcid-1"],
                                  "client_secret": [ZOHO_SECRET], "refresh_token": [REFRESH]}
    assert server.hits("GET", "/rest/json/zv/logs")[0].headers["authorization"] == "Zoho-oauthtoken zoho-1"


@pytest.mark.parametrize(("error", "expected"), [
    ({"error": "Access Denied", "error_description": "You have made too many requests continuously.",
      "status": "failure"}, "10 minutes"),
    ({"error": "invalid_code"}, "SOURCES__ZOHO_VOICE__REFRESH_TOKEN"),
])
def test_zoho_token_200_with_error_is_auth_error(server, clock, error, expected):
    server.route("POST", "/oauth/v2/token", Reply(200, error))
    with zoho(server, clock) as client, pytest.raises(AuthError) as info:
        client.get("/rest/json/zv/logs", label="default")
    assert error["error"] in str(info.value) and expected in str(info.value)
    assert server.hits("GET", "/rest/json/zv/logs") == []


def test_zoho_error_body_is_api_error_with_code_and_message(server, clock):
    server.route("GET", "/rest/json/zv/logs",
                 Reply(200, {"status": "ERROR", "code": "ZVT010", "message": "Invalid date range"}))
    with zoho(server, clock) as client, pytest.raises(ApiError) as info:
        client.get("/rest/json/zv/logs", label="default")
    assert (info.value.code, info.value.message, info.value.status) == ("ZVT010", "Invalid date range", 200)
    assert "ZVT010" in str(info.value) and "Invalid date range" in str(info.value)
    assert len(server.hits("GET", "/rest/json/zv/logs")) == 1


@pytest.mark.parametrize(("reply", "seconds"), [
    (Reply(429, {"status": "ERROR", "code": "ZVT429", "message": "Too many requests"}), 600),
    (Reply(429, "", headers={"Retry-After": "120"}), 120),
    (Reply(200, {"status": "ERROR", "code": "ZVT011", "message": "Too many requests. You are locked."}), 600),
])
def test_zoho_lockout_is_quota_exhausted(server, clock, reply, seconds):
    server.route("GET", "/rest/json/zv/logs", reply)
    with zoho(server, clock) as client:
        with pytest.raises(QuotaExhausted) as info:
            client.get("/rest/json/zv/logs", label="default")
        assert info.value.retry_at == clock.now() + dt.timedelta(seconds=seconds)
        with pytest.raises(QuotaExhausted):  # all threads stop: nothing more is sent
            client.get("/rest/json/zv/logs", label="default")
    assert len(server.hits("GET", "/rest/json/zv/logs")) == 1
    assert clock.sleeps == []


def test_zoho_429_with_a_short_retry_after_is_a_throttle_waited_out(server, clock):
    throttle = Reply(429, {"status": "ERROR", "code": "TOO_MANY_REQUESTS", "message": "Too many requests."},
                     headers={"Retry-After": "1"})
    server.route("GET", "/rest/json/zv/logs", throttle, throttle, Reply(200, {"logs": []}))
    with zoho(server, clock) as client:
        assert client.get("/rest/json/zv/logs", label="default") == {"logs": []}
    assert clock.sleeps == [1.0, 1.0]


def test_zoho_5xx_with_an_error_body_is_retried(server, clock):
    server.route("GET", "/rest/json/zv/logs",
                 Reply(503, {"status": "ERROR", "code": "INTERNAL_ERROR", "message": "Service Unavailable"}),
                 Reply(200, {"logs": []}))
    with zoho(server, clock) as client:
        assert client.get("/rest/json/zv/logs", label="default") == {"logs": []}


def test_zoho_401_refreshes_once(server, clock):
    server.route("GET", "/rest/json/zv/logs",
                 Reply(401, {"status": "ERROR", "code": "INVALID_OAUTHTOKEN", "message": "invalid oauth token"}),
                 Reply(200, {"logs": []}))
    with zoho(server, clock) as client:
        assert client.get("/rest/json/zv/logs", label="default") == {"logs": []}
    assert len(server.hits("POST", "/oauth/v2/token")) == 2


# --------------------------------------------------------------------------- secrets

def test_no_secret_in_errors_reprs_or_logs(server, clock, caplog):
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []

    def echo_token(request):  # a hostile server echoing the token back in its message
        return Reply(401, {"code": 124, "message": f"bad token {request.headers['authorization']}"})

    server.route("GET", "/v2/echo", echo_token)
    server.route("GET", "/v2/flaky", Reply(503, {"message": "down"}), Reply(drop=True), Reply(200, "{"))
    server.route("GET", "/rest/json/zv/logs", Reply(200, {"status": "ERROR", "code": "X", "message": REFRESH}))

    def capture(call):
        try:
            call()
        except ApiError as exc:
            seen.extend([str(exc), repr(exc), traceback.format_exc()])
        else:
            raise AssertionError("expected an error")

    zc = zoom(server, clock, max_retries=2)
    zh = zoho(server, clock)
    capture(lambda: zc.get("/echo", label="light"))
    capture(lambda: zc.get("/flaky", label="light"))
    capture(lambda: zh.get("/rest/json/zv/logs", label="default"))
    server.route("POST", "/oauth/token", Reply(401, {"reason": f"bad secret {SECRET}", "error": "invalid_client"}))
    capture(lambda: zoom(server, clock).get("/echo", label="light"))
    server.route("POST", "/oauth/v2/token", Reply(200, {"error": "Access Denied"}))
    capture(lambda: zoho(server, FakeClock()).get("/rest/json/zv/logs", label="default"))
    seen += [repr(zc), repr(zh), repr(zc.auth), repr(zh.auth), caplog.text]
    zc.close()
    zh.close()

    blob = "\n".join(seen)
    assert "bad token" in blob and "Access Denied" in blob  # the errors were captured
    for secret in (SECRET, ZOHO_SECRET, REFRESH, "tok-1", "tok-2", "zoho-1"):
        assert secret not in blob, secret
