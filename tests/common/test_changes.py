"""The change filter (sources/common/changes.py): re-read rows that did not change are neither
loaded again nor fanned out into detail requests, whatever the gap between the newest call and now."""

from __future__ import annotations

import datetime as dt

import dlt
import pytest

from sources.common.changes import STATE_KEY, ChangeFilter
from tests.conftest import SANDBOX_START

UTC = dt.UTC
LAG = dt.timedelta(days=2)


# ------------------------------------------------------------------ the filter on its own


def test_passes_new_and_changed_rows_only_and_counts_the_skipped():
    state: dict = {}
    metrics: dict = {}
    recent = dt.datetime(2026, 11, 19, tzinfo=UTC)
    f = ChangeFilter(state, keep_after=dt.datetime(2026, 11, 18, tzinfo=UTC), lag=LAG, metrics=metrics)
    assert f.changed("a", {"id": "a", "v": 1}, recent)
    assert not f.changed("a", {"id": "a", "v": 1}, recent)
    assert f.changed("a", {"id": "a", "v": 2}, recent)
    assert metrics == {"unchanged_rows": 1}
    # a later run whose re-read window moved on forgets older rows
    f2 = ChangeFilter(state, keep_after=dt.datetime(2026, 11, 20, tzinfo=UTC), lag=LAG)
    assert len(f2) == 0


@pytest.mark.parametrize("newest_first", [False, True])
def test_a_six_month_load_remembers_only_what_the_next_run_rereads(newest_first):
    """The next run re-reads from (newest cursor - lag): exactly those rows stay in state, in
    whatever order the API lists them, however long ago the newest call was."""
    newest = dt.datetime(2026, 11, 10, 9, tzinfo=UTC)  # ten days before "now": a quiet account
    times = [newest - dt.timedelta(hours=6 * i) for i in range(4 * 180)]
    if not newest_first:
        times.reverse()
    state: dict = {}
    f = ChangeFilter(state, keep_after=newest - dt.timedelta(days=180), lag=LAG)
    for i, when in enumerate(times):
        assert f.changed(f"c{i}", {"id": i}, when)
    remembered = {c for _, c in state[STATE_KEY].values()}
    next_start = newest - LAG
    rereads = {w.isoformat() for w in times if w >= next_start}
    assert rereads <= remembered  # nothing the next run reads again is unknown to it
    assert len(remembered) <= len(rereads) + 4  # and little more (a margin of an hour)
    again = ChangeFilter(state, keep_after=next_start, lag=LAG)
    assert not any(again.changed(f"c{i}", {"id": i}, w) for i, w in enumerate(times) if w >= next_start)


@pytest.mark.parametrize("newest_first", [False, True])
def test_next_run_with_newer_rows_still_knows_every_reread_row(newest_first):
    """New rows move the newest cursor on while the run reads: the memories of older re-read rows
    must last until those rows are read (Zoho and Zoom may list newest first)."""
    newest = dt.datetime(2026, 11, 20, tzinfo=UTC)
    old = [newest - dt.timedelta(hours=2 * i) for i in range(60)]  # five days, every two hours
    state: dict = {}
    f = ChangeFilter(state, keep_after=newest - dt.timedelta(days=5), lag=LAG)
    for when in old:
        f.changed(when.isoformat(), {"at": when.isoformat()}, when)
    new = [newest + dt.timedelta(hours=3 * i) for i in range(1, 9)]  # the next day's calls
    rows = sorted(old + new, reverse=newest_first)
    metrics: dict = {}
    again = ChangeFilter(state, keep_after=newest - LAG, lag=LAG, metrics=metrics)
    passed = [w for w in rows if w >= newest - LAG and again.changed(w.isoformat(), {"at": w.isoformat()}, w)]
    assert passed == sorted(new, reverse=newest_first)
    assert metrics["unchanged_rows"] == len([w for w in old if w >= newest - LAG])


def test_forgets_a_known_row_that_moved_out_of_the_reread_window():
    state: dict = {}
    now = dt.datetime(2026, 11, 20, tzinfo=UTC)
    f = ChangeFilter(state, keep_after=now - dt.timedelta(days=30), lag=LAG)
    assert f.changed("a", {"id": "a", "v": 1}, now - dt.timedelta(hours=5))
    assert not f.changed("a", {"id": "a", "v": 1}, now - dt.timedelta(hours=5))
    # the call's start moved back in time (an update): loaded again, and no longer remembered
    assert f.changed("a", {"id": "a", "v": 2}, now - dt.timedelta(days=10))
    assert "a" not in state[STATE_KEY]


# ------------------------------------------------------------------ every resource, against the sandbox

DETAIL_ROUTES = ("GET /phone/call_logs/{id}", "GET /phone/call_history/{callHistoryUuid}")
LIST_ROUTES = {
    "zoom_phone": ("GET /phone/call_logs", "GET /phone/call_history"),
    "zoom_contact_center": ("GET /contact_center/voice_calls",),
    "zoho_voice": ("GET /rest/json/zv/logs",),
}


class LaterClock:
    """The pipeline's clock, `days` after the sandbox's: the API has had no new call for that long."""

    def __init__(self, clock, days: float):
        self.clock = clock
        self.offset = dt.timedelta(days=days)

    def now(self) -> dt.datetime:
        return self.clock.now() + self.offset

    def monotonic(self) -> float:
        return self.clock.monotonic()

    def sleep(self, seconds: float) -> None:
        self.clock.sleep(seconds)


def build(name: str, sb, clock):
    from sources.common.config import build_zoho_client, build_zoom_client
    from sources.zoho_voice import zoho_voice
    from sources.zoom_contact_center import zoom_contact_center
    from sources.zoom_phone import zoom_phone

    start = (sb.clock.now() - dt.timedelta(days=4)).isoformat()
    if name == "zoho_voice":
        client = build_zoho_client(clock, base_url=sb.zoho_base_url, token_url=sb.zoho_token_url,
                                   requests_per_minute=100_000, **sb.zoho_credentials)
        return zoho_voice(start_date=start, client=client, clock=clock)
    client = build_zoom_client(clock, base_url=sb.zoom_base_url, token_url=sb.zoom_token_url,
                               rate_limits={"light": 100_000, "medium": 100_000, "heavy": 100_000},
                               **sb.zoom_credentials)
    if name == "zoom_contact_center":
        return zoom_contact_center(start_date=start, client=client, clock=clock)
    return zoom_phone(resources=["call_logs", "call_log_details", "call_history", "call_history_details"],
                      start_date=start, client=client, clock=clock)


@pytest.mark.parametrize("name", ["zoom_phone", "zoom_contact_center", "zoho_voice"])
def test_nightly_run_after_a_five_day_gap_sends_no_detail_request_and_loads_nothing(name, tmp_path):
    from sandbox import Sandbox, SandboxConfig

    config = SandboxConfig(seed=5, users=3, calls_per_day=6, days=8, cc_calls_per_day=6, zoho_calls_per_day=6,
                           start=SANDBOX_START, enforce_rate_limits=False, zoho_token_mints_per_10min=100_000)
    with Sandbox(config) as sb:
        pipeline = dlt.pipeline(pipeline_name=f"gap_{name}", destination=dlt.destinations.duckdb(
            str(tmp_path / "w.duckdb")), dataset_name=name, pipelines_dir=str(tmp_path / "pipelines"))
        # the night the newest call is five days old: everything since the start date is loaded
        pipeline.run(build(name, sb, LaterClock(sb.clock, 5)))
        first = {t: n for t, n in pipeline.last_trace.last_normalize_info.row_counts.items()
                 if not t.startswith("_dlt")}
        assert first and all(n > 0 for n in first.values()), first
        # the next nights: still nothing new
        for night in (6, 7):
            sb.reset_stats()
            pipeline.run(build(name, sb, LaterClock(sb.clock, night)))
            loaded = {t: n for t, n in pipeline.last_trace.last_normalize_info.row_counts.items()
                      if not t.startswith("_dlt")}
            assert loaded == {}, f"night {night}: {loaded}"
            assert {r: sb.requests[r] for r in DETAIL_ROUTES} == dict.fromkeys(DETAIL_ROUTES, 0)
            assert all(sb.requests[r] > 0 for r in LIST_ROUTES[name])  # the lag window was read again
