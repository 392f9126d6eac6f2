"""Zoom Contact Center voice calls and CX Analytics engagements (dataset `zoom_contact_center`).

Tables (all merged; every one has source_provider and source_account):
  voice_calls            one row per engagement, key `engagement_id`
  voice_call_queues      (engagement_id, position) -> cc_queue_id, queue_name
  voice_call_agents      (engagement_id, position) -> user_id, display_name
  voice_call_flows       (engagement_id, position) -> flow_id, flow_name
  voice_call_rates       (engagement_id, position) -> rate (decimal): one per call leg
  voice_call_attributes  (engagement_id, attribute, position) -> value: one row per element of
                         the string arrays call_legs, distributions, types (and sub_types)
with view_type = "detail" (the account-scoped endpoint, GET /accounts/{accountId}/contact_center/voice_calls):
  voice_call_legs        (engagement_id, position) -> one row per voice_call_details[] leg
  voice_call_leg_agents  (engagement_id, leg_position, position) -> user_id, display_name
`position` is the 0-based order in the API's array; child rows also carry the
engagement's start_time (a leg carries its own). The string arrays are on voice_calls too, comma-joined
(`types` = 'external_call,external_conference_call'), for reading. To filter exactly,
in DuckDB and Postgres alike, use the long table:
  SELECT v.* FROM voice_calls v WHERE v.engagement_id IN (SELECT engagement_id
    FROM voice_call_attributes WHERE attribute = 'types' AND value = 'external_conference_call')
When an engagement changes, all its child rows are replaced (merge key engagement_id;
an array that became empty removes its old rows). Child tables have a `_tombstone`
column used only for that: it is always null in stored rows.

CX Analytics (engagements.py), incremental on start_time like voice_calls:
  engagements            the engagement dataset, one row per engagement, key `engagement_id`;
                         durations in milliseconds (`*_ms`), counts; children (engagement_id, position):
                         engagement_queues, engagement_users, engagement_teams, engagement_channels
  engagement_logs        (off by default) the engagement log; children engagement_log_events,
                         engagement_log_flows, engagement_log_dispositions, engagement_log_notes
                         (note text and transcript_url only with load_notes = true: customer data)
A resource whose endpoint is out of scope (the app lacks contact_center_report:read:admin: Zoom
answers 401/403 code 4711) stops alone (sources.common.failures): the others load.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

import dlt
import pyarrow as pa

from sources.common.args import arg_error, check_common, check_range, date_arg, resources_arg
from sources.common.clock import Clock
from sources.common.config import build_zoom_client, setting
from sources.common.failures import ResourceFailures
from sources.common.http import ApiClient
from sources.common.windowed import Progress, Window, windowed_pages
from sources.common.windows import lookback_start
from sources.common.zoom_paging import iter_window_pages

from . import engagements as cx
from . import settings
from .helpers import Query, filter_queries, page_tables, with_child_table_hints

Ids = str | list[str] | None


SOURCE = "zoom_contact_center"


@dlt.source(name=SOURCE)
def zoom_contact_center(
    resources: list[str] | None = None,
    start_date: str | None = None,
    end_date: str | None = None,
    lag_days: float = 2.0,
    page_size: int = settings.MAX_PAGE_SIZE,
    account_name: str = "default",
    direction: str | None = None,
    types: Ids = None,
    distribution: str | None = None,
    cc_queue_ids: Ids = None,
    queue_ids: Ids = None,
    user_ids: Ids = None,
    number_types: Ids = None,
    country_iso_codes: Ids = None,
    view_type: str = "summary",
    detail_account_id: str | None = None,
    load_notes: bool = False,
    client: ApiClient | None = None,
    clock: Clock | None = None,
    failures: ResourceFailures | None = None,
    progress: Progress | None = None,
) -> Any:
    """Voice calls incremental on `start_time`, re-reading the trailing `lag_days` each run.

    `start_date` defaults to the API's six-month look-back; `end_date` makes a closed
    backfill range that leaves the nightly cursor alone. List filters take a list or a
    comma-separated string; cc_queue_ids / user_ids longer than 20 are split into requests
    (`queue_ids`, the deprecated name, still works: it is sent as cc_queue_ids).
    `view_type = "detail"` reads the account-scoped endpoint of `detail_account_id` (default:
    the Zoom app's [sources.zoom] account_id) and loads each call's legs (voice_call_legs).
    `resources` defaults to voice_calls and engagements (the filters apply to voice_calls only);
    `engagement_logs` adds the log, whose note texts and transcript URLs load only with
    `load_notes`. `failures` collects the resources that stopped on a forbidden endpoint;
    `progress` bounds how much of a long range one extract reads (sources.common.windowed).
    """
    wanted = (set(settings.DEFAULT_RESOURCES) if resources is None else
              resources_arg(SOURCE, resources, settings.ALL_RESOURCES, settings.TABLE_ALIASES))
    check_common(SOURCE, page_size=page_size, max_page_size=settings.MAX_PAGE_SIZE, lag_days=lag_days)
    start = date_arg(SOURCE, "start_date", start_date)
    end = date_arg(SOURCE, "end_date", end_date)
    view = (view_type or "summary").strip().lower()
    if view not in settings.VIEW_TYPES:
        raise arg_error(SOURCE, "view_type", f"unknown {view_type!r}", f"choose from {list(settings.VIEW_TYPES)}")
    queries = filter_queries(
        direction=direction, types=types, distribution=distribution, cc_queue_ids=cc_queue_ids,
        queue_ids=queue_ids, user_ids=user_ids, number_types=number_types, country_iso_codes=country_iso_codes,
    )
    path = settings.VOICE_CALLS_PATH
    if view == "detail":
        account = detail_account_id or setting("sources.zoom.account_id", secret=True, what="Zoom account id")
        path = settings.ACCOUNT_VOICE_CALLS_PATH.format(account_id=str(account).strip())
        queries = [[*query, ("view_type", "detail")] for query in queries]
    client = client or build_zoom_client(clock)
    clock = clock or client.clock
    start = start or lookback_start(clock.now())
    check_range(SOURCE, start, end)
    failures = failures if failures is not None else ResourceFailures(SOURCE)

    def cursor() -> dlt.sources.incremental:
        return dlt.sources.incremental(
            "start_time", initial_value=start, end_value=end, lag=float(lag_days) * 86400,
            on_cursor_value_missing="include", primary_key=(),
        )

    calls = dlt.resource(
        failures.contain(voice_calls, "voice_calls"), name="voice_calls", primary_key=settings.KEY,
        write_disposition="merge",
    )(client, clock, account_name, int(page_size), queries, path, progress, cursor())
    calls.selected = "voice_calls" in wanted
    out = [with_child_table_hints(calls, detail=view == "detail")]
    for endpoint in cx.ENDPOINTS.values():
        resource = dlt.resource(
            failures.contain(engagement_rows, endpoint.resource), name=endpoint.resource,
            primary_key=settings.KEY, write_disposition="merge",
        )(client, clock, endpoint.resource, account_name, int(page_size), bool(load_notes), progress, cursor())
        resource.selected = endpoint.resource in wanted
        out.append(cx.with_child_table_hints(resource, endpoint))
    return out


def voice_calls(
    client: ApiClient,
    clock: Clock,
    account_name: str,
    page_size: int,
    queries: Sequence[Query],
    path: str,
    progress: Progress | None,
    # the default (not only the annotation) is what lets dlt find this argument: with
    # `from __future__ import annotations` dlt cannot resolve the annotation text
    start_time: dlt.sources.incremental[dt.datetime] = dlt.sources.incremental("start_time"),  # noqa: B008
) -> Iterator[pa.Table]:
    """GET /contact_center/voice_calls, or the account-scoped detail view (`path`), both Heavy, by
    month windows (sources.common.windowed); per page one Arrow table per table."""
    detail = path != settings.VOICE_CALLS_PATH

    def read_window(window: Window) -> Iterator[list[dict[str, Any]]]:
        for query in queries:  # id filters longer than 20: several queries, each engagement kept once
            yield from iter_window_pages(client, path, items_keys=(settings.ITEMS_KEY,), key=settings.KEY,
                                         window=window, params=query, page_size=page_size, label=settings.LABEL)

    for page in windowed_pages("voice_calls", start_time, clock, read_window, key=settings.KEY,
                               rules=settings.WINDOW_RULES, progress=progress):
        yield from page_tables(page, account_name, detail)


def engagement_rows(
    client: ApiClient,
    clock: Clock,
    endpoint_name: str,
    account_name: str,
    page_size: int,
    load_notes: bool,
    progress: Progress | None,
    start_time: dlt.sources.incremental[dt.datetime] = dlt.sources.incremental("start_time"),  # noqa: B008
) -> Iterator[pa.Table]:
    """GET the CX Analytics engagement dataset or log (Heavy) by month windows (sources.common.windowed),
    in UTC; per page one Arrow table per table. Closed engagements only: the trailing lag catches late ones."""
    endpoint = cx.ENDPOINTS[endpoint_name]

    def read_window(window: Window) -> Iterator[list[dict[str, Any]]]:
        return cx.iter_pages(client, endpoint, window, page_size)

    for page in windowed_pages(endpoint_name, start_time, clock, read_window, key=settings.KEY,
                               rules=settings.WINDOW_RULES, progress=progress):
        yield from cx.page_tables(page, endpoint, account_name, load_notes)
