"""Zoom Phone call records (dataset `zoom_phone`).

Two families of the same shape, built from one machinery (helpers.py); each resource below is
a named function bound to its endpoint (settings: CallList, CallDetail, UserSync):

  current (the default)                          legacy (retired by Zoom in 2026, by configuration)
  call_history        key call_history_uuid      call_logs        key id
  call_elements       key call_element_id        call_log_legs    key id (+call_log_id, leg_index)
                      (+call_history_uuid, segment, node)
  user_call_legs      key (user_id, id)          user_call_logs   key id (+user_id)
  user_call_elements  key (user_id, call_element_id)
  users               key id

Lists are incremental on `start_time` / `date_time` (month windows, six-month look-back,
a trailing `lag_days` re-read; call history once per `recording_status`); the detail
transformers fetch one detail per new or changed call; the user syncs keep one sync token
per user in resource state. A resource whose endpoint is gone or out of scope stops alone
(sources.common.failures): the others load.
"""

# no `from __future__ import annotations` here: dlt finds the incremental argument by its
# annotation, which it cannot resolve from a string
import datetime as dt
from collections.abc import Iterator
from typing import Any

import dlt
import pyarrow as pa

from sources.common.args import arg_error, check_common, check_range, date_arg, resources_arg
from sources.common.clock import Clock
from sources.common.config import build_zoom_client
from sources.common.failures import ResourceFailures
from sources.common.http import ApiClient, ApiError
from sources.common.windowed import Progress
from sources.common.windows import lookback_start

from . import helpers, settings
from .settings import UserSync

log = helpers.log
SOURCE = "zoom_phone"


@dlt.source(name=SOURCE)
def zoom_phone(
    resources: list[str] | None = None,
    start_date: str | None = None,
    end_date: str | None = None,
    lag_days: float = 2.0,
    page_size: int = settings.MAX_PAGE_SIZE,
    detail_workers: int = 16,
    account_name: str = "default",
    client: ApiClient | None = None,
    clock: Clock | None = None,
    failures: ResourceFailures | None = None,
    progress: Progress | None = None,
) -> Any:
    """Zoom Phone call history, its legs and the per-user syncs; the legacy call logs on request.

    `resources` defaults to the call-history family and users (settings.DEFAULT_RESOURCES).
    `start_date` defaults to six months back (the API's look-back); `end_date` makes a
    closed backfill range that leaves the nightly cursors and sync tokens alone. `failures`
    collects the resources that stopped on a gone or forbidden endpoint (the runner passes one);
    `progress` bounds how much of a long range one extract reads (sources.common.windowed).
    """
    wanted = (set(settings.DEFAULT_RESOURCES) if resources is None else
              resources_arg(SOURCE, resources, settings.ALL_RESOURCES, settings.RESOURCE_ALIASES))
    check_common(SOURCE, page_size=page_size, max_page_size=settings.MAX_PAGE_SIZE, lag_days=lag_days)
    if int(detail_workers) < 1:
        raise arg_error(SOURCE, "detail_workers", f"{detail_workers} is below 1", "type 1 or more")
    start = date_arg(SOURCE, "start_date", start_date)
    end = date_arg(SOURCE, "end_date", end_date)
    client = client or build_zoom_client(clock)
    clock = clock or client.clock
    start = start or lookback_start(clock.now())
    check_range(SOURCE, start, end)
    failures = failures if failures is not None else ResourceFailures(SOURCE)

    # users and the user syncs read no windowed list: in the first part of a long run only
    first_part = progress is None or progress.part == 1
    users = dlt.resource(failures.contain(users_pages, "users"), name="users", primary_key="id",
                         write_disposition="merge")(client, account_name)
    users.selected = "users" in wanted and first_part
    out = [users]
    families = (  # list, its details, the user sync: resource functions and their endpoints
        (call_logs, call_log_details, user_call_logs,
         settings.CALL_LOGS, settings.CALL_LOG_DETAILS, settings.USER_CALL_LOGS),
        (call_history, call_history_details, user_call_history,
         settings.CALL_HISTORY, settings.CALL_HISTORY_DETAILS, settings.USER_CALL_HISTORY),
    )
    for list_fn, detail_fn, sync_fn, listed, detail, sync in families:
        # a list and its details stop together, so the list's cursor never passes legs not loaded
        group = (listed.resource, detail.resource)
        cursor = dlt.sources.incremental(listed.cursor, initial_value=start, end_value=end,
                                         lag=float(lag_days) * 86400, primary_key=(),
                                         on_cursor_value_missing="include")
        calls = dlt.resource(failures.contain(list_fn, listed.resource, group), name=listed.resource,
                             primary_key=listed.key, write_disposition="merge")(
            client, clock, account_name, int(page_size), progress, cursor)
        calls.selected = listed.resource in wanted
        # merge_key = the parent: a re-fetched call's legs replace the ones loaded before, so a leg
        # the vendor dropped from the call does not linger (delete-insert deletes by either key)
        details = dlt.transformer(failures.contain(detail_fn, detail.resource, group),
                                  name=detail.resource, table_name=detail.table,
                                  primary_key=detail.key, merge_key=detail.parent_column,
                                  write_disposition="merge")(client, int(detail_workers), account_name)
        first = sync.arrays[0]
        syncs = dlt.transformer(failures.contain(sync_fn, sync.resource), name=sync.resource,
                                table_name=first.table, primary_key=list(first.keys),
                                write_disposition="merge")(client, start, end, account_name)
        out.append(calls)
        if detail.resource in wanted:
            out.append(calls | details)
        if sync.resource in wanted and first_part:
            out.append(users | syncs)
    return out


def users_pages(client: ApiClient, account_name: str) -> Iterator[pa.Table]:
    """GET /phone/users (Medium): every phone user, one Arrow table per page."""
    for page in helpers.iter_users(client):
        yield helpers.to_arrow(page, settings.USER_COLUMNS, ["id"], account_name, ("site",))


# ---------------------------------------------------------------- the resources, by kind


def call_history(client: ApiClient, clock: Clock, account_name: str, page_size: int, progress: Progress | None,
                 cursor: dlt.sources.incremental[dt.datetime]) -> Iterator[pa.Table]:
    """GET /phone/call_history (Heavy), once per recording_status: new or changed calls -> call_history."""
    yield from helpers.list_pages(client, clock, settings.CALL_HISTORY, cursor, page_size, account_name, progress)


def call_logs(client: ApiClient, clock: Clock, account_name: str, page_size: int, progress: Progress | None,
              cursor: dlt.sources.incremental[dt.datetime]) -> Iterator[pa.Table]:
    """GET /phone/call_logs (Heavy), legacy: new or changed call logs -> call_logs."""
    yield from helpers.list_pages(client, clock, settings.CALL_LOGS, cursor, page_size, account_name, progress)


def call_history_details(calls: pa.Table, client: ApiClient, workers: int, account_name: str) -> Iterator[pa.Table]:
    """GET /phone/call_history/{callHistoryUuid} (Light) per call of a call_history page -> call_elements."""
    yield from helpers.detail_tables(client, settings.CALL_HISTORY_DETAILS, calls, workers, account_name)


def call_log_details(calls: pa.Table, client: ApiClient, workers: int, account_name: str) -> Iterator[pa.Table]:
    """GET /phone/call_logs/{id} (Light) per call log of a call_logs page -> call_log_legs."""
    yield from helpers.detail_tables(client, settings.CALL_LOG_DETAILS, calls, workers, account_name)


def user_call_history(users: pa.Table, client: ApiClient, start: dt.datetime, end: dt.datetime | None,
                      account_name: str) -> Iterator[Any]:
    """GET /phone/users/{userId}/call_history/sync (Medium) -> user_call_legs, user_call_elements."""
    yield from user_sync(users, client, settings.USER_CALL_HISTORY, start, end, account_name)


def user_call_logs(users: pa.Table, client: ApiClient, start: dt.datetime, end: dt.datetime | None,
                   account_name: str) -> Iterator[Any]:
    """GET /phone/users/{userId}/call_logs/sync (Medium), legacy -> user_call_logs."""
    yield from user_sync(users, client, settings.USER_CALL_LOGS, start, end, account_name)


# ---------------------------------------------------------------- per-user sync (both families)


def user_sync(
    users: pa.Table, client: ApiClient, sync: UserSync, start: dt.datetime, end: dt.datetime | None,
    account_name: str,
) -> Iterator[Any]:
    """GET /phone/users/{userId}/call_logs|call_history/sync (Medium), user by user; each array
    of the answer into its own table (sync.arrays).

    A user's token is stored only after all of the user's pages were yielded; a backfill
    (end given) never replaces the nightly tokens. Tokens kept for other tables than the
    family's (an earlier version of this source) are dropped: every user starts over.
    """
    state = dlt.current.resource_state()
    tokens = state.setdefault("sync_tokens", {})
    if end is None and state.get("tokens_for", [sync.resource]) != list(sync.tables):
        tokens.clear()
        state["tokens_for"] = list(sync.tables)
    for user_id in users.column("id").to_pylist():
        keep = None
        try:
            for rows, token in helpers.sync_pages(client, sync, user_id, tokens.get(user_id), start=start, end=end):
                keep = token
                for index, array in enumerate(sync.arrays):
                    if rows.get(array.items_key):
                        table = helpers.to_arrow(rows[array.items_key], array.columns, array.keys, account_name,
                                                 array.nested)
                        yield table if index == 0 else dlt.mark.with_hints(table, dlt.mark.make_hints(
                            table_name=array.table, primary_key=list(array.keys), write_disposition="merge"),
                            create_table_variant=True)
        except ApiError as error:
            if not helpers.skip_user(error):
                raise
            log.warning("%s: user %s skipped, no Zoom Phone data for them (HTTP %s, code %s: %s)",
                        sync.resource, user_id, error.status, error.code, error.message)
            continue
        if end is None and keep:
            tokens[user_id] = keep
