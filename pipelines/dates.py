"""Command-line dates: YYYY-MM-DD or ISO 8601 with a zone, checked before any request."""

from __future__ import annotations

import datetime as dt
import re

import pendulum

from pipelines.errors import UsageError

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
EXAMPLES = "2026-06-01 or 2026-06-01T08:00:00Z or 2026-06-01T10:00:00+02:00"


def parse_cli_date(text: str, option: str, *, end: bool = False) -> dt.datetime:
    """-> aware UTC datetime. A bare date means midnight UTC; as an `end` it includes that whole day."""
    value = (text or "").strip()
    if _DATE.match(value):
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            raise UsageError(f"{option} {text!r} is not a real date: type a date like {EXAMPLES}") from None
        start = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
        return start + dt.timedelta(days=1) if end else start
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise UsageError(f"{option} {text!r} is not a date: type a date like {EXAMPLES}") from None
    if parsed.tzinfo is None:
        raise UsageError(
            f"{option} {text!r} has no time zone: add one, e.g. {value}Z (UTC) or {value}+02:00, "
            "or give a plain date like 2026-06-01"
        )
    return parsed.astimezone(dt.UTC)


def earliest_start(now: dt.datetime, months: int) -> dt.datetime:
    """The oldest instant an API with a `months` look-back still serves."""
    return pendulum.instance(now).in_tz("UTC").subtract(months=months)


def check_range(
    start: dt.datetime, end: dt.datetime, now: dt.datetime, *, source: str, lookback_months: int | None,
    start_text: str | None = None, end_text: str | None = None,
) -> tuple[dt.datetime, list[str]]:
    """Validate a backfill range; returns the (possibly capped) end and notes. Raises UsageError."""
    notes: list[str] = []
    if start >= end:
        a = start_text or f"{start:%Y-%m-%dT%H:%M:%SZ}"
        b = end_text or f"{end:%Y-%m-%dT%H:%M:%SZ}"
        raise UsageError(
            f"--start {a} is not before --end {b}: give the earlier one as --start, "
            f"e.g. --start {b} --end {a} (a plain date as --end includes that whole day)"
        )
    if start >= now:
        raise UsageError(f"--start {start:%Y-%m-%d %H:%M} UTC is in the future: the latest start is today "
                         f"({now:%Y-%m-%d})")
    if lookback_months:
        oldest = earliest_start(now, lookback_months)
        if start < oldest:
            first_day = (oldest + dt.timedelta(days=1)).date()
            raise UsageError(
                f"{source} keeps only the last {lookback_months} months of call records: --start "
                f"{start:%Y-%m-%d} is older than {oldest:%Y-%m-%d %H:%M} UTC. Type --start {first_day} "
                "or later (older calls cannot be fetched from this API)"
            )
    if end > now:
        notes.append(f"--end is in the future: loading up to now ({now:%Y-%m-%d %H:%M} UTC)")
        end = now
    return end, notes


_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhd]?)$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str | float | int, where: str) -> float:
    """"2h", "90m", "45s", "1.5h", "1d" or a number of seconds -> seconds (> 0). `where` names the
    option or config key (and its env var) in the error."""
    match = _DURATION.match(str(text).strip().lower())
    seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)] if match else 0.0
    if seconds <= 0:
        raise UsageError(f"{where}: cannot read {str(text)!r} as a duration: type a number with a unit, "
                         "e.g. 2h, 90m or 45s")
    return seconds
