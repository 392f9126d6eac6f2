"""The baseline: what a dlt user would write instead of callpipe for Zoom Phone call history.

dlt's own `rest_api` source (dlt.sources.rest_api), configured as its documentation shows:
- the list `GET /phone/call_history` with the next-page-token paginator
  (JSONResponseCursorPaginator: `next_page_token` in the body, sent back as a query parameter);
- the detail `GET /phone/call_history/{callHistoryUuid}` as a dependent resource of the list;
  dlt normalizes its `call_elements[]` into the child table `call_history_details__call_elements`;
- Zoom's Server-to-Server OAuth through dlt's `OAuth2ClientCredentials`, subclassed to send
  the client id and secret as HTTP Basic with the `account_credentials` grant (Zoom's flow;
  the pattern dlt's REST client docs show for such APIs);
- merge on the natural keys, dict rows, the destination's default loader; dlt's REST client
  retries 429/5xx with its defaults. No rate limiter, no thread pool (the detail requests go
  one after another), no change filter.

The list is read once per `recording_status` (the definition's default is `recorded`, so a
user who wants every call needs both): two list resources writing to one table, each with its
detail resource. `from`/`to` cover one window of at most a month, as the API allows: the bench
reads a slice of a few days, the same slice callpipe reads, so the row counts compare.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import dlt
from dlt.common.configuration import configspec
from dlt.sources.helpers.rest_client.auth import OAuth2ClientCredentials
from dlt.sources.rest_api import rest_api_source

from sources.common.windows import zoom_range

PAGE_SIZE = 300  # the definition's maximum
RECORDING_STATUSES = ("recorded", "non_recorded")
# the child table dlt makes of the details' call_elements[] (the counterpart of callpipe's call_elements)
ELEMENTS_TABLE = "call_history_details__call_elements"


@configspec
class ZoomServerToServerOAuth(OAuth2ClientCredentials):
    """Zoom's account_credentials grant: client id and secret as HTTP Basic, not in the form."""

    def build_access_token_request(self) -> dict[str, Any]:
        basic = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        return {"headers": {"Authorization": f"Basic {basic}",
                            "Content-Type": "application/x-www-form-urlencoded"},
                "data": self.access_token_request_data}


def zoom_call_history(base_url: str, token_url: str, account_id: str, client_id: str, client_secret: str,
                      start: dt.datetime, end: dt.datetime) -> Any:
    """The rest_api source for call history and its elements in [start, end) (at most a month)."""
    auth = ZoomServerToServerOAuth(
        access_token_url=token_url, client_id=client_id, client_secret=client_secret,
        access_token_request_data={"grant_type": "account_credentials", "account_id": account_id})
    resources: list[dict[str, Any]] = []
    for status in RECORDING_STATUSES:
        resources.append({
            "name": f"call_history_{status}",
            "table_name": "call_history",
            "primary_key": "call_history_uuid",
            "endpoint": {
                "path": "phone/call_history",
                "params": {**zoom_range(start, end), "page_size": PAGE_SIZE, "recording_status": status},
                "data_selector": "call_history",
                "paginator": {"type": "cursor", "cursor_path": "next_page_token",
                              "cursor_param": "next_page_token"},
            },
        })
        resources.append({
            "name": f"call_history_details_{status}",
            "table_name": "call_history_details",
            "primary_key": "call_history_uuid",
            "endpoint": {
                "path": f"phone/call_history/{{resources.call_history_{status}.call_history_uuid}}",
                "data_selector": "$",
                "paginator": "single_page",
            },
        })
    return rest_api_source({
        "client": {"base_url": base_url.rstrip("/") + "/", "auth": auth},
        "resource_defaults": {"write_disposition": "merge"},
        "resources": resources,
    }, name="zoom_phone_rest_api")


def pipeline(destination: Any, dataset: str, pipelines_dir: str) -> dlt.Pipeline:
    return dlt.pipeline(pipeline_name="rest_api_zoom_phone", destination=destination, dataset_name=dataset,
                        pipelines_dir=pipelines_dir)
