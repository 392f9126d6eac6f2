"""Progress that survives a failure: a long range is loaded in parts (`[pipeline] progress_days`),
each its own load package carrying the cursor as of its end. A first load that fails late keeps
the parts loaded before the failure; the rerun starts where they end (no list page of a finished
part is requested again) and ends with the tables of a clean run. Faults come from the sandbox
(a persistent 500 on a later window) and from a real `kill -9` of the CLI."""

from __future__ import annotations

import datetime as dt

import pytest

from pipelines.warehouse import Warehouse
from sources.common.windowed import RESUME_KEY
from sources.common.windows import to_utc
from tests.pipelines.conftest import assert_no_duplicates, run_inprocess, snapshot

DAY = dt.timedelta(days=1)
PART_DAYS = 2
# source -> (its list route, the list resource, the `from` query parameter, list requests per window)
LISTS = {
    "zoom_phone": ("GET /phone/call_history", "call_history", "from", 2),  # recorded + non_recorded
    "zoom_contact_center": ("GET /contact_center/voice_calls", "voice_calls", "from", 1),
    "zoho_voice": ("GET /rest/json/zv/logs", "call_logs", "fromDate", 1),
}


def sent_from(value: str) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(value) / 1000, dt.UTC) if value.isdigit() else to_utc(value)


def list_starts(sb, route: str, param: str) -> list[dt.datetime]:
    """The window starts of the list requests the sandbox received."""
    return sorted(sent_from(query[param]) for _, _, name, query, _ in sb.request_log
                  if name == route and param in query)


def remote_state(wh: Warehouse, source: str, tmp_path) -> dict:
    """The resource states of `source` as stored in the warehouse (read by a fresh working dir)."""
    if wh.kind == "duckdb":
        other = Warehouse.duckdb(wh.location, pipelines_dir=tmp_path / "fresh-machine")
    else:
        other = Warehouse.postgres(wh.location, datasets=wh.datasets, analytics_dataset=wh.analytics_dataset,
                                   runs_dataset=wh.runs_dataset, pipelines_dir=tmp_path / "fresh-machine")
    pipeline = other.pipeline(source)
    pipeline.sync_destination()
    return pipeline.state["sources"][source]["resources"]


@pytest.mark.parametrize("kind", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
@pytest.mark.parametrize("source", list(LISTS))
def test_a_first_load_failing_late_keeps_its_finished_parts(source, kind, tiny_sandbox, make_wh, tmp_path,
                                                             request, monkeypatch):
    sb = tiny_sandbox
    route, resource, param, per_window = LISTS[source]
    monkeypatch.setenv("PIPELINE__PROGRESS_DAYS", str(PART_DAYS))
    monkeypatch.setenv("SOURCES__ZOHO_VOICE__DATE_FORMAT", "epoch_ms")  # windows sent exactly
    wh = make_wh("warehouse") if kind == "duckdb" else request.getfixturevalue("pg_warehouse")
    start = to_utc(sb.clock.now()).replace(microsecond=0) - 6 * DAY
    boundary = start + PART_DAYS * DAY

    # the second part's first list request fails, and keeps failing through the client's retries
    sb.inject_fault(route, "500", count=1000, after=per_window)
    failed = run_inprocess(wh, [source], sb.clock, start=start)[source]
    assert failed.outcome == "failed", failed.error
    assert len(failed.load_ids) == 1, "the first part was loaded as its own package"
    kept = snapshot(wh, [source])[f"{source}.{resource}"]
    assert kept, "the first part's rows are in the warehouse"
    assert remote_state(wh, source, tmp_path)[resource][RESUME_KEY] == boundary.isoformat()

    sb.clear_faults()
    sb.reset_stats()
    rerun = run_inprocess(wh, [source], sb.clock, start=start)[source]
    assert rerun.outcome == "ok", rerun.error
    starts = list_starts(sb, route, param)
    assert starts and min(starts) == boundary, "the rerun did not request the finished part's list pages"
    assert RESUME_KEY not in remote_state(wh, source, tmp_path)[resource]

    monkeypatch.setenv("PIPELINE__PROGRESS_DAYS", "0")  # one part: the clean run
    clean = make_wh("clean")
    assert run_inprocess(clean, [source], sb.clock, start=start)[source].outcome == "ok"
    snap = snapshot(wh, [source])
    assert_no_duplicates(snap)
    assert set(kept) <= set(snap[f"{source}.{resource}"])
    assert snap == snapshot(clean, [source])
