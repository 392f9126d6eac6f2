"""`run --plan` / `backfill --plan`: the requests a run will make, against what the sandbox then counts."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from pipelines.cli import main
from pipelines.console import Console
from pipelines.plan import plan_job
from pipelines.registry import SOURCES
from pipelines.runner import prepare
from tests.pipelines.conftest import SANDBOX_START, run_inprocess

# a month of history, enough calls that one request is well under 5 %
WORLD = dict(users=3, calls_per_day=12, days=30, cc_calls_per_day=10, zoho_calls_per_day=12)
# per source: {resource of the plan: the sandbox route its requests go to}
ROUTES = {
    "zoom_phone": {"call_history": "GET /phone/call_history",
                   "call_history_details": "GET /phone/call_history/{callHistoryUuid}",
                   "users": "GET /phone/users",
                   "user_call_history": "GET /phone/users/{userId}/call_history/sync"},
    "zoom_contact_center": {"voice_calls": "GET /contact_center/voice_calls",
                            "engagements": "GET /contact_center/analytics/dataset/historical/engagement"},
    "zoho_voice": {"call_logs": "GET /rest/json/zv/logs"},
}


@pytest.fixture
def sb(tiny_world):
    return tiny_world(start=SANDBOX_START, **WORLD)


def planned_then_made(sb, wh, source: str, **prepare_kw) -> tuple[dict[str, int], dict[str, int]]:
    """({route: requests planned}, {route: requests the run then made}) for one run of the source."""
    job = prepare(SOURCES[source], prepare_kw.pop("command", "run"), clock=sb.clock, **prepare_kw)
    plan = plan_job(wh, job, sb.clock)
    job.client.close()
    planned: dict[str, int] = {}
    for line in plan.lines:
        route = ROUTES[source][line.resource]
        planned[route] = planned.get(route, 0) + line.requests
    sb.reset_stats()
    assert run_inprocess(wh, [source], sb.clock, **({"command": job.command} | prepare_kw))[source].outcome == "ok"
    return planned, {route: sb.requests[route] for route in planned}


def close(planned: dict[str, int], made: dict[str, int]) -> None:
    assert abs(sum(planned.values()) - sum(made.values())) <= 0.05 * sum(made.values()), (planned, made)


@pytest.mark.parametrize("source", list(ROUTES))
def test_plan_matches_the_requests_of_a_first_load_and_a_nightly_run(sb, make_wh, source):
    wh = make_wh()
    planned, made = planned_then_made(sb, wh, source)
    close(planned, made)
    lists = [r for r in planned if "{" not in r and "sync" not in r]
    assert {r: planned[r] for r in lists} == {r: made[r] for r in lists}  # list pages are exact
    if source == "zoom_phone":  # one detail per call
        detail = ROUTES[source]["call_history_details"]
        assert planned[detail] == made[detail] > 300

    sb.clock.advance(days=1)  # the next night
    planned, made = planned_then_made(sb, wh, source)
    close(planned, made)


def test_backfill_plan(sb, make_wh):
    import datetime as dt

    wh = make_wh()
    span = dict(start=dt.datetime(2026, 11, 1, tzinfo=dt.UTC), end=dt.datetime(2026, 11, 15, tzinfo=dt.UTC))
    planned, made = planned_then_made(sb, wh, "zoom_phone", command="backfill", **span)
    close(planned, made)


def test_cli_plan_prints_and_loads_nothing(sb, tmp_path):
    out, err = io.StringIO(), io.StringIO()
    path = tmp_path / "w.duckdb"
    argv = ["run", "--plan", "--source", "zoom_phone,zoho_voice", "--duckdb-path", str(path),
            "--pipelines-dir", str(tmp_path / "p")]
    assert main(argv, clock=sb.clock, console=Console(out=out, err=err, live=False)) == 0, err.getvalue()
    text = out.getvalue()
    assert "plan zoom_phone: run" in text and "first load" in text and "call_history_details" in text
    assert "binding: light" in text  # one Light detail request per call outweighs the Heavy list pages
    assert "plan zoho_voice" in text and "/min" in text  # Zoho: requests per minute
    assert not Path(path).exists()  # no warehouse written
    assert sb.requests["GET /phone/call_history/{callHistoryUuid}"] == 0  # nothing loaded

    argv = ["backfill", "--plan", "--source", "zoom_phone", "--start", "2026-11-01", "--end", "2026-11-10",
            "--duckdb-path", str(path), "--pipelines-dir", str(tmp_path / "p")]
    out = io.StringIO()
    assert main(argv, clock=sb.clock, console=Console(out=out, err=err, live=False)) == 0, err.getvalue()
    assert "plan zoom_phone: backfill 2026-11-01 00:00 .. 2026-11-11 00:00 UTC" in out.getvalue()
    assert not Path(path).exists()


def test_a_long_run_logs_its_plan_a_nightly_run_says_it_skipped_it(sb, tmp_path):
    argv = ["run", "--source", "zoom_phone", "--duckdb-path", str(tmp_path / "w.duckdb"),
            "--pipelines-dir", str(tmp_path / "p")]
    err = io.StringIO()
    assert main(argv, clock=sb.clock, console=Console(out=io.StringIO(), err=err, live=False)) == 0, err.getvalue()
    assert "plan zoom_phone: run" in err.getvalue() and "first load" in err.getvalue()
    assert "call_history_details" in err.getvalue()

    sb.clock.advance(days=1)
    err = io.StringIO()
    assert main(argv, clock=sb.clock, console=Console(out=io.StringIO(), err=err, live=False)) == 0, err.getvalue()
    assert "plan zoom_phone: not computed for a range of" in err.getvalue(), err.getvalue()
