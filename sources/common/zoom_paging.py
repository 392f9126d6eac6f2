"""Zoom list pages over one date window, on `paging.ZoomTokenPaginator`.

Zoom's quirks are handled by the paginator (empty last page, `total_records`, a page token
that expired: the window is read again from its first page and the caller drops the items it
already has); here: the window's `from`/`to`, the array to read (current shape, then legacy),
and a record without its key fails the run (it could not be merged), naming the endpoint and
the window.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sources.common.http import ApiClient
from sources.common.paging import PageRequest, ZoomTokenPaginator, paginate
from sources.common.shaping import InvalidRecord, require_key
from sources.common.windows import describe, zoom_range


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
    params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
    page_size: int = 300,
    label: str = "heavy",
    key_aliases: Mapping[str, str] | None = None,
    range_params: tuple[str, str] = ("from", "to"),
) -> Iterator[list[dict[str, Any]]]:
    """Yield the non-empty pages of items of one window, each item checked for `key`.

    `key_aliases`: {array: its items' name for `key`} for arrays that spell it differently; their
    items are yielded under `key`. `range_params`: the endpoint's names for `from` and `to`. After
    a restart (expired page token) items come again: the caller drops the ones it has
    (sources.common.windowed does)."""
    where = f"GET {path} {describe(window)}"
    query = list(params.items()) if isinstance(params, Mapping) else list(params or [])
    bounds = zoom_range(*window)
    query += [(range_params[0], bounds["from"]), (range_params[1], bounds["to"])]
    request = PageRequest(path, query, label=label, where=where)

    def items(body: dict[str, Any]) -> list[dict[str, Any]]:
        array, found = pick_array(body, items_keys)
        return with_key(found, key, (key_aliases or {}).get(array or ""))

    for _, page in paginate(client, request, ZoomTokenPaginator(page_size), items):
        for item in page:
            require_key(item, key, where)
        if page:
            yield page
