"""Keep every answer a real API client receives, to check it against the definitions afterwards.

    transport = RecordingTransport()
    client = zoom_client(sb, transport)        # the pipeline's own ApiClient, real HTTP to the sandbox
    ... run the pipeline with client=client ...
    transport.answers                          # [Answer(method, path, query, status, body)]

The requests go through httpx's ordinary transport; only a copy of each answer is kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from sources.common.http import ApiClient, RateLimiter, ZoomS2SAuth


@dataclass
class Answer:
    method: str
    path: str
    query: dict[str, str]
    status: int
    body: Any


class RecordingTransport(httpx.BaseTransport):
    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.answers: list[Answer] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        content = response.read()
        try:
            body = json.loads(content) if content else None
        except ValueError:
            body = None
        self.answers.append(Answer(request.method, request.url.path, dict(request.url.params),
                                   response.status_code, body))
        headers = [(k, v) for k, v in response.headers.items()
                   if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]
        return httpx.Response(response.status_code, headers=headers, content=content, request=request)

    def close(self) -> None:
        self.inner.close()


def zoom_client(sb: Any, transport: httpx.BaseTransport) -> ApiClient:
    """The pipeline's Zoom client for sandbox `sb`, over `transport`, with limits a test never hits."""
    limiters = {label: RateLimiter(1_000_000, clock=sb.clock, name=label) for label in ("light", "medium", "heavy")}
    auth = ZoomS2SAuth(sb.zoom_token_url, clock=sb.clock, **sb.zoom_credentials)
    return ApiClient("zoom", sb.zoom_base_url, auth, limiters, clock=sb.clock, transport=transport)
