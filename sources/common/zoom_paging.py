"""Zoom `next_page_token` paging over one date window.

Zoom quirks handled here once, for every Zoom list endpoint:
- the last page may still carry a `next_page_token` and lead to an empty page:
  stop on an empty page or once `total_records` items were seen;
- a `next_page_token` expires after 15 minutes: restart the window from its first
  page and skip the items already yielded (by key), so nothing is duplicated;
- a record without its key fails the run (it could not be merged), naming the
  endpoint and the window.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sources.common.http import ApiClient, ApiError
from sources.common.shaping import InvalidRecord, require_key
from sources.common.windows import describe, zoom_range

log = logging.getLogger(__name__)

MAX_WINDOW_RESTARTS = 3


def is_expired_page_token(error: ApiError) -> bool:
    text = (error.message or "").lower()
    return error.status in (400, 404) and ("page token" in text or "next_page_token" in text)


def pick_array(body: dict[str, Any], items_keys: Sequence[str]) -> tuple[str | None, list[dict[str, Any]]]:
    """(name, items) of the first present array among `items_keys` (e.g. call_history, then the
    legacy call_logs); (None, []) when none is."""
    for key in items_keys:
        items = body.get(key)
        if items is not None:
            if not isinstance(items, list):
                raise InvalidRecord(f"'{key}' in the response is not a list but {type(items).__name__}")
            return key, items
    return None, []


def with_key(items: list[dict[str, Any]], key: str, alias: str | None) -> list[dict[str, Any]]:
    """Items of an array that names its key `alias` (a legacy array's `id`), as items keyed `key`."""
    if not alias:
        return items
    return [{key: item[alias], **{k: v for k, v in item.items() if k != alias}} if alias in item else item
            for item in items]


def iter_window_pages(
    client: ApiClient,
    path: str,
    *,
    items_keys: Sequence[str],
    key: str,
    window: tuple[dt.datetime, dt.datetime],
    params: dict[str, Any] | list[tuple[str, Any]] | None = None,
    page_size: int = 300,
    label: str = "heavy",
    key_aliases: Mapping[str, str] | None = None,
    range_params: tuple[str, str] = ("from", "to"),
) -> Iterator[list[dict[str, Any]]]:
    """Yield the non-empty pages of items of one window, each item checked for `key`.

    `key_aliases`: {array: its items' name for `key`} for arrays that spell it differently; their
    items are yielded under `key`. `range_params`: the endpoint's names for `from` and `to`."""
    where = f"GET {path} {describe(window)}"
    base = list(params.items()) if isinstance(params, dict) else list(params or [])
    bounds = zoom_range(*window)
    base += [(range_params[0], bounds["from"]), (range_params[1], bounds["to"]), ("page_size", page_size)]
    seen: set[str] = set()
    restarts = 0
    token: str | None = None
    while True:
        query = base + ([("next_page_token", token)] if token else [])
        try:
            body = client.get(path, query, label=label, endpoint=path)
        except ApiError as error:
            if token and is_expired_page_token(error) and restarts < MAX_WINDOW_RESTARTS:
                restarts += 1
                log.warning("%s: page token expired; restarting the window (%d)", where, restarts)
                token = None
                continue
            error.add_note(f"while reading {where}")
            raise
        if not body:
            return
        array, items = pick_array(body, items_keys)
        items = with_key(items, key, (key_aliases or {}).get(array or ""))
        fresh = []
        for item in items:
            item_key = str(require_key(item, key, where))
            if item_key not in seen:
                seen.add(item_key)
                fresh.append(item)
        if fresh:
            yield fresh
        token = body.get("next_page_token") or None
        total = body.get("total_records")
        if not items or not token:
            return
        if isinstance(total, int) and len(seen) >= total:
            return
