"""Every answer the sandbox's documented world gives the Zoom Phone pipeline follows Zoom's published
definition (tests/contract/openapi/zoom-phone.json): no schema violation, no undocumented field.

The pipeline itself drives the requests (all resources, paging, both recording_status passes, the
details, FSync/BSync then ISync of both user syncs), over a client that keeps a copy of each answer.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest

from sandbox import Sandbox, SandboxConfig
from sources.zoom_phone import zoom_phone
from tests.conftest import SANDBOX_START
from tests.contract import spec
from tests.contract.recording import RecordingTransport, zoom_client

WORLD = dict(seed=5, users=3, calls_per_day=24, days=40, cc_calls_per_day=0, zoho_calls_per_day=0,
             start=SANDBOX_START, enforce_rate_limits=False)
LISTS = ("/phone/call_history", "/phone/call_logs")
SYNCS = ("/phone/users/{userId}/call_history/sync", "/phone/users/{userId}/call_logs/sync")
INDEX = re.compile(r"\[\d+\]")  # $.call_logs[3].x -> $.call_logs[].x: one line per kind of problem
ALL_RESOURCES = ["users", "call_history", "call_history_details", "user_call_history",
                 "call_logs", "call_log_details", "user_call_logs"]
CALLED = {"/phone/users", *LISTS, "/phone/call_history/{callHistoryUuid}", "/phone/call_logs/{callLogId}", *SYNCS}


def served_answers(config: SandboxConfig, warehouse, resources) -> list:
    """Two nights of the pipeline against a sandbox; every answer it received."""
    transport = RecordingTransport()
    with Sandbox(config) as sb:
        client = zoom_client(sb, transport)
        pl = warehouse("zoom_phone")
        start = (sb.clock.now() - dt.timedelta(days=35)).isoformat()  # two month windows
        for night in range(2):
            if night:
                sb.clock.advance(days=1)  # new calls: the second night's syncs are ISyncs with rows
            pl.run(zoom_phone(resources=list(resources), start_date=start, page_size=7, client=client,
                              clock=sb.clock))
        client.close()
    return [a for a in transport.answers if a.method == "GET"]


@pytest.mark.parametrize("shape", ["current", "legacy_call_history_shape"])
def test_every_answer_the_pipeline_receives_follows_the_definition(shape, warehouse):
    legacy = shape != "current"
    config = SandboxConfig(**WORLD, legacy_call_history_shape=legacy).documented()
    # the legacy shape changes the call-history list and detail only
    answers = served_answers(config, warehouse, ["call_history", "call_history_details"] if legacy else ALL_RESOURCES)
    called = {"/phone/call_history", "/phone/call_history/{callHistoryUuid}"} if legacy else CALLED

    problems: Counter[str] = Counter()
    seen: dict[str, list] = {}
    for answer in answers:
        template = spec.route(answer.path.removeprefix("/v2"))
        assert template in CALLED, f"the pipeline called {answer.path}, which the test does not know"
        seen.setdefault(template, []).append(answer)
        if answer.status != 200:
            continue
        for error in spec.errors(template, answer.body, limit=1000):
            problems[f"{template} {INDEX.sub('[]', error)}"] += 1
    assert not problems, "answers that break the definition (count, endpoint, problem):\n" + "\n".join(
        f"{n:5d} {p}" for p, n in problems.most_common())

    # and the answers checked are the ones the pipeline depends on
    assert set(seen) == called
    assert any("next_page_token" in a.query for a in seen["/phone/call_history"])
    assert {a.query.get("recording_status") for a in seen["/phone/call_history"]} == {"recorded", "non_recorded"}
    if legacy:
        return
    for template in LISTS:
        assert any("next_page_token" in a.query for a in seen[template]), f"{template}: no second page read"
    for template in SYNCS:
        ok = [a for a in seen[template] if a.status == 200]
        assert {a.query["sync_type"] for a in ok} == {"FSync", "BSync", "ISync"}, template
        assert any(a.query["sync_type"] == "ISync" and any(v for v in a.body.values() if isinstance(v, list))
                   for a in ok), f"{template}: no ISync answer with rows"
    # users without a Zoom Phone licence answer errors, which are not 200 bodies
    assert {a.status for a in seen[SYNCS[0]]} == {200, 400, 404}
