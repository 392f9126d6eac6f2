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

from sources.common.shaping import parse_ts

STATE_KEY = "recent_fingerprints"


def fingerprint(row: Mapping[str, Any]) -> str:
    payload = json.dumps(row, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.blake2b(payload.encode(), digest_size=8).hexdigest()


class ChangeFilter:
    """Per-resource memory of {key: [fingerprint, cursor]} for rows in the lag window."""

    def __init__(self, state: MutableMapping[str, Any], keep_after: dt.datetime):
        self._seen: dict[str, list[str]] = state.setdefault(STATE_KEY, {})
        cutoff = parse_ts(keep_after).isoformat()
        for key in [k for k, (_, cursor) in self._seen.items() if cursor < cutoff]:
            del self._seen[key]
        self._cutoff = cutoff

    def changed(self, key: str, row: Mapping[str, Any], cursor: dt.datetime | str | None) -> bool:
        """True if the row is new or changed; remembers it when its cursor is recent."""
        fp = fingerprint(row)
        known = self._seen.get(key)
        if known is not None and known[0] == fp:
            return False
        when = parse_ts(cursor) if cursor is not None else None
        cursor_text = when.isoformat() if when is not None else ""
        if cursor_text >= self._cutoff:
            self._seen[key] = [fp, cursor_text]
        return True

    def __len__(self) -> int:
        return len(self._seen)
