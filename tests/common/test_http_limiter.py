"""RateLimiter: sliding window on a simulated clock, daily budget, real-time rate across threads."""

from __future__ import annotations

import datetime as dt
import random
import threading
import time

import pytest

from sources.common.clock import REAL_CLOCK
from sources.common.http import ApiClient, QuotaExhausted, RateLimiter, RetryPolicy, ZoomS2SAuth
from tests.common.fake_server import FakeClock, FakeServer, Reply, token_handler


def max_in_window(times: list[float], window: float) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_sliding_window_never_exceeds_rate_on_simulated_clock():
    clock = FakeClock()
    limiter = RateLimiter(5, period=1.0, clock=clock, name="t")
    rng = random.Random(7)
    sent = []
    for _ in range(300):
        if rng.random() < 0.3:
            clock.advance(rng.random() * 0.7)  # irregular gaps between callers
        limiter.acquire()
        sent.append(clock.monotonic())
    assert max_in_window(sent, 1.0) == 5
    # and it does not throttle more than needed: 300 sends take about 300 / 5 seconds
    assert sent[-1] - sent[0] < 300 / 5 + 30


def test_sliding_window_across_threads_on_simulated_clock():
    clock = FakeClock()
    limiter = RateLimiter(4, period=2.0, clock=clock, name="t")
    sent, lock = [], threading.Lock()

    def worker():
        for _ in range(40):
            limiter.acquire()
            with lock:
                sent.append(clock.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(sent) == 240
    assert max_in_window(sent, 2.0) == 4
    assert max(sent) - min(sent) == pytest.approx(240 / 4 * 2.0 - 2.0, abs=0.1)


def test_margin_widens_the_window():
    clock = FakeClock()
    limiter = RateLimiter(2, period=1.0, clock=clock, margin=0.1)
    sent = []
    for _ in range(10):
        limiter.acquire()
        sent.append(clock.monotonic())
    assert max_in_window(sent, 1.1) == 2


def test_daily_budget_per_utc_day():
    clock = FakeClock(dt.datetime(2026, 11, 20, 23, 59, tzinfo=dt.UTC))
    limiter = RateLimiter(100, daily=3, clock=clock, name="zoom heavy")
    for _ in range(3):
        limiter.acquire()
    with pytest.raises(QuotaExhausted) as info:
        limiter.acquire()
    assert info.value.retry_at == dt.datetime(2026, 11, 21, tzinfo=dt.UTC)
    assert "daily budget of 3" in str(info.value)
    clock.advance(61)  # past midnight UTC: a new day's budget
    limiter.acquire()


def test_block_until_pauses_acquire():
    clock = FakeClock()
    limiter = RateLimiter(100, clock=clock)
    limiter.block_until(clock.now() + dt.timedelta(seconds=30))
    with pytest.raises(QuotaExhausted):
        limiter.acquire()
    clock.advance(30)
    limiter.acquire()


@pytest.mark.parametrize("kwargs", [{"rate": 0}, {"rate": -1}, {"rate": 5, "period": 0}, {"rate": 5, "daily": 0}])
def test_invalid_limits_rejected(kwargs):
    with pytest.raises(ValueError):
        RateLimiter(**kwargs)


def test_rate_held_within_10_percent_across_8_threads_in_real_time():
    """20 req/s through the real client and server for ~3 s: the server sees 60 +- 10 %,
    and never more than 20 in any 1-second window of its own arrival times (the margin
    absorbs the jitter between our acquire() and the server reading the request)."""
    rate, seconds = 20, 3.0
    with FakeServer() as server:
        server.route("POST", "/oauth/token", token_handler())
        server.route("GET", "/v2/phone/users", Reply(200, {"users": []}))
        auth = ZoomS2SAuth(server.url + "/oauth/token", "a", "c", "s", clock=REAL_CLOCK)
        limiter = RateLimiter(rate, 1.0, clock=REAL_CLOCK, name="zoom medium", margin=0.1)
        client = ApiClient("zoom", server.url + "/v2", auth, {"medium": limiter}, retry=RetryPolicy(max_retries=0))
        client.get("/phone/users", label="medium")  # token + connection warm-up
        time.sleep(1.1)
        del server.requests[:]
        deadline = time.monotonic() + seconds + 0.5

        def worker():
            while time.monotonic() < deadline:
                client.get("/phone/users", label="medium", endpoint="/phone/users")

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        client.close()
        arrivals = sorted(r.at for r in server.requests)
    first = arrivals[0]
    in_span = [t for t in arrivals if t < first + seconds]
    assert rate * seconds * 0.9 <= len(in_span) <= rate * seconds * 1.1, len(in_span)
    assert max_in_window(arrivals, 1.0) <= rate
