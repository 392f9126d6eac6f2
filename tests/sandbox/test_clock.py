import datetime as dt
import threading
import time

from sandbox import SimClock
from sandbox.clock import add_months, fmt_ts, parse_api_time

UTC = dt.UTC


def test_frozen_clock_stands_still_and_sleep_advances():
    c = SimClock("2026-11-20T12:00:00Z")
    assert c.frozen
    assert c.now() == dt.datetime(2026, 11, 20, 12, tzinfo=UTC)
    m0 = c.monotonic()
    time.sleep(0.01)
    assert c.now() == dt.datetime(2026, 11, 20, 12, tzinfo=UTC)
    t0 = time.perf_counter()
    c.sleep(600)  # returns at once
    assert time.perf_counter() - t0 < 0.1
    assert c.now() == dt.datetime(2026, 11, 20, 12, 10, tzinfo=UTC)
    assert c.monotonic() - m0 == 600
    assert c.advance(days=1, hours=2, seconds=3) == dt.datetime(2026, 11, 21, 14, 10, 3, tzinfo=UTC)
    assert c.now().tzinfo is not None


def test_frozen_sleep_is_thread_safe():
    c = SimClock(dt.datetime(2026, 1, 1, tzinfo=UTC))
    threads = [threading.Thread(target=lambda: [c.sleep(0.5) for _ in range(200)]) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert c.now() == dt.datetime(2026, 1, 1, 0, 13, 20, tzinfo=UTC)


def test_real_time_clock_follows_wall_clock():
    c = SimClock()
    assert not c.frozen
    assert abs((c.now() - dt.datetime.now(UTC)).total_seconds()) < 1
    t0 = time.perf_counter()
    c.sleep(0.05)
    assert time.perf_counter() - t0 >= 0.045
    before = c.now()
    c.advance(days=1)
    assert (c.now() - before).total_seconds() >= 86400


def test_time_helpers():
    assert fmt_ts(0) == "1970-01-01T00:00:00Z"
    assert parse_api_time("2026-11-20") == (int(dt.datetime(2026, 11, 20, tzinfo=UTC).timestamp()), True)
    assert parse_api_time("2026-11-20T01:02:03Z")[0] == int(dt.datetime(2026, 11, 20, 1, 2, 3, tzinfo=UTC).timestamp())
    assert parse_api_time("1764831298000") == (1764831298, False)
    jan31 = int(dt.datetime(2026, 1, 31, tzinfo=UTC).timestamp())
    assert fmt_ts(add_months(jan31, 1)) == "2026-02-28T00:00:00Z"
    assert fmt_ts(add_months(jan31, -6)) == "2025-07-31T00:00:00Z"
