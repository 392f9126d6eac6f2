"""Simulated clock and the time helpers every sandbox module shares.

`SimClock` implements the client's Clock protocol (now / monotonic / sleep) so a
test can hand the very same object to the pipeline and to the sandbox:

* frozen (tests): time stands still until `advance()` or `sleep()` moves it;
  `sleep(s)` returns at once after adding `s` seconds, so rate-limit waits cost
  nothing in real time.
* following real time (CLI / demo): `now()` is the real UTC time (plus any
  `advance()` offset, useful to jump a day ahead in a demo); `sleep()` sleeps.
"""

from __future__ import annotations

import calendar
import datetime as dt
import threading
import time

UTC = dt.UTC
DAY = 86400
MONOTONIC_BASE = 1_000.0  # monotonic() never starts at 0 (some code treats 0 as "never")


def parse_instant(value: dt.datetime | str | int | float | None) -> dt.datetime | None:
    """ISO string / datetime / epoch seconds -> aware UTC datetime (naive = UTC)."""
    if value is None:
        return None
    if isinstance(value, int | float):
        return dt.datetime.fromtimestamp(value, tz=UTC)
    if isinstance(value, str):
        text = value.strip()
        if len(text) == 10:
            text += "T00:00:00"
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


class SimClock:
    """Clock for the sandbox (and, shared, for the client under test).

    SimClock(start=None)              -> follows real time, anchored at the real now
    SimClock(start="2026-11-20T12:00:00Z") -> frozen at that instant (frozen defaults to
                                             True when a start is given)
    SimClock(start=..., frozen=False) -> starts at `start` and runs at real speed
    """

    def __init__(self, start: dt.datetime | str | None = None, frozen: bool | None = None):
        start_dt = parse_instant(start)
        self.frozen = (start_dt is not None) if frozen is None else bool(frozen)
        real_now = time.time()
        self._anchor = start_dt.timestamp() if start_dt is not None else real_now
        self._real_anchor = real_now
        self._mono_anchor = time.monotonic()
        self._offset = 0.0
        self._lock = threading.Lock()
        self.start = dt.datetime.fromtimestamp(self._anchor, tz=UTC)

    # -- the Clock protocol -------------------------------------------------
    def timestamp(self) -> float:
        """Current simulated time as epoch seconds (float)."""
        if self.frozen:
            return self._anchor + self._offset
        return self._anchor + (time.monotonic() - self._mono_anchor) + self._offset

    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.timestamp(), tz=UTC)

    def monotonic(self) -> float:
        return MONOTONIC_BASE + (self.timestamp() - self._anchor)

    def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            return
        if self.frozen:
            with self._lock:
                self._offset += float(seconds)
        else:
            time.sleep(seconds)

    # -- test helpers -------------------------------------------------------
    def advance(self, days: float = 0, hours: float = 0, seconds: float = 0, minutes: float = 0) -> dt.datetime:
        """Move simulated time forward (works frozen or not); returns the new now()."""
        delta = days * DAY + hours * 3600 + minutes * 60 + seconds
        if delta < 0:
            raise ValueError("the sandbox clock only moves forward")
        with self._lock:
            self._offset += delta
        return self.now()

    def __repr__(self) -> str:
        mode = "frozen" if self.frozen else "running"
        return f"SimClock({fmt_ts(int(self.timestamp()))}, {mode})"


# ---------------------------------------------------------------------------
# formatting / parsing helpers (integer epoch seconds everywhere inside the world)

_DAY_STR: dict[int, str] = {}


def fmt_date(ts: int | float) -> str:
    d = int(ts) // DAY
    text = _DAY_STR.get(d)
    if text is None:
        text = _DAY_STR[d] = time.strftime("%Y-%m-%d", time.gmtime(d * DAY))
    return text


_HMS = [f"T{h:02d}:{m:02d}:{s:02d}Z" for h in range(24) for m in range(60) for s in range(60)]


def fmt_ts(ts: int | float) -> str:
    """Epoch seconds -> 'YYYY-MM-DDTHH:MM:SSZ' (hot path: day and time-of-day strings are tables)."""
    d, r = divmod(int(ts), DAY)
    text = _DAY_STR.get(d)
    if text is None:
        text = _DAY_STR[d] = time.strftime("%Y-%m-%d", time.gmtime(d * DAY))
    return text + _HMS[r]


def http_date(ts: float) -> str:
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(int(ts)))


def day_of(ts: int | float) -> int:
    return int(ts) // DAY


def add_months(ts: int | float, months: int) -> int:
    """Calendar month arithmetic on epoch seconds (day clamped to the month's length)."""
    t = time.gmtime(int(ts))
    month0 = t.tm_mon - 1 + months
    year = t.tm_year + month0 // 12
    month = month0 % 12 + 1
    mday = min(t.tm_mday, calendar.monthrange(year, month)[1])
    return calendar.timegm((year, month, mday, t.tm_hour, t.tm_min, t.tm_sec, 0, 0, 0))


class BadTime(ValueError):
    pass


def parse_api_time(text: str, zone: dt.tzinfo | None = None) -> tuple[int, bool]:
    """Zoom/Zoho time parameter -> (epoch seconds, is_date_only).

    Accepts yyyy-mm-dd, yyyy-MM-ddTHH:mm:ssZ, ISO 8601 with an offset, and epoch
    milliseconds given as digits (Zoho). A date or a time without a zone is read in
    `zone` (default UTC).
    """
    text = (text or "").strip()
    if not text:
        raise BadTime("empty")
    if text.isdigit() and len(text) > 8:
        return int(text) // 1000, False
    try:
        if len(text) == 10:
            d = dt.date.fromisoformat(text)
            if zone is None:
                return calendar.timegm((d.year, d.month, d.day, 0, 0, 0, 0, 0, 0)), True
            return int(dt.datetime(d.year, d.month, d.day, tzinfo=zone).timestamp()), True
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError as exc:
        raise BadTime(text) from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone or UTC)
    return int(value.timestamp()), False


def offset_of(text: str | None) -> dt.tzinfo | None:
    """The fixed offset a time parameter carries ("...-08:00" -> UTC-8); None for Z, a date or none."""
    text = (text or "").strip()
    if len(text) <= 10 or text.endswith("Z") or text.isdigit():
        return None
    try:
        value = dt.datetime.fromisoformat(text.replace(" ", "+"))
    except ValueError:
        return None
    return value.tzinfo if value.utcoffset() else None


def fmt_zoned(ts: int | float, zone: dt.tzinfo | None, utc_suffix: str = "Z") -> str:
    """Epoch seconds in `zone` with its offset ('2026-11-19T02:00:00-08:00'); UTC (zone None) as
    'YYYY-MM-DDTHH:MM:SS' + utc_suffix ('Z' or '+00:00')."""
    if zone is None:
        return fmt_ts(ts)[:-1] + utc_suffix
    return dt.datetime.fromtimestamp(int(ts), zone).isoformat()
