"""Fixtures for the sandbox's own tests: small worlds, frozen clock, real HTTP via httpx."""

from __future__ import annotations

import httpx
import pytest

from sandbox import Sandbox, SandboxConfig
from sandbox.clock import fmt_ts

START = "2026-11-20T12:00:00Z"
SMALL = dict(seed=11, users=6, calls_per_day=12, days=190, cc_calls_per_day=8, zoho_calls_per_day=8, start=START)


@pytest.fixture
def make_sb():
    """Factory: make_sb(**overrides) -> started Sandbox (small world, frozen clock, no rate limits)."""
    started: list[Sandbox] = []

    def make(**overrides) -> Sandbox:
        cfg = SandboxConfig(**{**SMALL, "enforce_rate_limits": False, **overrides})
        sb = Sandbox(cfg).start()
        started.append(sb)
        return sb

    yield make
    for sb in started:
        sb.stop()


@pytest.fixture
def late_engagement():
    """(started sandbox, engagement): a small world whose clock is one second after a late
    Contact Center engagement first became visible (still unfinished); stopped afterwards."""
    probe = Sandbox(SandboxConfig(**{**SMALL, "cc_calls_per_day": 40}))
    late = next(e for day in range(probe.start_day - 2, probe.first_day, -1)
                for e in probe.cc_days.get(day).calls if e.late)
    sb = Sandbox(SandboxConfig(**{**SMALL, "cc_calls_per_day": 40, "start": fmt_ts(late.vis + 1),
                                  "enforce_rate_limits": False})).start()
    yield sb, late
    sb.stop()


@pytest.fixture
def sb(make_sb) -> Sandbox:
    return make_sb()


def zoom_token(sb: Sandbox) -> str:
    r = httpx.post(sb.zoom_token_url, params={"grant_type": "account_credentials", "account_id": "sandbox-account"},
                   auth=("sandbox-client-id", "sandbox-client-secret"))
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


class ZoomAuth(httpx.Auth):
    """Bearer token; on 401 code 124 (expired after a clock jump) fetch a new one and retry once."""

    def __init__(self, sb: Sandbox):
        self.sb = sb
        self.token = zoom_token(sb)

    def auth_flow(self, request):
        request.headers["Authorization"] = f"Bearer {self.token}"
        response = yield request
        if response.status_code == 401:
            self.token = zoom_token(self.sb)
            request.headers["Authorization"] = f"Bearer {self.token}"
            yield request


def zoom_client(sb: Sandbox) -> httpx.Client:
    return httpx.Client(base_url=sb.zoom_base_url, auth=ZoomAuth(sb), timeout=30)


def zoho_token(sb: Sandbox) -> str:
    r = httpx.post(sb.zoho_token_url, data={"grant_type": "refresh_token", **sb.zoho_credentials})
    assert r.status_code == 200 and "access_token" in r.json(), r.text
    return r.json()["access_token"]


def zoho_client(sb: Sandbox) -> httpx.Client:
    return httpx.Client(base_url=sb.zoho_base_url, headers={"Authorization": f"Zoho-oauthtoken {zoho_token(sb)}"},
                        timeout=30)


def fetch_all(client: httpx.Client, path: str, items_key: str, params: dict | None = None) -> tuple[list, list]:
    """Follow next_page_token; returns (items, pages)."""
    params = dict(params or {})
    items, pages = [], []
    token = None
    for _ in range(10_000):
        q = dict(params)
        if token:
            q["next_page_token"] = token
        r = client.get(path, params=q)
        assert r.status_code == 200, r.text
        body = r.json()
        pages.append(body)
        items.extend(body[items_key])
        token = body.get("next_page_token")
        if not token:
            return items, pages
    raise AssertionError("paging did not end")


@pytest.fixture
def zoom(sb):
    with zoom_client(sb) as c:
        yield c


@pytest.fixture
def zoho(sb):
    with zoho_client(sb) as c:
        yield c


def fetch_history(client: httpx.Client, params: dict) -> list:
    """Every call of GET /phone/call_history for `params`: a pass per `recording_status` (without
    one, the API answers recorded calls only)."""
    return [x for status in ("recorded", "non_recorded")
            for x in fetch_all(client, "/phone/call_history", "call_history", {**params, "recording_status": status})[0]]
