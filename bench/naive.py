"""The naive baseline: how a first dlt pipeline for these endpoints usually looks.

- every row is a Python dict yielded one at a time (dlt infers types and flattens
  nested objects itself);
- the destination's default loader format (`insert_values` for DuckDB and Postgres);
- one detail request after another with a plain `httpx.Client` (no thread pool);
- no change filter, no incremental state, no rate limiter, no retries.

It reads the same sandbox as callpipe, over the same month windows (the windowing
helpers are shared: windowing is not what is being compared), so the row counts
match callpipe's for the same date range.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import dlt
import httpx

from sources.common.windows import month_windows, zoom_range

PAGE_SIZE = 300


class NaiveZoom:
    """Just enough of the Zoom API: an S2S token and GET with a bearer header."""

    def __init__(self, base_url: str, token_url: str, account_id: str, client_id: str, client_secret: str):
        self.base_url = base_url.rstrip("/")
        self.http = httpx.Client(timeout=60.0)
        answer = self.http.post(
            token_url,
            params={"grant_type": "account_credentials", "account_id": account_id},
            auth=(client_id, client_secret),
        )
        answer.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
        self.requests = 0

    def get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        self.requests += 1
        answer = self.http.get(self.base_url + path, params=params)
        answer.raise_for_status()
        return answer.json() if answer.content else {}

    def pages(self, path: str, items_key: str, start: dt.datetime, end: dt.datetime,
              extra: dict[str, str] | None = None) -> Iterator[dict]:
        for window in month_windows(start, end):
            token = None
            while True:
                params = {**zoom_range(*window), "page_size": PAGE_SIZE, **(extra or {})}
                if token:
                    params["next_page_token"] = token
                body = self.get(path, params)
                items = body.get(items_key) or []
                yield from items
                token = body.get("next_page_token")
                if not items or not token:
                    break


def naive_zoom_phone(api: NaiveZoom, start: dt.datetime, end: dt.datetime):
    """call_logs + call_log_legs and call_history + call_elements, as dicts one at a time."""

    @dlt.resource(name="call_logs", primary_key="id", write_disposition="merge")
    def call_logs():
        yield from api.pages("/phone/call_logs", "call_logs", start, end)

    @dlt.transformer(data_from=call_logs, name="call_log_legs", primary_key="id", write_disposition="merge")
    def call_log_legs(call_log: dict):
        detail = api.get(f"/phone/call_logs/{call_log['id']}")
        for index, leg in enumerate(detail.get("log_details") or []):
            yield {**leg, "call_log_id": call_log["id"], "leg_index": index}

    @dlt.resource(name="call_history", primary_key="call_history_uuid", write_disposition="merge")
    def call_history():  # recording_status defaults to `recorded`: every call takes both values
        for status in ("recorded", "non_recorded"):
            yield from api.pages("/phone/call_history", "call_history", start, end, {"recording_status": status})

    @dlt.transformer(
        data_from=call_history, name="call_elements", primary_key="call_element_id", write_disposition="merge"
    )
    def call_elements(item: dict):
        detail = api.get(f"/phone/call_history/{item['call_history_uuid']}")
        for element in detail.get("call_elements") or []:
            yield {**element, "call_history_uuid": item["call_history_uuid"]}

    return [call_logs, call_log_legs, call_history, call_elements]
