"""The outcome mapping: every mapped raw value gives its outcome through the views.

A synthetic warehouse (raw tables with only the columns the views need, written by hand)
holds one row per mapped value, in another letter case and padded with spaces, in every
raw table whose result field goes through the map. Unknown values give `other` with the
raw value kept as stored.
"""

from __future__ import annotations

import uuid

import pytest

from pipelines.analytics import lit, refresh_views
from pipelines.outcomes import (
    OTHER,
    OUTCOME_MAP,
    OUTCOMES,
    ZOHO_VOICE,
    ZOOM_CONTACT_CENTER,
    ZOOM_PHONE,
    map_rows,
    normalize_raw,
    outcome_for,
)
from pipelines.warehouse import Warehouse
from tests.analytics.conftest import SOURCES, drop_pg_schemas
from tests.analytics.support import doc_outcome_map

MAP_ROWS = map_rows()
UNKNOWN = {ZOOM_PHONE: " Totally New Result ", ZOOM_CONTACT_CENTER: "brand_new_result", ZOHO_VOICE: "WEIRD_CAUSE"}
T0 = "2026-11-10 12:00:00+00"
# (provider, raw value) -> key suffix of its synthetic rows
KEYS = {(p, raw): f"k{i}" for i, (p, raw, _) in enumerate(MAP_ROWS)}
KEYS.update({(p, raw): f"u{n}" for n, (p, raw) in enumerate(UNKNOWN.items())})


def variant(raw: str, i: int) -> str:
    """The stored form of a mapped value: other letter case, padded."""
    return f"  {raw.upper()} " if i % 2 else f" {raw.title()}"


def synthetic_statements(wh: Warehouse) -> list[str]:
    zp, cc, zv = (wh.dataset(s) for s in SOURCES)
    ts = "TIMESTAMP WITH TIME ZONE"
    stmts = [f"CREATE SCHEMA IF NOT EXISTS {s}" for s in (zp, cc, zv)] + [
        f"CREATE TABLE {zp}.call_history (call_history_uuid TEXT, call_id TEXT, call_result TEXT, start_time {ts})",
        f"CREATE TABLE {zp}.call_elements (call_element_id TEXT, call_history_uuid TEXT, call_id TEXT, "
        "segment BIGINT, node BIGINT, result TEXT)",
        f"CREATE TABLE {zp}.call_logs (id TEXT, call_id TEXT, result TEXT, date_time {ts})",
        f"CREATE TABLE {zp}.call_log_legs (id TEXT, call_log_id TEXT, leg_index BIGINT, result TEXT)",
        f"CREATE TABLE {cc}.voice_calls (engagement_id TEXT, result TEXT, start_time {ts})",
        f"CREATE TABLE {zv}.call_logs (logid TEXT, call_type TEXT, hangup_cause TEXT, start_time {ts})",
    ]
    history, elements, logs, legs, voice, zoho = [], [], [], [], [], []
    for i, ((provider, raw), key) in enumerate(KEYS.items()):
        stored = variant(raw, i) if key.startswith("k") else raw
        if provider == ZOOM_PHONE:
            history.append(f"('h-{key}', 'h-{key}', {lit(stored)}, '{T0}')")
            elements.append(f"('e-{key}', 'h-{key}', 'h-{key}', 0, 0, {lit(stored)})")
            logs.append(f"('l-{key}', 'l-{key}', {lit(stored)}, '{T0}')")
            legs.append(f"('g-{key}', 'l-{key}', 0, {lit(stored)})")
        elif provider == ZOOM_CONTACT_CENTER:
            voice.append(f"('c-{key}', {lit(stored)}, '{T0}')")
        elif raw in ("missed", "voicemail"):  # Zoho values that come from call_type
            zoho.append(f"('z-{key}', {lit(stored)}, NULL, '{T0}')")
        else:
            zoho.append(f"('z-{key}', 'incoming', {lit(stored)}, '{T0}')")
    for table, values in ((f"{zp}.call_history", history), (f"{zp}.call_elements", elements),
                          (f"{zp}.call_logs", logs), (f"{zp}.call_log_legs", legs),
                          (f"{cc}.voice_calls", voice), (f"{zv}.call_logs", zoho)):
        stmts.append(f"INSERT INTO {table} VALUES " + ", ".join(values))
    return stmts


def places(provider: str, raw: str) -> list[tuple[str, str, str]]:
    """(provider, source_table, key) of the view rows made from the value's synthetic rows."""
    k = KEYS[(provider, raw)]
    if provider == ZOOM_PHONE:
        return [(provider, "call_history", f"h-{k}"), (provider, "call_logs", f"l-{k}"),
                (provider, "call_elements", f"e-{k}"), (provider, "call_log_legs", f"g-{k}")]
    if provider == ZOOM_CONTACT_CENTER:
        return [(provider, "voice_calls", f"c-{k}")]
    return [(provider, "call_logs", f"z-{k}")]


@pytest.fixture(scope="module", params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def seen(request, tmp_path_factory) -> dict[tuple[str, str], tuple[str, str]]:
    """{(provider, source_table, key): (outcome, result_raw)} read back from `calls` and `call_legs`."""
    root = tmp_path_factory.mktemp(f"outcomes_{request.param}")
    if request.param == "duckdb":
        wh = Warehouse.duckdb(root / "synthetic.duckdb", pipelines_dir=root / "pipelines")
    else:
        dsn = request.getfixturevalue("pg_dsn")
        suffix = uuid.uuid4().hex[:8]
        wh = Warehouse.postgres(dsn, datasets={s: f"{s}_{suffix}" for s in SOURCES},
                                analytics_dataset=f"analytics_{suffix}", pipelines_dir=root / "pipelines")
    try:
        wh.execute(synthetic_statements(wh))
        refresh_views(wh)
        a = wh.analytics_dataset
        out = {}
        for p, table, key, outcome, raw in wh.query(
                f"SELECT provider, source_table, call_id, outcome, result_raw FROM {a}.calls"):
            out[(p, table, key)] = (outcome, raw)
        for p, table, key, outcome, raw in wh.query(
                f"SELECT provider, source_table, leg_key, outcome, result_raw FROM {a}.call_legs"):
            out[(p, table, key)] = (outcome, raw)
        yield out
    finally:
        if wh.kind == "postgres":
            drop_pg_schemas(wh)


@pytest.mark.parametrize(("provider", "raw", "outcome"), MAP_ROWS, ids=[f"{p}:{r}" for p, r, _ in MAP_ROWS])
def test_mapped_value_gives_its_outcome_through_the_views(seen, provider, raw, outcome):
    for place in places(provider, raw):
        got_outcome, got_raw = seen[place]
        assert got_outcome == outcome, place
        assert normalize_raw(got_raw) == raw, place


@pytest.mark.parametrize("provider", sorted(UNKNOWN))
def test_unknown_value_is_other_and_keeps_the_raw_value(seen, provider):
    for place in places(provider, UNKNOWN[provider]):
        assert seen[place] == (OTHER, UNKNOWN[provider]), place


# ------------------------------------------------------------------ the mapping itself


def test_mapping_keys_are_normalized_and_outcomes_known():
    for (provider, raw), outcome in OUTCOME_MAP.items():
        assert provider in SOURCES
        assert raw == normalize_raw(raw)
        assert outcome in OUTCOMES
    assert outcome_for(ZOOM_PHONE, "  CALL CONNECTED ") == "answered"
    assert outcome_for(ZOOM_PHONE, "something new") == OTHER
    assert outcome_for(ZOOM_PHONE, None) == OTHER
    assert outcome_for(ZOOM_CONTACT_CENTER, "") == OTHER


def test_data_dictionary_lists_the_map():
    assert sorted(doc_outcome_map()) == MAP_ROWS


@pytest.mark.parametrize(("provider", "raw", "outcome"), [
    (ZOOM_PHONE, "Call connected", "answered"),
    (ZOOM_PHONE, "call_connected", "answered"),
    (ZOOM_PHONE, "Answered by Other Member", "missed"),
    (ZOOM_PHONE, "No Answer", "missed"),
    (ZOOM_PHONE, "Voicemail", "voicemail"),
    (ZOOM_PHONE, "unconnected", "missed"),
    (ZOOM_PHONE, "Auto Recorded", "forwarded"),
    (ZOOM_CONTACT_CENTER, "completed", "answered"),
    (ZOOM_CONTACT_CENTER, "short_abandoned", "abandoned"),
    (ZOOM_CONTACT_CENTER, "hang_up_calls", "abandoned"),
    (ZOOM_CONTACT_CENTER, "declined", "rejected"),
    (ZOHO_VOICE, "NORMAL_CLEARING", "answered"),
    (ZOHO_VOICE, "NO_ANSWER", "missed"),
    (ZOHO_VOICE, "USER_BUSY", "rejected"),
])
def test_values_named_in_the_brief_and_the_docs(provider, raw, outcome):
    assert outcome_for(provider, raw) == outcome


def test_every_value_the_sandbox_emits_is_mapped():
    from sandbox import cc, phone

    zoom = set(phone.LOG_RESULT.values()) | set(phone.HISTORY_RESULT.values()) | {"Auto Recorded", "unconnected"}
    zoom |= {result for result, _reason in phone.ELEMENT_RESULT.values()}
    for value in zoom:
        assert (ZOOM_PHONE, normalize_raw(value)) in OUTCOME_MAP, value
    for value, _weight in cc.INBOUND_RESULTS + cc.OUTBOUND_RESULTS + [("in_progress", 0)]:
        assert (ZOOM_CONTACT_CENTER, value) in OUTCOME_MAP, value
    for value in ("NORMAL_CLEARING", "NO_ANSWER", "missed"):
        assert (ZOHO_VOICE, normalize_raw(value)) in OUTCOME_MAP, value
