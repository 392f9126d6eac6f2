"""Skip re-read rows that have not changed since the last run.

Every nightly run re-reads a trailing window (the lag) to catch late arrivals and
late updates. Without this filter each re-read row would be loaded again and, worse,
fan out into one detail request per call. The filter keeps a short fingerprint of
each row the next run will read again in dlt resource state (committed atomically with
the load), and passes on only rows that are new or whose content changed.

What the next run reads again: dlt starts it at the newest cursor value loaded so far minus
the lag, so the filter remembers the rows from (newest cursor seen - lag) on. That follows
the data, not the clock: when the newest call is days older than "now" (a quiet weekend, a
small account) the window the next run re-reads is still remembered.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import heapq
import json
from collections.abc import Mapping, MutableMapping
from typing import Any

import dlt
import orjson

from sources.common.shaping import parse_ts

STATE_KEY = "recent_fingerprints"
# count of re-read rows skipped as unchanged, in the resource's dlt custom metrics
UNCHANGED_METRIC = "unchanged_rows"
# remembered a little before the next run's start too: window bounds are cut to the second
# (or to the minute, Zoho's text dates) and must not turn a remembered row into an unknown one
REMEMBER_MARGIN = dt.timedelta(hours=1)


def fingerprint(row: Mapping[str, Any]) -> str:
    try:  # orjson: 3x faster than json.dumps, the same bytes for ASCII text
        payload = orjson.dumps(row, option=orjson.OPT_SORT_KEYS, default=str)
    except TypeError:  # an integer beyond 64 bits, a non-text key
        payload = json.dumps(row, sort_keys=True, default=str, separators=(",", ":")).encode()
    return hashlib.blake2b(payload, digest_size=8).hexdigest()


def nightly_filter(cursor: Any, keep_after: dt.datetime, now: dt.datetime | None = None) -> ChangeFilter | None:
    """The change filter of a nightly run (in the resource's dlt state); None for a backfill (a
    closed range: `cursor.end_value` set), which reloads its range and leaves the memory alone.
    `now` is not needed: what the next run re-reads follows from the rows seen."""
    if cursor.end_value is not None:
        return None
    return ChangeFilter(dlt.current.resource_state(), keep_after=keep_after,
                        lag=dt.timedelta(seconds=cursor.lag or 0), metrics=dlt.current.resource_metrics())


def _text(when: dt.datetime | str | None) -> str:
    parsed = parse_ts(when)
    return parsed.isoformat() if parsed is not None else ""


class ChangeFilter:
    """Per-resource memory of {key: [fingerprint, cursor]} for the rows the next run re-reads."""

    def __init__(
        self,
        state: MutableMapping[str, Any],
        keep_after: dt.datetime,
        lag: dt.timedelta = dt.timedelta(0),
        metrics: MutableMapping[str, Any] | None = None,
    ):
        """`keep_after`: this run's start (older memories are dropped). `lag`: the cursor's lag;
        `metrics`: where the count of skipped rows goes (dlt's resource metrics)."""
        self._seen: dict[str, list[str]] = state.setdefault(STATE_KEY, {})
        self._start = _text(keep_after)
        for key in [k for k, (_, cursor) in self._seen.items() if cursor < self._start]:
            del self._seen[key]
        self._lag = lag + REMEMBER_MARGIN
        self._newest: dt.datetime | None = None
        self._remember_from = self._start
        # (cursor, key) of the rows seen by this run, oldest first: forgotten once the newest cursor
        # has moved on past them. A memory of an earlier run stays until its row is read again
        # (rows come in any order: it may be read after newer ones) or the next run starts past it.
        self._queue: list[tuple[str, str]] = []
        self._metrics = metrics if metrics is not None else {}
        self._metrics.setdefault(UNCHANGED_METRIC, 0)

    def changed(self, key: str, row: Mapping[str, Any], cursor: dt.datetime | str | None) -> bool:
        """True if the row is new or changed; remembers it when the next run will re-read it."""
        when = parse_ts(cursor)
        if when is not None and (self._newest is None or when > self._newest):
            self._newest = when
            self._remember_from = max(self._start, (when - self._lag).isoformat())
            self._forget_older()
        cursor_text = when.isoformat() if when is not None else ""
        remember = cursor_text >= self._remember_from
        known = self._seen.get(key)
        if known is None and not remember:
            return True  # new and too old to be re-read: no fingerprint needed
        fp = fingerprint(row)
        unchanged = known is not None and known[0] == fp
        if remember:
            if not unchanged:
                self._seen[key] = [fp, cursor_text]
            heapq.heappush(self._queue, (cursor_text, key))
        elif known is not None:
            del self._seen[key]
        if unchanged:
            self._metrics[UNCHANGED_METRIC] += 1
        return not unchanged

    def _forget_older(self) -> None:
        queue = self._queue
        while queue and queue[0][0] < self._remember_from:
            cursor, key = heapq.heappop(queue)
            entry = self._seen.get(key)
            if entry is not None and entry[1] == cursor:  # not remembered again since, with a later cursor
                del self._seen[key]

    def __len__(self) -> int:
        return len(self._seen)
