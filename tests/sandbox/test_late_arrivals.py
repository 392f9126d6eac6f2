"""Late arrivals over HTTP: a call listed only once it becomes visible, hours after it started."""

from sandbox import Sandbox, SandboxConfig
from sandbox.clock import fmt_date, fmt_ts
from sandbox.phone import Q_LATE

from .conftest import SMALL, fetch_all, fetch_history, zoom_client


def test_late_call_shows_in_its_window_hours_later():
    probe = Sandbox(SandboxConfig(**SMALL))
    late = next(c for day in range(probe.start_day - 2, probe.first_day, -1)
                for c in probe.phone_days.get(day).calls if c.quirks & Q_LATE and c.vis - c.end > 2 * 3600)
    sb = Sandbox(SandboxConfig(**{**SMALL, "start": fmt_ts(late.end + 600), "enforce_rate_limits": False})).start()
    try:
        with zoom_client(sb) as zoom:
            day = fmt_date(late.start)
            params = {"from": day, "to": day, "page_size": 300}
            before, _ = fetch_all(zoom, "/phone/call_logs", "call_logs", params)
            hist_before = fetch_history(zoom, params)
            assert late.call_id not in {x["call_id"] for x in before + hist_before}
            assert zoom.get(f"/phone/call_logs/{late.log_id(0)}").status_code == 404  # not visible yet
            sb.clock.advance(seconds=late.vis - late.end - 600)
            after, _ = fetch_all(zoom, "/phone/call_logs", "call_logs", params)
            hist_after = fetch_history(zoom, params)
            assert late.call_id in {x["call_id"] for x in after}
            assert late.call_id in {x["call_id"] for x in hist_after}
            assert zoom.get(f"/phone/call_logs/{late.log_id(0)}").status_code == 200
            assert len(after) >= len(before) + 1
            assert [x["date_time"] for x in after] == sorted(x["date_time"] for x in after)
    finally:
        sb.stop()


def test_quirks_over_http(make_sb):
    sb = make_sb(calls_per_day=60, days=40)
    with zoom_client(sb) as zoom:
        items = fetch_history(zoom, {"from": "2026-10-21", "to": "2026-11-20", "page_size": 300})
    assert any(x["call_result"] == "unconnected" for x in items)
    assert any(x.get("site_name", "").endswith(" ") for x in items)
    assert all("call_history_uuid" in x for x in items)
    assert len({frozenset(x) for x in items}) > 3  # optional fields come and go
