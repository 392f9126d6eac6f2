"""Zoho Voice test helpers: run the source against a sandbox into the `warehouse` DuckDB."""

from __future__ import annotations

import datetime as dt

import duckdb

from sources.common.config import build_zoho_client
from sources.zoho_voice import settings, zoho_voice

# the two sample rows of the vendor doc are from 2025-12-04
START_DATE = "2025-12-01"


def run_zoho(sb, warehouse, **kwargs):
    """One pipeline run (the same pipeline across calls).

    Returns (call_logs rows this run loaded, the run's end bound: its start time minus SETTLE).
    """
    kwargs.setdefault("start_date", START_DATE)
    end = sb.clock.now() - settings.SETTLE
    pipeline = warehouse("zoho_voice")
    client = build_zoho_client(clock=sb.clock)
    try:
        pipeline.run(zoho_voice(client=client, clock=sb.clock, **kwargs))
    finally:
        client.close()
    return pipeline.last_trace.last_normalize_info.row_counts.get("call_logs", 0), end


def query(warehouse, sql: str, *params):
    con = duckdb.connect(str(warehouse.path), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def loaded_ids(warehouse) -> list[str]:
    return [r[0] for r in query(warehouse, "select logid from zoho_voice.call_logs")]


def truth_ids(sb, start: str | dt.datetime, end: dt.datetime) -> set[str]:
    return {r["logid"] for r in sb.truth.zoho_logs(start, end)}
