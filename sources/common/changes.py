"""Skip re-read rows that have not changed since the last run.

Every nightly run re-reads a trailing window (the lag) to catch late arrivals and
late updates. Without this filter each re-read row would be loaded again and, worse,
fan out into one detail request per call. The filter keeps a short fingerprint of
each row seen inside the lag window in dlt resource state (committed atomically with
the load), and passes on only rows that are new or whose content changed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, MutableMapping
from typing import Any

import dlt

from sources.common.shaping import parse_ts

STATE_KEY = "recent_fingerprints"
# rows this much older than "now minus the lag" are remembered too: the next run starts at
# its last cursor value minus the lag, which is a little before now minus the lag
REMEMBER_MARGIN = dt.timedelta(days=1)


def remember_from(now: dt.datetime, lag_seconds: float | None) -> dt.datetime:
    """Where the next nightly run's re-read is expected to begin."""
    return now - dt.timedelta(seconds=lag_seconds or 0) - REMEMBER_MARGIN


def fingerprint(row: Mapping[str, Any]) -> str:
    payload = json.dumps(row, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.blake2b(payload.encode(), digest_size=8).hexdigest()


def nightly_filter(cursor: Any, keep_after: dt.datetime, now: dt.datetime) -> ChangeFilter | None:
    """The change filter of a nightly run (in the resource's dlt state); None for a backfill (a
    closed range: `cursor.end_value` set), which reloads its range and leaves the memory alone."""
    if cursor.end_value is not None:
        return None
    return ChangeFilter(dlt.current.resource_state(), keep_after=keep_after,
                        remember_after=remember_from(now, cursor.lag))


class ChangeFilter:
    """Per-resource memory of {key: [fingerprint, cursor]} for rows in the lag window."""

    def __init__(
        self,
        state: MutableMapping[str, Any],
        keep_after: dt.datetime,
        remember_after: dt.datetime | None = None,
    ):
        """`keep_after`: this run's start (older memories are dropped). `remember_after`: only
        rows from here on are remembered, i.e. what the next run will re-read (about now minus
        the lag); it keeps the state small after a first load of many months."""
        self._seen: dict[str, list[str]] = state.setdefault(STATE_KEY, {})
        cutoff = parse_ts(keep_after).isoformat()
        for key in [k for k, (_, cursor) in self._seen.items() if cursor < cutoff]:
            del self._seen[key]
        remember = parse_ts(remember_after).isoformat() if remember_after is not None else cutoff
        self._remember_from = max(cutoff, remember)

    def changed(self, key: str, row: Mapping[str, Any], cursor: dt.datetime | str | None) -> bool:
        """True if the row is new or changed; remembers it when the next run will re-read it."""
        known = self._seen.get(key)
        when = parse_ts(cursor)
        cursor_text = when.isoformat() if when is not None else ""
        remember = cursor_text >= self._remember_from
        if known is None and not remember:
            return True  # new and too old to be re-read: no fingerprint needed (most of a first load)
        fp = fingerprint(row)
        if known is not None and known[0] == fp:
            return False
        if remember:
            self._seen[key] = [fp, cursor_text]
        else:
            del self._seen[key]
        return True

    def __len__(self) -> int:
        return len(self._seen)
