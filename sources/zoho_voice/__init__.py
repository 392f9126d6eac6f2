"""Zoho Voice call logs (dataset `zoho_voice`): table `call_logs`, merged on `logid`.

No `from __future__ import annotations` here: dlt finds the incremental argument of
`call_logs` by its annotation, and a string annotation leaves it silently unbound
(no cursor saved, every run reads from start_date).
"""

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

import dlt
import pyarrow as pa

from sources.common.args import check_common, check_range, date_arg, list_arg, resources_arg
from sources.common.clock import Clock
from sources.common.config import build_zoho_client
from sources.common.http import ApiClient
from sources.common.shaping import flatten, rows_to_arrow
from sources.common.windowed import Progress, Window, windowed_pages
from sources.common.windows import to_utc

from . import settings
from .helpers import check_date_format, filter_params, iter_window_logs

Ids = str | list[str] | None  # one id, "a,b", or a list


SOURCE = "zoho_voice"


@dlt.source(name=SOURCE)
def zoho_voice(
    resources: list[str] | None = None,
    start_date: str | None = None,
    end_date: str | None = None,
    lag_days: float = 2.0,
    page_size: int = settings.MAX_PAGE_SIZE,
    account_name: str = "default",
    call_type: str | None = None,
    department_id: Ids = None,
    group_ids: Ids = None,
    number_ids: Ids = None,
    agent: str | None = None,
    is_voicemail: bool | None = None,
    is_recording: bool | None = None,
    date_format: str = settings.DATE_FORMAT,
    client: ApiClient | None = None,
    clock: Clock | None = None,
    progress: Progress | None = None,
) -> Any:
    """Zoho Voice call logs, incremental on `start_time` (trailing `lag_days` re-read each run).

    `start_date` defaults to 180 days back (Zoho keeps older logs: set it earlier to get them);
    `end_date` makes a closed backfill range that leaves the nightly cursor alone.
    Filters are sent only when set. `date_format` is how fromDate/toDate are written: a
    strftime pattern of a UTC time ("%Y-%m-%d", the default; "%Y-%m-%d %H:%M") or "epoch_ms";
    a format the account ignores stops the run with an error that says what to try.
    """
    resources_arg(SOURCE, resources, settings.RESOURCES)
    date_format = check_date_format(SOURCE, date_format)
    check_common(SOURCE, page_size=page_size, max_page_size=settings.MAX_PAGE_SIZE, lag_days=lag_days)
    start = date_arg(SOURCE, "start_date", start_date)
    end = date_arg(SOURCE, "end_date", end_date)
    client = client or build_zoho_client(clock)
    clock = clock or client.clock
    if start is None:
        start = to_utc(clock.now()) - dt.timedelta(days=settings.DEFAULT_START_DAYS)
    check_range(SOURCE, start, end)
    params = filter_params(
        call_type=call_type, department_id=list_arg(SOURCE, "department_id", department_id),
        group_ids=list_arg(SOURCE, "group_ids", group_ids), number_ids=list_arg(SOURCE, "number_ids", number_ids),
        agent=agent, is_voicemail=is_voicemail, is_recording=is_recording,
    )
    cursor = dlt.sources.incremental(
        "start_time", initial_value=start, end_value=end, lag=float(lag_days) * 86400,
        on_cursor_value_missing="include", primary_key=(),  # merge on logid dedupes
    )
    return dlt.resource(
        call_logs, name="call_logs", primary_key="logid", write_disposition="merge"
    )(client, clock, account_name, int(page_size), params, date_format, progress, cursor)


def call_logs(
    client: ApiClient,
    clock: Clock,
    account_name: str,
    page_size: int,
    params: Sequence[tuple[str, str]],
    date_format: str,
    progress: Progress | None,
    start_time: dlt.sources.incremental[dt.datetime],
) -> Iterator[pa.Table]:
    """One Arrow table per page of GET /rest/json/zv/logs, by windows ending a settle margin before now
    (sources.common.windowed)."""
    def read_window(window: Window) -> Iterator[list[dict[str, Any]]]:
        return iter_window_logs(client, window, seen=set(), page_size=page_size, params=list(params),
                                date_format=date_format)

    for page in windowed_pages("call_logs", start_time, clock, read_window, key="logid",
                               rules=settings.WINDOW_RULES, progress=progress):
        rows = []
        for raw in page:
            row = flatten(raw, settings.NESTED)
            row["duration_s"] = row.get("duration")
            rows.append(row)
        yield rows_to_arrow(rows, settings.COLUMNS, keys=["logid"], constants={
            "source_provider": settings.PROVIDER, "source_account": account_name})
