"""Zoho Voice call-log paging: closed time windows read completely with `from`/`size` offsets.

Offset paging over a list ordered newest first shifts when calls arrive while it is
read: a new call at the top pushes every row one offset down, so a page may repeat a
row (harmless, deduplicated by `logid`) and a call added above the pages already read
is missed. Hence:
- windows end in the past (`now - SETTLE`): new calls fall after the window and are
  read next run (the trailing lag re-reads from the cursor);
- each window is read to its end and the rows read are checked against `meta.total`
  of its first page; if the total moved or rows are missing, the window is read again
  (bounded), yielding only logids not seen yet in this run.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Mapping
from typing import Any

from sources.common.http import ApiClient
from sources.common.shaping import InvalidRecord, parse_epoch_ms, require_key
from sources.common.windows import to_utc

from . import settings

log = logging.getLogger(__name__)


def format_date(value: dt.datetime, date_format: str) -> str:
    """A UTC instant as fromDate/toDate text: a strftime pattern, or "epoch_ms"."""
    value = to_utc(value)
    if date_format == "epoch_ms":
        return str(int(value.timestamp() * 1000))
    return value.strftime(date_format)


def filter_params(**filters: Any) -> list[tuple[str, str]]:
    """Query parameters for the filters that are set (lists become comma-separated)."""
    params = []
    for arg, name in settings.FILTER_PARAMS.items():
        value = filters.get(arg)
        if value is None or value == "" or value == []:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, (list, tuple)):
            value = ",".join(str(v).strip() for v in value)
        params.append((name, str(value).strip()))
    return params


def _in_window(row: Mapping[str, Any], window: tuple[dt.datetime, dt.datetime]) -> bool:
    try:
        start = parse_epoch_ms(row.get("start_time"))
    except (ValueError, TypeError, OverflowError):
        return True  # keep it: shaping keeps the raw value in start_time_raw
    return start is None or window[0] <= start < window[1]


def iter_window_logs(
    client: ApiClient,
    window: tuple[dt.datetime, dt.datetime],
    *,
    seen: set[str],
    page_size: int = settings.MAX_PAGE_SIZE,
    params: list[tuple[str, str]] | None = None,
    date_format: str = settings.DATE_FORMAT,
) -> Iterator[list[dict[str, Any]]]:
    """Yield pages of call logs with start_time in [start, end), each logid once per run (`seen`)."""
    path = settings.LOGS_PATH
    where = f"GET {path} {window[0].isoformat()}..{window[1].isoformat()}"
    # a text format drops the milliseconds (or seconds): ask one minute more, keep [start, end)
    pad = dt.timedelta(0) if date_format == "epoch_ms" else dt.timedelta(minutes=1)
    base = list(params or []) + [
        ("fromDate", format_date(window[0], date_format)),
        ("toDate", format_date(window[1] + pad, date_format)),
    ]
    for attempt in range(1, settings.MAX_WINDOW_READS + 1):
        totals: set[int] = set()
        read: set[str] = set()
        offset = 0
        while True:
            query = base + [("from", offset), ("size", page_size)]
            try:
                body = client.get(path, query, label=settings.LABEL, endpoint=path)
            except Exception as error:
                error.add_note(f"while reading {where} at offset {offset}")
                raise
            if not body:  # HTTP 204 / empty body: end of data
                break
            logs = body.get("logs") or []
            if not isinstance(logs, list):
                raise InvalidRecord(f"{where}: 'logs' is not a list but {type(logs).__name__}")
            total = (body.get("meta") or {}).get("total")
            if isinstance(total, str) and total.isdigit():
                total = int(total)
            if isinstance(total, int):
                totals.add(total)
            fresh = []
            for row in logs:
                logid = str(require_key(row, "logid", where)).strip()
                read.add(logid)
                if logid not in seen and _in_window(row, window):
                    seen.add(logid)
                    fresh.append(row)
            if fresh:
                yield fresh
            offset += len(logs)
            if not logs or len(logs) < page_size or (totals and offset >= max(totals)):
                break
        if not totals or (len(totals) == 1 and len(read) >= min(totals)):  # one total, all of it read
            return
        log.warning(
            "%s: meta.total moved while paging (%s) or rows were missing (%d read); "
            "reading the window again (%d/%d)",
            where, sorted(totals), len(read), attempt, settings.MAX_WINDOW_READS,
        )
    log.warning(
        "%s: the call count kept changing over %d reads; the next run re-reads this range (lag)",
        where, settings.MAX_WINDOW_READS,
    )
