"""The machinery shared by the two Zoom Phone families (legacy call logs, call history).

Both families have the same shape: a windowed, incremental account list (`settings.CallList`);
a per-call detail request whose legs become a child table (`settings.CallDetail`); and a
per-user sync with one sync token per user (`settings.UserSync`). The functions here do the work
for either; the resources in `__init__.py` bind them to one endpoint each.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

import pyarrow as pa

from sources.common.clock import Clock
from sources.common.http import ApiClient, ApiError
from sources.common.paging import PageRequest, ZoomSyncPaginator, ZoomTokenPaginator, paginate
from sources.common.shaping import InvalidRecord, flatten, parse_ts, require_key, rows_to_arrow
from sources.common.windowed import Progress, Window, windowed_pages
from sources.common.windows import zoom_time
from sources.common.zoom_paging import iter_window_pages, pick_array, with_key

from . import settings as s
from .settings import CallDetail, CallList, UserSync

log = logging.getLogger(__name__)

# per-user errors that mean "this user has no Zoom Phone data for us" (no licence, user gone):
# skip the user. Compared as text: Zoom sends codes as numbers or strings.
SKIP_USER_CODES = {"3161", "1001"}
EXPIRED_SYNC_TOKEN_CODE = "300"  # 404 code 300 "sync token is invalid or expired": start the user over


# ---------------------------------------------------------------- shaping


def _when(value: Any) -> dt.datetime | None:
    try:
        return parse_ts(value)
    except (ValueError, TypeError, OverflowError):
        return None


def to_arrow(
    rows: list[dict[str, Any]],
    columns: Mapping[str, str],
    keys: Iterable[str],
    account: str,
    nested: Iterable[str] | None = (),
) -> pa.Table:
    return rows_to_arrow([flatten(row, nested) for row in rows], columns, keys=list(keys),
                         constants={"source_provider": s.PROVIDER, "source_account": account})


# ---------------------------------------------------------------- account lists


def list_pages(
    client: ApiClient,
    clock: Clock,
    calls: CallList,
    cursor: Any,
    page_size: int,
    account: str,
    progress: Progress | None = None,
) -> Iterator[pa.Table]:
    """Arrow pages of the new or changed items of the cursor's range (sources.common.windowed),
    each window read once per `calls.passes` entry. Rows already loaded unchanged are dropped on a
    nightly run, so neither they nor their details are fetched again; a backfill reloads its range.
    """
    def read_window(window: Window) -> Iterator[list[dict[str, Any]]]:
        for params in calls.passes:
            yield from iter_window_pages(client, calls.path, items_keys=calls.items_keys, key=calls.key,
                                         window=window, params=params, page_size=page_size, label=s.HEAVY,
                                         key_aliases=calls.key_aliases)

    for page in windowed_pages(calls.resource, cursor, clock, read_window, key=calls.key, rules=s.WINDOW_RULES,
                               progress=progress):
        yield to_arrow(page, calls.columns, [calls.key], account, calls.nested)


# ---------------------------------------------------------------- detail fan-out


def fill(template: str, value: str) -> str:
    """Route template -> path: "/phone/call_logs/{id}", "abc" -> "/phone/call_logs/abc"."""
    return re.sub(r"\{[^}]+\}", lambda _: quote(value, safe=""), template)


def fetch_detail(client: ApiClient, detail: CallDetail, parent_key: str) -> dict[str, Any] | None:
    """One detail; None (with a warning) when the call vanished since it was listed."""
    try:
        body = client.get(fill(detail.path, parent_key), label=s.LIGHT, endpoint=detail.path)
    except ApiError as error:
        if error.status == 404:
            log.warning("GET %s: %s %s is gone (404); its details are skipped",
                        detail.path, detail.parent_key, parent_key)
            return None
        raise
    if not body:
        log.warning("GET %s: empty answer for %s %s; its details are skipped",
                    detail.path, detail.parent_key, parent_key)
    return body or None


def child_rows(spec: CallDetail, parent_key: str, detail: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The legs of one detail, each carrying the parent's keys (and its order for legacy legs)."""
    where = f"GET {fill(spec.path, parent_key)}"
    array, items = None, []
    for name in spec.items_keys:
        if detail.get(name) is not None:
            array, items = name, detail[name]
            break
    if not isinstance(items, list):
        raise InvalidRecord(f"{where}: '{array}' is not a list")
    rows = []
    for row in with_key(items, spec.key, spec.key_aliases.get(array or "")):
        row = dict(row)
        row[spec.parent_column] = parent_key
        if row.get("call_id") is None and detail.get("call_id") is not None:
            row["call_id"] = detail["call_id"]
        require_key(row, spec.key, where)
        rows.append(row)
    if spec.order:
        # position in the call flow by date_time; ties keep the API's order (stable sort)
        def order(row: Mapping[str, Any]) -> str:
            moment = _when(row.get("date_time"))
            return zoom_time(moment) if moment else "9999"

        for index, row in enumerate(sorted(rows, key=order)):
            row[spec.order] = index
    return rows


def detail_page(
    client: ApiClient, spec: CallDetail, parents: pa.Table, workers: int, account: str
) -> pa.Table | None:
    """Fetch the details of one page of parents concurrently; one Arrow table of their legs."""
    keys = [str(k) for k in parents.column(spec.parent_key).to_pylist()]
    if not keys:
        return None
    pool = ThreadPoolExecutor(max(1, min(workers, len(keys))))
    try:
        details = list(pool.map(lambda key: fetch_detail(client, spec, key), keys))
    finally:  # on a failure or an interrupt, the page's requests not yet sent are not sent
        pool.shutdown(wait=True, cancel_futures=True)
    rows: list[dict[str, Any]] = []
    for key, detail in zip(keys, details, strict=True):
        if detail is not None:
            rows.extend(child_rows(spec, key, detail))
    if not rows:
        return None
    return to_arrow(rows, spec.columns, [spec.key], account, spec.nested)


def detail_tables(
    client: ApiClient, spec: CallDetail, parents: pa.Table, workers: int, account: str
) -> Iterator[pa.Table]:
    """The legs of one page of parents as an Arrow table, if it has any (`detail_page`)."""
    table = detail_page(client, spec, parents, workers, account)
    if table is not None:
        yield table


# ---------------------------------------------------------------- users


def iter_users(client: ApiClient, page_size: int = s.USERS_PAGE_SIZE) -> Iterator[list[dict[str, Any]]]:
    """Pages of GET /phone/users (next_page_token paging, stop on an empty page)."""
    request = PageRequest(s.USERS_PATH, label=s.MEDIUM)
    for _, items in paginate(client, request, ZoomTokenPaginator(page_size), lambda body: body.get("users") or []):
        for item in items:
            require_key(item, "id", f"GET {s.USERS_PATH}")
        if items:
            yield items


# ---------------------------------------------------------------- per-user syncs


def skip_user(error: ApiError) -> bool:
    """Per-user answers meaning "no Zoom Phone data for this user" (no licence, gone). Any other
    error, e.g. a 404 of a retired endpoint, is not about the user."""
    return str(error.code) in SKIP_USER_CODES


def expired_sync_token(error: ApiError) -> bool:
    return error.status == 404 and str(error.code) == EXPIRED_SYNC_TOKEN_CODE


Rows = dict[str, list[dict[str, Any]]]  # sync array name -> rows of one answer


def sync_pages(
    client: ApiClient,
    sync: UserSync,
    user_id: str,
    token: str | None,
    *,
    start: dt.datetime,
    end: dt.datetime | None,
) -> Iterator[tuple[Rows, str | None]]:
    """({array: rows}, token to keep) per answer of one user's sync; rows carry `user_id`.

    Known user (token, nightly): ISync from the token until an empty answer; a token the API
    calls invalid or expired (404 code 300) starts the user over. First time: FSync (the newest
    rows), then BSync until empty or older than `start`; the FSync token is kept, as it marks
    where the next ISync starts. Backfill (`end` given): BSync only, rows in [start, end), and the
    token is not to be kept (the caller ignores it).
    """
    where = f"GET {sync.path} user {user_id}"
    request = PageRequest(fill(sync.path, user_id), label=s.MEDIUM, endpoint=sync.path, where=where)
    names = tuple(array.items_key for array in sync.arrays)

    def read(body: dict[str, Any]) -> Rows:
        arrays: Rows = {}
        for array in sync.arrays:
            _, items = pick_array(body, (array.items_key,))
            for item in items:
                require_key(item, array.item_key, where)
            arrays[array.items_key] = items
        unread = sorted(k for k, v in body.items() if isinstance(v, list) and v and k not in arrays)
        if unread:
            log.warning("%s: the answer holds arrays this pipeline does not load: %s", where, ", ".join(unread))
        return arrays

    if token and end is None:
        pager = ZoomSyncPaginator("ISync", "ISync", names, token, s.SYNC_COUNT)
        try:
            for _, arrays in paginate(client, request, pager, read):
                yield {k: [dict(i, user_id=user_id) for i in v] for k, v in arrays.items()}, pager.token
            return
        except ApiError as error:
            if not expired_sync_token(error):
                raise
            log.warning("%s: the sync token is invalid or expired (HTTP 404, code 300); "
                        "reading this user again from the start (full sync)", where)

    pager = ZoomSyncPaginator("BSync" if end is not None else "FSync", "BSync", names, None, s.SYNC_COUNT)
    keep = None
    for number, (_, arrays) in enumerate(paginate(client, request, pager, read)):
        if number == 0:
            keep = pager.token  # the first answer's token: where the next ISync starts
        if not any(arrays.values()):
            break
        rows: Rows = {}
        oldest = None
        for name, items in arrays.items():
            rows[name] = []
            for item in items:
                when = _when(item.get(sync.cursor))
                oldest = when if oldest is None or (when and when < oldest) else oldest
                if when is None or (when >= start and (end is None or when < end)):
                    rows[name].append(dict(item, user_id=user_id))
        yield rows, keep
        if oldest is not None and oldest < start:
            return
    yield {}, keep
