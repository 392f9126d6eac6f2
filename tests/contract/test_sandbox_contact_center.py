"""Every answer a documented() sandbox gives to the Contact Center requests the pipeline makes (voice
calls with paging and filters, the account-scoped detail view) and to the engagement analytics
routes follows the published definition: schema, enums, and no undocumented field.

The answers are recorded at the HTTP transport of the pipeline's own client (real HTTP to the
sandbox), so what is checked is exactly what the source read.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import dlt
import httpx
import pytest

from sandbox import Sandbox, SandboxConfig
from sources.common.http import ApiClient, RateLimiter, ZoomS2SAuth
from sources.zoom_contact_center import zoom_contact_center
from tests.conftest import SANDBOX_START
from tests.contract import spec

VOICE_CALLS = "/contact_center/voice_calls"
ACCOUNT_VOICE_CALLS = "/accounts/{accountId}/contact_center/voice_calls"
DATASET = "/contact_center/analytics/dataset/historical/engagement"
LOG = "/contact_center/analytics/log/historical/engagement"
INDEX = re.compile(r"\[\d+\]")


class Recorder(httpx.HTTPTransport):
    """A pass-through transport that keeps (definition path, query, JSON body) of every 200 answer."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: list[tuple[str, dict, object]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        path = request.url.path
        if path.startswith("/v2/") and response.status_code == 200:
            response.read()
            path = path[3:]
            if path.startswith("/accounts/"):
                path = "/accounts/{accountId}" + path[path.index("/contact_center/"):]
            self.answers.append((path, dict(request.url.params.multi_items()), response.json()))
        return response


@pytest.fixture(scope="module")
def sb():
    config = SandboxConfig(seed=5, users=8, calls_per_day=0, cc_calls_per_day=30, zoho_calls_per_day=0, days=70,
                           start=SANDBOX_START, enforce_rate_limits=False).documented()
    with Sandbox(config) as sandbox:
        yield sandbox


@pytest.fixture
def recorded(sb):
    recorder = Recorder()
    limiters = {label: RateLimiter(1000, clock=sb.clock) for label in ("light", "medium", "heavy")}
    auth = ZoomS2SAuth(sb.zoom_token_url, **sb.zoom_credentials, clock=sb.clock)
    with ApiClient("zoom", sb.zoom_base_url, auth, limiters, clock=sb.clock, transport=recorder) as client:
        yield client, recorder


def _load(sb, client, tmp_path, name, **kwargs):
    """Run the source into a throw-away DuckDB file; the rows it loaded per table."""
    pipeline = dlt.pipeline(pipeline_name=name, destination=dlt.destinations.duckdb(str(tmp_path / "wh.duckdb")),
                            dataset_name="zoom_contact_center", pipelines_dir=str(tmp_path / "pipelines"))
    pipeline.run(zoom_contact_center(client=client, clock=sb.clock, **kwargs))
    return pipeline.last_trace.last_normalize_info.row_counts


def _problems(answers) -> Counter:
    """Definition violations of the recorded answers, counted per kind (array indexes folded)."""
    found: Counter = Counter()
    for path, _, body in answers:
        for problem in spec.errors(path, body, limit=10_000):
            found[path + " " + INDEX.sub("[]", problem)[:160]] += 1
    return found


def _items(answers, key: str) -> int:
    return sum(len(body.get(key) or []) for _, _, body in answers)


def test_voice_calls_the_pipeline_reads_follow_the_definition(sb, recorded, tmp_path):
    client, recorder = recorded
    now = sb.clock.now()
    # the nightly first load (two month windows, small pages), then a filtered backfill
    _load(sb, client, tmp_path, "summary", start_date=(now - dt.timedelta(days=45)).isoformat(), page_size=13,
          resources=["voice_calls"])
    assert _items(recorder.answers, "voice_calls") > 1200
    assert _problems(recorder.answers) == Counter()
    queues = sorted(q[0] for q in sb.cc.queues)[:2]
    agents = sorted(a[0] for a in sb.cc.agents)[:3]
    _load(sb, client, tmp_path, "filtered", start_date=(now - dt.timedelta(days=30)).isoformat(),
          end_date=now.isoformat(), direction="inbound", distribution="acd", cc_queue_ids=queues, user_ids=agents,
          types=["external_call", "external_conference_call"], number_types=["virtual_service_number", "byoc_number"],
          country_iso_codes=["US", "GB", "CA"], page_size=7, resources=["voice_calls"])
    answers = recorder.answers
    assert {path for path, _, _ in answers} == {VOICE_CALLS}
    assert len(answers) > 100
    assert any("cc_queue_ids" in query for _, query, _ in answers)
    assert _problems(answers) == Counter()


def test_detail_view_the_pipeline_reads_follows_the_definition(sb, recorded, tmp_path):
    client, recorder = recorded
    start = (sb.clock.now() - dt.timedelta(days=40)).isoformat()
    counts = _load(sb, client, tmp_path, "detail", start_date=start, page_size=17, view_type="detail",
                   detail_account_id=sb.config.zoom_account_id, resources=["voice_calls"])
    answers = recorder.answers
    assert {path for path, _, _ in answers} == {ACCOUNT_VOICE_CALLS}
    assert all(query["view_type"] == "detail" for _, query, _ in answers)
    legs = sum(len(call["voice_call_details"]) for _, _, body in answers for call in body["voice_calls"])
    assert legs > _items(answers, "voice_calls") > 1000 and counts["voice_call_legs"] == legs
    assert _problems(answers) == Counter()


def test_engagements_the_pipeline_reads_follow_the_definition(sb, recorded, tmp_path):
    client, recorder = recorded
    start = (sb.clock.now() - dt.timedelta(days=45)).isoformat()
    counts = _load(sb, client, tmp_path, "engagements", start_date=start, page_size=11,
                   resources=["engagements", "engagement_logs"])
    answers = recorder.answers
    assert {path for path, _, _ in answers} == {DATASET, LOG}
    assert all(query["timezone"] == "UTC" for _, query, _ in answers)
    assert counts["engagements"] == _items([a for a in answers if a[0] == DATASET], "engagements") > 1000
    assert counts["engagement_logs"] == _items([a for a in answers if a[0] == LOG], "engagement_logs")
    assert _problems(answers) == Counter()


def _pages(client: ApiClient, path: str, params: dict) -> None:
    """Read every page of one query (with filters and zones the pipeline does not send)."""
    token = None
    while True:
        body = client.get(path, {**params, **({"next_page_token": token} if token else {})}, label="heavy")
        token = body.get("next_page_token")
        if not token:
            return


def test_engagement_dataset_and_log_follow_the_definition(sb, recorded):
    client, recorder = recorded
    agent = sb.cc.agents[0][0]
    queue = sb.cc.queues[0][0]
    for zone in ("UTC", "Asia/Kolkata"):
        for start, end in (("2026-09-25T00:00:00Z", "2026-10-24T23:59:59Z"), ("2026-10-25", "2026-11-20")):
            _pages(client, DATASET, {"from": start, "to": end, "timezone": zone, "page_size": 100})
            _pages(client, LOG, {"start_time_from": start, "start_time_to": end, "timezone": zone,
                                 "page_size": 100})
    _pages(client, DATASET, {"from": "2026-11-01T00:00:00Z", "to": "2026-11-19T00:00:00Z", "page_size": 9,
                             "queue_id": queue, "user_id": agent, "direction": "inbound"})
    _pages(client, LOG, {"end_time_from": "2026-11-01T00:00:00Z", "end_time_to": "2026-11-19T00:00:00Z",
                         "page_size": 9, "queue_ids": queue, "user_ids": agent})
    answers = recorder.answers
    assert {path for path, _, _ in answers} == {DATASET, LOG}
    assert _items(answers, "engagements") > 3000 and _items(answers, "engagement_logs") > 3000
    assert _problems(answers) == Counter()
