"""Zoom per-second limits per label, Heavy daily budget; all on the sandbox clock."""

import email.utils

from .conftest import zoom_client


def test_qps_limit_answers_429_with_headers_and_recovers(make_sb):
    sb = make_sb(enforce_rate_limits=True)
    with zoom_client(sb) as zoom:
        statuses = [zoom.get("/phone/call_logs").status_code for _ in range(10)]
        assert statuses == [200] * 10
        r = zoom.get("/phone/call_logs")
        assert r.status_code == 429
        assert r.json() == {"code": 429, "message": "You have reached the maximum per-second rate limit for "
                                                    "this API. Try again later."}
        assert r.headers["X-RateLimit-Type"] == "QPS"
        assert r.headers["X-RateLimit-Category"] == "Heavy"
        assert r.headers["X-RateLimit-Limit"] == "10"
        assert r.headers["X-RateLimit-Remaining"] == "0"
        assert r.headers["Retry-After"] == "1"
        # other labels have their own budget
        assert zoom.get("/phone/users").status_code == 200
        sb.clock.sleep(1.0)
        assert zoom.get("/phone/call_logs").status_code == 200


def test_light_and_medium_limits(make_sb):
    sb = make_sb(enforce_rate_limits=True, zoom_rate_limits={"light": 5, "medium": 3})
    with zoom_client(sb) as zoom:
        log_id = sb.truth.call_logs()[0]["id"]
        codes = [zoom.get(f"/phone/call_logs/{log_id}").status_code for _ in range(6)]
        assert codes == [200] * 5 + [429]
        codes = [zoom.get("/phone/users").status_code for _ in range(4)]
        assert codes == [200] * 3 + [429]
        r = zoom.get("/phone/users")
        assert r.headers["X-RateLimit-Category"] == "Medium" and r.headers["X-RateLimit-Limit"] == "3"


def test_sliding_window_on_sim_clock(make_sb):
    sb = make_sb(enforce_rate_limits=True, zoom_rate_limits={"heavy": 4})
    with zoom_client(sb) as zoom:
        ok = 0
        for _ in range(40):  # a well-behaved client: one request every 0.25 s of sandbox time
            ok += zoom.get("/phone/call_history").status_code == 200
            sb.clock.sleep(0.25)
        assert ok == 40
        for _ in range(4):
            zoom.get("/phone/call_history")
        assert zoom.get("/phone/call_history").status_code == 429


def test_heavy_daily_limit(make_sb):
    sb = make_sb(enforce_rate_limits=True, zoom_heavy_daily=5, start="2026-11-20T23:30:00Z")
    with zoom_client(sb) as zoom:
        for _ in range(5):
            assert zoom.get("/contact_center/voice_calls").status_code == 200
            sb.clock.sleep(1)
        r = zoom.get("/phone/call_logs")
        assert r.status_code == 429
        assert "maximum daily rate limit" in r.json()["message"]
        assert r.headers["X-RateLimit-Type"] == "Daily-limit"
        assert email.utils.parsedate_to_datetime(r.headers["Retry-After"]).isoformat() == "2026-11-21T00:00:00+00:00"
        assert zoom.get("/phone/call_logs/does-not-exist").status_code == 404  # Light is not budgeted
        sb.clock.advance(minutes=31)  # next UTC day (the token is still valid)
        assert zoom.get("/phone/call_logs").status_code == 200


def test_limits_off(sb, zoom):
    assert all(zoom.get("/phone/call_logs").status_code == 200 for _ in range(50))
