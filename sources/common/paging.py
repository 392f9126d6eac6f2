"""Paging, written once: paginators with dlt's interface and the one loop that drives them.

A paginator follows dlt's `BasePaginator` (`dlt.sources.helpers.rest_client.paginators`):
`init_request(request)` sets up the first page, `update_state(body, items)` reads an answer,
`has_next_page` says whether to go on, `update_request(request)` asks for the next page. The
request is callpipe's own `PageRequest` and answers come from callpipe's `ApiClient` (httpx,
limiters, auth), not from dlt's `requests` client; `paginate()` is the loop.

- `ZoomTokenPaginator`: Zoom's `next_page_token`. The last page may still carry a token and
  lead to an empty page: it stops on an empty page or once `total_records` items were read. A
  token expires after 15 minutes (400/404 "next page token is invalid or expired"):
  `restart(error)` starts the list over from its first page (at most `MAX_RESTARTS` times);
  the caller drops the items it already has (by key).
- `ZoomSyncPaginator`: Zoom's per-user sync (`sync_type`/`sync_token`): a first page of one
  sync type, the next ones of another (FSync then BSync), until an empty answer.
- `ZohoOffsetPaginator`: Zoho's `from`/`size` offsets, until a short or empty page (HTTP 204),
  or `meta.total` rows; it records every `meta.total` seen (`totals`) so a caller can tell a
  window that changed while it was read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sources.common.http import ApiClient, ApiError

log = logging.getLogger(__name__)

Params = list[tuple[str, Any]]
MAX_RESTARTS = 3


@dataclass
class PageRequest:
    """One list request: `path` to send, `endpoint` (route template, for stats and errors),
    the client's rate `label` and the query `params` the paginator edits."""

    path: str
    params: Params = field(default_factory=list)
    label: str = "default"
    endpoint: str | None = None
    where: str = ""  # how errors name the list, e.g. "GET /phone/call_logs window 2026-11-01..2026-11-20"

    def set(self, name: str, value: Any) -> None:
        """Replace (or add, or with None remove) one query parameter."""
        self.params = [(k, v) for k, v in self.params if k != name]
        if value is not None:
            self.params.append((name, value))

    def describe(self) -> str:
        return self.where or f"GET {self.endpoint or self.path}"


class Paginator:
    """dlt's paginator interface over callpipe's answers (`body` is the parsed JSON, or None)."""

    def __init__(self) -> None:
        self._has_next_page = True

    @property
    def has_next_page(self) -> bool:
        return self._has_next_page

    def init_request(self, request: PageRequest) -> None:
        self._has_next_page = True

    def update_state(self, body: dict[str, Any] | None, items: list[Any]) -> None:
        raise NotImplementedError

    def update_request(self, request: PageRequest) -> None:
        raise NotImplementedError

    def restart(self, error: ApiError, request: PageRequest) -> bool:
        """After `error`: True if the list was set up to be read again from its first page."""
        return False


def is_expired_page_token(error: ApiError) -> bool:
    text = (error.message or "").lower()
    return error.status in (400, 404) and ("page token" in text or "next_page_token" in text)


class ZoomTokenPaginator(Paginator):
    def __init__(self, page_size: int | None = None, token_param: str = "next_page_token") -> None:
        super().__init__()
        self.page_size = page_size
        self.token_param = token_param
        self.restarts = 0
        self._token: str | None = None
        self._read = 0

    def init_request(self, request: PageRequest) -> None:
        super().init_request(request)
        self._token, self._read = None, 0
        request.set(self.token_param, None)
        if self.page_size:
            request.set("page_size", self.page_size)

    def update_state(self, body: dict[str, Any] | None, items: list[Any]) -> None:
        self._read += len(items)
        self._token = (body or {}).get("next_page_token") or None
        total = (body or {}).get("total_records")
        self._has_next_page = bool(items and self._token) and not (isinstance(total, int) and self._read >= total)

    def update_request(self, request: PageRequest) -> None:
        request.set(self.token_param, self._token)

    def restart(self, error: ApiError, request: PageRequest) -> bool:
        if not (self._token and is_expired_page_token(error)) or self.restarts >= MAX_RESTARTS:
            return False
        self.restarts += 1
        log.warning("%s: page token expired; reading the list again from its first page (%d)",
                    request.describe(), self.restarts)
        self.init_request(request)
        return True


class ZoomSyncPaginator(Paginator):
    """One user's sync: `first` sync type without a token (or with `token`), then `then` with the
    token each answer gives, until an answer has no items. `token` holds the latest one."""

    def __init__(self, first: str, then: str, arrays: tuple[str, ...], token: str | None = None,
                 count: int = 30) -> None:
        super().__init__()
        self.first, self.then, self.arrays, self.token, self.count = first, then, arrays, token, count

    def init_request(self, request: PageRequest) -> None:
        super().init_request(request)
        request.set("sync_type", self.first)
        request.set("count", self.count)
        request.set("sync_token", self.token)

    def update_state(self, body: dict[str, Any] | None, items: list[Any]) -> None:
        body = body or {}
        self.token = body.get("sync_token") or self.token
        self._has_next_page = any(body.get(name) for name in self.arrays)

    def update_request(self, request: PageRequest) -> None:
        request.set("sync_type", self.then)
        request.set("sync_token", self.token)


class ZohoOffsetPaginator(Paginator):
    def __init__(self, page_size: int) -> None:
        super().__init__()
        self.page_size = page_size
        self.offset = 0
        self.totals: set[int] = set()

    def init_request(self, request: PageRequest) -> None:
        super().init_request(request)
        self.offset, self.totals = 0, set()
        request.set("from", 0)
        request.set("size", self.page_size)

    def update_state(self, body: dict[str, Any] | None, items: list[Any]) -> None:
        total = ((body or {}).get("meta") or {}).get("total")
        if isinstance(total, str) and total.isdigit():
            total = int(total)
        if isinstance(total, int):
            self.totals.add(total)
        self.offset += len(items)
        self._has_next_page = (bool(body) and len(items) >= self.page_size
                               and not (self.totals and self.offset >= max(self.totals)))

    def update_request(self, request: PageRequest) -> None:
        request.set("from", self.offset)


def paginate(
    client: ApiClient,
    request: PageRequest,
    paginator: Paginator,
    items: Callable[[dict[str, Any]], Any],
) -> Iterator[tuple[dict[str, Any], Any]]:
    """(answer, its items) per page until the paginator says the list is done. `items` picks the
    array out of an answer (an empty answer, HTTP 204, is read as `{}`). An error the paginator
    cannot recover from (`restart`) is raised with a note naming the request."""
    paginator.init_request(request)
    while True:
        try:
            body = client.get(request.path, list(request.params), label=request.label,
                              endpoint=request.endpoint or request.path)
        except ApiError as error:
            if paginator.restart(error, request):
                continue
            error.add_note(f"while reading {request.describe()}")
            raise
        page = items(body or {})
        paginator.update_state(body, page)
        yield body or {}, page
        if not paginator.has_next_page:
            return
        paginator.update_request(request)

