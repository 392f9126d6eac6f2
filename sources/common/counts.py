"""How many records the API holds in a time window, asked the cheapest way it allows.

`callpipe audit` compares these counts with the warehouse day by day, and `--plan` turns them
into the requests a run will make. Each source describes what it counts in its `counts.py`
(`counted(settings) -> list[Counted]`); the requests go through the source's ApiClient, so they
stay inside the same rate limiters as a run.

Zoom lists answer `total_records` for the whole window whatever the page size: one request with
`page_size=1` per window and per pass (call history is read once per `recording_status`).
Zoho answers `meta.total` for the asked range: one request with `size=1`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sources.common.http import ApiClient, ApiError
from sources.common.windows import zoom_range

Window = tuple[dt.datetime, dt.datetime]  # half-open [start, end), UTC
Query = tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Detail:
    """A child table filled by one detail request per listed record (Zoom Phone legs)."""

    resource: str
    table: str
    parent_column: str  # the parent's key as a column of the child table
    endpoint: str
    label: str


@dataclass(frozen=True)
class Sync:
    """A per-user sync (one token per user) fed by a users list."""

    resource: str
    table: str  # the first table the sync fills (its rows per listed record estimate the pages)
    endpoint: str
    label: str
    count: int  # rows per sync answer
    users_resource: str
    users_endpoint: str
    users_label: str
    users_page_size: int
    tokens_resource: str  # resource state holding the tokens (its name in dlt state)


@dataclass(frozen=True)
class Counted:
    """One list the API can count by window, and the warehouse table it lands in."""

    resource: str
    table: str
    time_column: str  # UTC days are cut on this column of the table
    key: str
    endpoint: str
    label: str
    page_size: int  # what the run asks per page
    passes: tuple[Query, ...]  # the run reads every window once per pass
    # (client, window, query) -> (records, list requests the run makes for the window with that query)
    measure: Callable[[ApiClient, Window, Query], tuple[int, int]]
    # (client, day) -> records of that UTC day (None: use `measure`)
    count_day: Callable[[ApiClient, Window], int] | None = None
    window_days: int = 30
    detail: Detail | None = None
    sync: Sync | None = None
    note: str = ""  # said in the audit's request plan (what a count may not cover exactly)
    repair_resources: tuple[str, ...] = field(default=())  # what a repair backfills

    def count(self, client: ApiClient, window: Window) -> int:
        """Records of the window over every pass."""
        if self.count_day is not None:
            return self.count_day(client, window)
        return sum(self.measure(client, window, query)[0] for query in self.passes)

    @property
    def requests_per_count(self) -> int:
        return 1 if self.count_day is not None else len(self.passes)

    def describe_request(self) -> str:
        if self.count_day is not None or len(self.passes) <= 1:
            extra = " ".join(f"{k}={v}" for k, v in (self.passes[0] if self.passes else ()))
            return f"GET {self.endpoint}{' ' + extra if extra else ''}"
        names = sorted({k for q in self.passes for k, _ in q})
        values = ", ".join("&".join(f"{k}={v}" for k, v in q if k in names) for q in self.passes)
        return f"GET {self.endpoint} (one per {', '.join(names)}: {values})"


def pages(records: int, page_size: int) -> int:
    """List requests for `records`: full pages, at least one (an empty window still answers)."""
    return max(1, math.ceil(records / max(1, page_size)))


def zoom_total(client: ApiClient, path: str, label: str, window: Window | None,
               query: Sequence[tuple[str, Any]] = ()) -> int:
    """`total_records` of one Zoom list (of one window) in one request with page_size=1."""
    params = [*query, *(zoom_range(*window).items() if window else ()), ("page_size", 1)]
    body = client.get(path, params, label=label, endpoint=path) or {}
    total = body.get("total_records")
    if isinstance(total, str) and total.isdigit():
        total = int(total)
    if not isinstance(total, int):
        raise ApiError("the answer carries no total_records: this list cannot be counted", provider=client.provider,
                       method="GET", endpoint=path, status=200,
                       hint="audit and --plan need the API's total; run a backfill of the range instead")
    return total


def zoom_measure(path: str, label: str, page_size: int) -> Callable[[ApiClient, Window, Query], tuple[int, int]]:
    def measure(client: ApiClient, window: Window, query: Query) -> tuple[int, int]:
        total = zoom_total(client, path, label, window, query)
        return total, pages(total, page_size)

    return measure
