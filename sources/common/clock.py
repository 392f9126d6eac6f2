"""The injected clock: everything time-dependent in the client goes through it.

Tests (and the sandbox's SimClock) pass their own object with the same three
methods, so token expiry, rate limiting and backoff can be driven without
waiting in real time.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """Timezone-aware UTC wall clock."""
        ...

    def monotonic(self) -> float:
        """Seconds, for rate limiting and token expiry."""
        ...

    def sleep(self, seconds: float) -> None: ...


class RealClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def __repr__(self) -> str:
        return "RealClock()"


REAL_CLOCK = RealClock()
