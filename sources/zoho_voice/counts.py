"""What `callpipe audit` and `--plan` count for Zoho Voice (sources.common.counts): call logs,
`meta.total` of one request with `size=1` (HTTP 204: none), with the run's filters.

A day is asked as the run asks dates: with `date_format = "epoch_ms"` exactly [00:00, 24:00) UTC;
with a pattern without a zone (the default yyyy-mm-dd) Zoho reads the day in the org's time zone,
which is the UTC day only for an org in UTC: set epoch_ms for an exact audit elsewhere.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sources.common.args import list_arg
from sources.common.counts import Counted, Query, Window, pages
from sources.common.http import ApiClient

from . import settings as s
from .helpers import check_date_format, filter_params, format_date, request_range


def total(client: ApiClient, asked: Window, date_format: str, params: Query, *, whole_days: bool = False) -> int:
    """meta.total of [asked) (for a date-only format and `whole_days`: the days from asked[0] to asked[1])."""
    last = asked[1] - dt.timedelta(days=1) if whole_days else asked[1]
    query = [*params, ("fromDate", format_date(asked[0], date_format)), ("toDate", format_date(last, date_format)),
             ("from", 0), ("size", 1)]
    body = client.get(s.LOGS_PATH, query, label=s.LABEL, endpoint=s.LOGS_PATH) or {}
    value = (body.get("meta") or {}).get("total")
    return int(value) if isinstance(value, int) or (isinstance(value, str) and value.isdigit()) else 0


def counted(options: Mapping[str, Any]) -> list[Counted]:
    date_format = check_date_format(s.PROVIDER, options.get("date_format") or s.DATE_FORMAT)
    page_size = int(options.get("page_size") or s.MAX_PAGE_SIZE)
    params = tuple(filter_params(
        call_type=options.get("call_type"), agent=options.get("agent"),
        department_id=list_arg(s.PROVIDER, "department_id", options.get("department_id")),
        group_ids=list_arg(s.PROVIDER, "group_ids", options.get("group_ids")),
        number_ids=list_arg(s.PROVIDER, "number_ids", options.get("number_ids")),
        is_voicemail=options.get("is_voicemail"), is_recording=options.get("is_recording")))
    date_only = "%H" not in date_format and date_format != "epoch_ms"

    def measure(client: ApiClient, window: Window, query: Query) -> tuple[int, int]:
        # the run asks the widened range and pages all of it (helpers.iter_window_logs)
        found = total(client, request_range(window, date_format), date_format, query)
        return found, pages(found, page_size)

    def count_day(client: ApiClient, day: Window) -> int:
        # a date-only toDate includes its whole day: the day is asked as fromDate = toDate = that day
        return total(client, day, date_format, params, whole_days=date_only)

    note = ("" if not date_only else
            f"days are asked as dates (date_format {date_format!r}): Zoho reads them in the org's time zone")
    return [Counted(
        resource="call_logs", table="call_logs", time_column="start_time", key="logid", endpoint=s.LOGS_PATH,
        label=s.LABEL, page_size=page_size, passes=(params,), measure=measure, count_day=count_day,
        window_days=s.WINDOW_DAYS, note=note, repair_resources=("call_logs",),
    )]
