"""A vendor changes the type of a field we do not declare (a number yesterday, text today): the
source keeps loading, the new values that do not fit go to `<field>_raw`, with a warning naming it.

The sandbox adds the undeclared field `vendor_score` to every item of an answer, as 7
(fault field_number) or as "high" (fault field_text).
"""

from __future__ import annotations

import logging

import pytest

from tests.pipelines.conftest import run_inprocess

SOURCE, TABLE, ROUTE = "zoho_voice", "call_logs", "GET /rest/json/zv/logs"


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def target(request, make_wh):
    if request.param == "duckdb":
        return make_wh("warehouse")
    return request.getfixturevalue("pg_warehouse")


def scores(wh) -> dict[str, tuple]:
    """{logid: (vendor_score, vendor_score_raw)} as the warehouse holds them."""
    columns = wh.columns(wh.dataset(SOURCE), TABLE)
    raw = "vendor_score_raw" if "vendor_score_raw" in columns else "NULL"
    rows = wh.query(f"SELECT logid, vendor_score, {raw} FROM {wh.qualified(wh.dataset(SOURCE), TABLE)}")
    return {logid: (score, text) for logid, score, text in rows}


def clean_count(make_wh, sb) -> int:
    """Rows a run without faults gets from the sandbox as it is now (the same calls)."""
    clean = make_wh("clean")
    assert run_inprocess(clean, [SOURCE], sb.clock)[SOURCE].outcome == "ok"
    return clean.row_counts(SOURCE)[TABLE]


def run(wh, sb, caplog) -> str:
    caplog.clear()
    result = run_inprocess(wh, [SOURCE], sb.clock)[SOURCE]
    assert result.outcome == "ok", result.error
    return "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING)


def test_a_field_that_turns_into_text_within_one_run(tiny_world, target, make_wh, caplog, monkeypatch):
    sb = tiny_world(start="2026-11-20T12:00:00Z")
    monkeypatch.setenv("SOURCES__ZOHO_VOICE__PAGE_SIZE", "5")  # several pages in one run
    expected = clean_count(make_wh, sb)
    sb.inject_fault(ROUTE, "field_number", count=1)  # the first page with calls: a number
    sb.inject_fault(ROUTE, "field_text", count=1000, after=1)  # every page after it: text
    warnings = run(target, sb, caplog)

    got = scores(target)
    assert len(got) == expected > 10
    assert set(got.values()) == {(None, "high"), (7, None)}
    assert list(got.values()).count((7, None)) == 5  # the first page
    assert "field 'vendor_score'" in warnings and "vendor_score_raw" in warnings


def test_a_field_that_turns_into_text_between_runs(tiny_world, target, make_wh, caplog):
    sb = tiny_world(start="2026-11-20T12:00:00Z")
    sb.inject_fault(ROUTE, "field_number", count=1000)
    assert run(target, sb, caplog) == ""
    first = scores(target)
    assert set(first.values()) == {(7, None)}

    sb.clear_faults()
    sb.clock.advance(days=1)
    sb.inject_fault(ROUTE, "field_text", count=1000)
    warnings = run(target, sb, caplog)  # failed on every later run before (the load could not convert)
    assert "field 'vendor_score'" in warnings and "vendor_score_raw" in warnings
    second = scores(target)
    assert len(second) > len(first)
    new = {k: v for k, v in second.items() if k not in first}
    assert new and set(new.values()) == {(None, "high")}

    sb.clear_faults()
    sb.clock.advance(days=1)
    sb.inject_fault(ROUTE, "field_number", count=1000)  # and back: the source keeps loading
    run(target, sb, caplog)
    sb.clear_faults()
    assert len(scores(target)) == clean_count(make_wh, sb)
