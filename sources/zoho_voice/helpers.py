"""Zoho Voice call-log paging: closed time windows read completely with `from`/`size` offsets.

Offset paging over a list ordered newest first shifts when calls arrive while it is
read: a new call at the top pushes every row one offset down, so a page may repeat a
row (harmless, deduplicated by `logid`) and a call added above the pages already read
is missed. Hence:
- windows end in the past (`now - SETTLE`): new calls fall after the window and are
  read next run (the trailing lag re-reads from the cursor);
- each window is read to its end and the rows read are checked against `meta.total`
  of its first page; if the total moved or rows are missing, the window is read again
  (bounded), yielding only logids not seen yet in this run. When only the asked range
  reaches past now (a date format widens it), a growing total is new calls after the
  window: not read again.

`fromDate`/`toDate` have no published format (see settings.DATE_FORMAT). A format without a
zone may be read in the org's time zone and a date has no time: the range asked is the
window widened by `request_range`, and each row is kept by its own start_time (epoch ms,
exact). A row far outside the asked range means the account ignored the date filter: the
run stops with `DateFilterIgnored`, naming the setting to change, instead of reading
every call of the account once per window.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from sources.common.args import arg_error
from sources.common.config import env_var
from sources.common.http import ApiClient, ApiError
from sources.common.paging import PageRequest, ZohoOffsetPaginator, paginate
from sources.common.shaping import InvalidRecord, parse_epoch_ms, require_key
from sources.common.windows import to_utc

from . import settings

log = logging.getLogger(__name__)


class DateFilterIgnored(ApiError):
    """The API answered rows outside the asked fromDate/toDate range: it ignored the date format."""


def format_date(value: dt.datetime, date_format: str) -> str:
    """A UTC instant as fromDate/toDate text: a strftime pattern, or "epoch_ms"."""
    value = to_utc(value)
    if date_format == "epoch_ms":
        return str(int(value.timestamp() * 1000))
    return value.strftime(date_format)


def request_range(window: tuple[dt.datetime, dt.datetime], date_format: str) -> tuple[dt.datetime, dt.datetime]:
    """The range to ask for so that the whole window comes back, whatever the API makes of the format.

    Epoch milliseconds are exact. A pattern in UTC ("...Z", %z) loses at most its last unit: one
    minute more at the end. A pattern without a zone may be read in the org's time zone (-12 h to
    +14 h) and a date covers a whole day that `toDate` may exclude: one day before, two days after.
    """
    if date_format == "epoch_ms":
        return window
    if date_format.endswith("Z") or "%z" in date_format:
        return window[0], window[1] + dt.timedelta(minutes=1)
    return window[0] - dt.timedelta(days=1), window[1] + dt.timedelta(days=2)


def check_date_format(source: str, date_format: str) -> str:
    """"epoch_ms" or a strftime pattern that writes a date; else a ConfigError naming the key."""
    text = (date_format or "").strip()
    sample = dt.datetime(2026, 11, 20, 13, 45, 30, tzinfo=dt.UTC)
    if text == "epoch_ms" or ("%Y" in text and format_date(sample, text) != text):
        return text
    raise arg_error(source, "date_format", f"cannot write dates with {date_format!r}",
                    f"type one of {', '.join(repr(f) for f in settings.DATE_FORMATS)} (or another strftime pattern)")


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


def _start(row: Mapping[str, Any]) -> dt.datetime | None:
    try:
        return parse_epoch_ms(row.get("start_time"))
    except (ValueError, TypeError, OverflowError):
        return None  # kept: shaping keeps the raw value in start_time_raw


def _ignored(asked: tuple[dt.datetime, dt.datetime], query: list[tuple[str, Any]], date_format: str,
             start: dt.datetime) -> DateFilterIgnored:
    sent = {k: v for k, v in query if k in ("fromDate", "toDate")}
    others = [f for f in settings.DATE_FORMATS if f != date_format]
    key = f"sources.{settings.PROVIDER}.date_format"
    return DateFilterIgnored(
        f"asked for calls from {asked[0].isoformat()} to {asked[1].isoformat()} (fromDate={sent['fromDate']}, "
        f"toDate={sent['toDate']}, date_format {date_format!r}) and got one that started {start.isoformat()}: "
        "the account ignored the date filter. Nothing from this run was loaded",
        provider=settings.PROVIDER, method="GET", endpoint=settings.LOGS_PATH, status=200,
        hint=f"set [sources.{settings.PROVIDER}] date_format in .dlt/config.toml (env {env_var(key)}) to another "
             f"format the account honours, one of {', '.join(repr(f) for f in others)}, and run again",
    )


def _logs(where: str) -> Callable[[dict[str, Any]], list[dict[str, Any]]]:
    def logs(body: dict[str, Any]) -> list[dict[str, Any]]:
        found = body.get("logs") or []
        if not isinstance(found, list):
            raise InvalidRecord(f"{where}: 'logs' is not a list but {type(found).__name__}")
        return found

    return logs


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
    asked = request_range(window, date_format)
    base = list(params or []) + [
        ("fromDate", format_date(asked[0], date_format)),
        ("toDate", format_date(asked[1], date_format)),
    ]
    # a row this far outside the asked range cannot come from a reading of the format: it was ignored
    plausible = (asked[0] - settings.IGNORED_FILTER_SLACK, asked[1] + settings.IGNORED_FILTER_SLACK)
    # new calls after the window land in an asked range that reaches past now: a growing total then
    # is no sign of a call missed inside the window
    grows_after = asked[1] > to_utc(client.clock.now()) >= window[1]
    request = PageRequest(path, base, label=settings.LABEL, where=where)
    for attempt in range(1, settings.MAX_WINDOW_READS + 1):
        pager = ZohoOffsetPaginator(page_size)
        read: set[str] = set()
        for _, logs in paginate(client, request, pager, _logs(where)):
            fresh = []
            for row in logs:
                logid = str(require_key(row, "logid", where)).strip()
                read.add(logid)
                start = _start(row)
                if start is not None and not plausible[0] <= start <= plausible[1]:
                    raise _ignored(asked, base, date_format, start)
                if logid not in seen and (start is None or window[0] <= start < window[1]):
                    seen.add(logid)
                    fresh.append(row)
            if fresh:
                yield fresh
        totals = pager.totals
        if not totals or (len(totals) == 1 and len(read) >= min(totals)):  # one total, all of it read
            return
        if grows_after and len(read) >= min(totals):
            log.debug("%s: %d calls arrived after the window while it was read", where, max(totals) - min(totals))
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
