"""Date windows for list endpoints that answer at most one month per request.

Windows are half-open [start, end). Zoom's `to` is inclusive to the second, so the
request sends `end - 1 s` (see `zoom_range`). Zoom also refuses (or silently empties)
anything older than six months: `clamp_lookback` moves the start up and says so.
"""

from __future__ import annotations

import datetime as dt
import logging

import pendulum

log = logging.getLogger(__name__)

UTC = dt.UTC
ZOOM_LOOKBACK_MONTHS = 6
# stay a little inside the six months so server/client clock skew cannot push a window out
LOOKBACK_MARGIN = dt.timedelta(hours=1)
DEFAULT_WINDOW_DAYS = 30


def to_utc(value: dt.datetime | dt.date | str) -> dt.datetime:
    """Datetime, date or ISO string -> aware UTC datetime (a naive value is taken as UTC)."""
    if isinstance(value, str):
        value = pendulum.parse(value)
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return dt.datetime.fromtimestamp(value.timestamp(), tz=UTC)


def lookback_start(now: dt.datetime, months: int = ZOOM_LOOKBACK_MONTHS) -> dt.datetime:
    """The oldest instant the API still serves, with a safety margin."""
    oldest = pendulum.instance(to_utc(now)).subtract(months=months)
    return to_utc(oldest) + LOOKBACK_MARGIN


def clamp_lookback(
    start: dt.datetime, now: dt.datetime, what: str, months: int = ZOOM_LOOKBACK_MONTHS
) -> dt.datetime:
    """Move `start` into the API's look-back window, warning when data is out of reach."""
    oldest = lookback_start(now, months)
    if start < oldest - LOOKBACK_MARGIN:  # within the margin: a default start, nothing lost
        log.warning(
            "%s: start %s is older than the API keeps (%d months); loading from %s instead. "
            "Older calls cannot be fetched from this endpoint.",
            what,
            start.isoformat(),
            months,
            oldest.isoformat(),
        )
    return max(start, oldest)


def month_windows(
    start: dt.datetime, end: dt.datetime, max_days: int = DEFAULT_WINDOW_DAYS
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Cut [start, end) into consecutive windows of at most `max_days` days."""
    start, end = to_utc(start), to_utc(end)
    step = dt.timedelta(days=max_days)
    windows = []
    while start < end:
        stop = min(start + step, end)
        windows.append((start, stop))
        start = stop
    return windows


def zoom_time(value: dt.datetime) -> str:
    return to_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def zoom_range(start: dt.datetime, end: dt.datetime) -> dict[str, str]:
    """`from`/`to` query parameters for the half-open window [start, end)."""
    start = to_utc(start)
    last_second = max(to_utc(end) - dt.timedelta(seconds=1), start)
    return {"from": zoom_time(start), "to": zoom_time(last_second)}


def describe(window: tuple[dt.datetime, dt.datetime]) -> str:
    return f"window {zoom_time(window[0])}..{zoom_time(window[1])}"
