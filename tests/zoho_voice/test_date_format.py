"""fromDate/toDate have no published format: the default (yyyy-mm-dd) loads the exact range in any
org time zone, and a format the account ignores stops the run with what to set instead."""

from __future__ import annotations

import datetime as dt

import pytest
from dlt.pipeline.exceptions import PipelineStepFailed

from sources.zoho_voice import settings
from sources.zoho_voice.helpers import DateFilterIgnored
from tests.zoho_voice.support import loaded_ids, query, run_zoho, truth_ids

LOGS = "GET /rest/json/zv/logs"


def _cause(error: BaseException, kind: type) -> BaseException | None:
    while error is not None and not isinstance(error, kind):
        error = error.__cause__ or error.__context__
    return error


def _table_rows(warehouse) -> int:
    tables = query(warehouse, "select count(*) from information_schema.tables "
                              "where table_schema = 'zoho_voice' and table_name = 'call_logs'")
    return query(warehouse, "select count(*) from zoho_voice.call_logs")[0][0] if tables[0][0] else 0


@pytest.mark.parametrize(("ignored", "date_format"), [("date", None), ("epoch_ms", "epoch_ms")])
def test_an_ignored_date_format_stops_the_run_and_names_what_to_try(zoho_sandbox, warehouse, monkeypatch,
                                                                   ignored, date_format):
    sb = zoho_sandbox(zoho_ignored_date_formats=(ignored,))
    if date_format:
        monkeypatch.setenv("SOURCES__ZOHO_VOICE__DATE_FORMAT", date_format)
    with pytest.raises(PipelineStepFailed) as failed:
        run_zoho(sb, warehouse, start_date="2026-11-18")
    error = _cause(failed.value, DateFilterIgnored)
    assert error is not None, failed.value
    text = str(error)
    assert "[sources.zoho_voice] date_format" in text and "SOURCES__ZOHO_VOICE__DATE_FORMAT" in text
    tried = date_format or settings.DATE_FORMAT
    others = [f for f in settings.DATE_FORMATS if f != tried]
    assert all(repr(f) in text.split("Hint:")[1] for f in others) and repr(tried) not in text.split("Hint:")[1]
    assert _table_rows(warehouse) == 0  # nothing loaded from the wrong range
    assert sb.requests[LOGS] == 1  # stopped at the first page, not after reading the account's history

    # the user sets what the error says: the same run loads exactly the asked range
    monkeypatch.setenv("SOURCES__ZOHO_VOICE__DATE_FORMAT", next(f for f in others if f != "%Y-%m-%dT%H:%M:%SZ"))
    _, end = run_zoho(sb, warehouse, start_date="2026-11-18")
    ids = loaded_ids(warehouse)
    assert len(ids) == len(set(ids)) and set(ids) == truth_ids(sb, "2026-11-18", end)


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago", "America/Los_Angeles"])
def test_dates_load_the_exact_range_whatever_the_org_time_zone(zoho_sandbox, warehouse, zone):
    sb = zoho_sandbox(zoho_timezone=zone)  # the sandbox reads yyyy-mm-dd in the org's zone
    start, end = "2026-11-12T05:30:00Z", "2026-11-15T20:15:00Z"
    run_zoho(sb, warehouse, start_date=start, end_date=end)
    assert set(loaded_ids(warehouse)) == truth_ids(sb, start, end)
    sent = {(q["fromDate"], q["toDate"]) for _, _, route, q, _ in sb.request_log if route == LOGS}
    assert sent == {("2026-11-11", "2026-11-17")}  # whole days around the range

    sb.clock.advance(days=1)
    _, end = run_zoho(sb, warehouse, start_date=start)  # nightly: up to now
    ids = loaded_ids(warehouse)
    assert len(ids) == len(set(ids)) and set(ids) == truth_ids(sb, start, end)


def test_calls_arriving_after_the_window_do_not_make_it_read_again(zoho_sandbox, warehouse):
    """With dates the asked range reaches past now: calls arriving while it is read grow the total,
    which is no sign of a missed call inside the window (that one the next run's lag reads)."""
    sb = zoho_sandbox(zoho_rows_added_per_page=2)
    start = sb.clock.now() - dt.timedelta(days=50)
    _, end = run_zoho(sb, warehouse, start_date=start.isoformat(), page_size=20)
    ids = loaded_ids(warehouse)
    assert len(ids) == len(set(ids)) and set(ids) == truth_ids(sb, start, end)
    first_pages = [q for _, _, route, q, _ in sb.request_log if route == LOGS and q["from"] == "0"]
    assert len(first_pages) == 2  # two windows (30 days each), each read once
    assert len(sb.truth.zoho_logs(end, None)) > 10  # calls did arrive during the reads
