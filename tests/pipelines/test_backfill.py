"""Backfill M1..M2 + nightly runs == one full load; the nightly cursor does not move on a backfill."""

from __future__ import annotations

import io

import pytest

from pipelines.cli import main
from pipelines.console import Console
from pipelines.status import cursors_and_tokens, stored_state
from tests.pipelines.conftest import SANDBOX_START, assert_no_duplicates, run_inprocess, snapshot

# ~70 days of history before 2026-11-20: September and October exist, one call a day keeps it small
WORLD = dict(days=72, users=3, calls_per_day=1, cc_calls_per_day=1, zoho_calls_per_day=1)
MAIN_TABLE = {"zoom_phone": ("call_history", "start_time"), "zoom_contact_center": ("voice_calls", "start_time"),
              "zoho_voice": ("call_logs", "start_time")}


@pytest.fixture
def sb(tiny_world):
    return tiny_world(start=SANDBOX_START, **WORLD)


def count_before(wh, source, when: str) -> int:
    table, column = MAIN_TABLE[source]
    return wh.query(f"SELECT count(*) FROM {wh.qualified(wh.dataset(source), table)} WHERE {column} < ?",
                    [when])[0][0]


@pytest.mark.slow
@pytest.mark.parametrize("source", ["zoom_phone", "zoom_contact_center", "zoho_voice"])
def test_backfill_then_nightly_equals_full_load(sb, make_wh, source):
    a, b = make_wh("a"), make_wh("b")
    nightly = {"source_kwargs": {"start_date": "2026-11-01"}}

    # night 1: the nightly job only looks back to November
    assert run_inprocess(a, [source], sb.clock, **nightly)[source].outcome == "ok"
    assert count_before(a, source, "2026-11-01") == 0
    cursors_before, _ = cursors_and_tokens(stored_state(a, source), source)
    assert cursors_before, "the nightly run stored no cursor"

    # the engineer backfills September..October through the CLI
    argv = ["backfill", "--source", source, "--start", "2026-09-01", "--end", "2026-10-31",
            "--duckdb-path", a.location, "--pipelines-dir", str(a.pipelines_dir)]
    out, err = io.StringIO(), io.StringIO()
    assert main(argv, clock=sb.clock, console=Console(out=out, err=err, live=False)) == 0, err.getvalue()
    assert "OK" in out.getvalue()
    loaded = count_before(a, source, "2026-11-01")
    assert loaded > 0
    assert count_before(a, source, "2026-09-01") == 0  # nothing outside the range
    assert cursors_and_tokens(stored_state(a, source), source)[0] == cursors_before  # cursor untouched
    first = snapshot(a, [source])

    # re-running the same backfill adds no rows
    assert main(argv, clock=sb.clock, console=Console(out=io.StringIO(), err=io.StringIO(), live=False)) == 0
    assert snapshot(a, [source]) == first

    # night 2
    sb.clock.advance(days=1)
    assert run_inprocess(a, [source], sb.clock, **nightly)[source].outcome == "ok"
    assert cursors_and_tokens(stored_state(a, source), source)[0] != cursors_before  # the nightly cursor moves

    # one full load of the whole range, as of the same moment
    assert run_inprocess(b, [source], sb.clock, source_kwargs={"start_date": "2026-09-01"})[source].outcome == "ok"
    snap_a, snap_b = snapshot(a, [source]), snapshot(b, [source])
    assert_no_duplicates(snap_a)
    assert snap_a.keys() == snap_b.keys()
    for table in snap_b:
        assert snap_a[table] == snap_b[table], table
