"""Analyst views over the raw tables (issue 9): `calls`, `call_legs`, `calls_daily`, `outcome_map`.

`refresh_views(warehouse)` (re)builds, in the analytics dataset (a schema):

- `outcome_map`  table (provider, raw_value, outcome) from pipelines/outcomes.py;
- `calls`        one row per call and provider, key (provider, call_id);
- `call_legs`    one row per routing step, key (provider, call_id, leg_order);
- `calls_daily`  per UTC day, provider, direction and outcome;
- `cc_queue_daily` / `cc_agent_daily`  Contact Center queues and agents per UTC day, from the CX
  Analytics engagement dataset (`zoom_contact_center.engagements`); service level within
  `[analytics] service_level_seconds` (default 20).

It only needs `warehouse.pipeline(source)` (its `dataset_name` and `sql_client()`) and
`warehouse.analytics_dataset`. Each union branch is built only when its raw table exists,
and a column missing from a raw table (a field never seen yet) reads as a typed NULL, so
the views can be built at any stage of loading. Every table is schema-qualified; the SQL
is the same on DuckDB and Postgres. The rules (which row wins when a Zoom call is in both
families, which legs are used) are documented in docs/DATA_DICTIONARY.md.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from pipelines.outcomes import map_rows
from pipelines.warehouse import SOURCE_NAMES as SOURCES
from pipelines.warehouse import quote_ident as q
from sources.common.config import setting

log = logging.getLogger(__name__)

VIEWS = ("calls", "call_legs", "calls_daily", "cc_queue_daily", "cc_agent_daily")
MAP_TABLE = "outcome_map"

# SQL types of the view columns (the same spelling works on DuckDB and Postgres)
TEXT = "TEXT"
TSZ = "TIMESTAMP WITH TIME ZONE"
BIGINT = "BIGINT"
BOOL = "BOOLEAN"
MONEY = "DECIMAL(18, 6)"
DOUBLE = "DOUBLE PRECISION"
SERVICE_LEVEL_KEY = "analytics.service_level_seconds"
DEFAULT_SERVICE_LEVEL_SECONDS = 20

QUEUE_DAILY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("day", "DATE"), ("queue_id", TEXT), ("queue_name", TEXT), ("offered", BIGINT), ("handled", BIGINT),
    ("abandoned", BIGINT), ("abandon_rate", DOUBLE), ("avg_wait_s", DOUBLE), ("p90_wait_s", DOUBLE),
    ("avg_handle_s", DOUBLE), ("avg_hold_s", DOUBLE), ("avg_wrap_up_s", DOUBLE), ("transfers", BIGINT),
    ("answered_within_sl", BIGINT), ("service_level", DOUBLE), ("service_level_seconds", BIGINT),
    ("source_account", TEXT),
)
AGENT_DAILY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("day", "DATE"), ("user_id", TEXT), ("user_name", TEXT), ("handled", BIGINT), ("total_talk_s", DOUBLE),
    ("total_hold_s", DOUBLE), ("total_wrap_up_s", DOUBLE), ("total_handle_s", DOUBLE), ("avg_handle_s", DOUBLE),
    ("transfers_initiated", BIGINT), ("transfers_completed", BIGINT), ("source_account", TEXT),
)

CALL_COLUMNS: tuple[tuple[str, str], ...] = (
    ("provider", TEXT), ("source_table", TEXT), ("source_key", TEXT), ("call_id", TEXT),
    ("direction", TEXT), ("started_at", TSZ), ("answered_at", TSZ), ("ended_at", TSZ),
    ("duration_s", BIGINT), ("talk_s", BIGINT),
    ("caller_number", TEXT), ("caller_name", TEXT), ("callee_number", TEXT), ("callee_name", TEXT),
    ("site_id", TEXT), ("site_name", TEXT), ("department", TEXT), ("queue_id", TEXT), ("queue_name", TEXT),
    ("outcome", TEXT), ("result_raw", TEXT), ("charge", MONEY), ("recorded", BOOL), ("source_account", TEXT),
    ("quality_flags", TEXT),
)
LEG_COLUMNS: tuple[tuple[str, str], ...] = (
    ("provider", TEXT), ("call_id", TEXT), ("leg_order", BIGINT), ("source_table", TEXT), ("leg_key", TEXT),
    ("target_type", TEXT), ("target_id", TEXT), ("target_name", TEXT), ("target_number", TEXT),
    ("started_at", TSZ), ("answered_at", TSZ), ("ended_at", TSZ),
    ("outcome", TEXT), ("result_raw", TEXT), ("result_reason", TEXT),
    ("ring_s", BIGINT), ("wait_s", BIGINT), ("hold_s", BIGINT), ("talk_s", BIGINT), ("source_account", TEXT),
    ("quality_flags", TEXT),
)
# what the per-provider branches select: the durations as computed, impossible values included;
# the view around them nulls those and says why in `quality_flags` (_checked_calls, _checked_legs)
CALL_BRANCH_COLUMNS = CALL_COLUMNS[:-1]
LEG_BRANCH_COLUMNS = LEG_COLUMNS[:-1]
# Zoom Phone targets that route a call on (a menu, a queue, a shared line): a leg of theirs that the
# vendor reports "connected" / "answered" and that a later leg follows passed the call on
ROUTING_TARGETS = ("auto_receptionist", "call_queue", "shared_line_group")


def lit(value: str | None) -> str:
    """SQL string literal."""
    return "NULL" if value is None else "'" + str(value).replace("'", "''") + "'"


def seconds(start: str, end: str) -> str:
    """Whole seconds from `start` to `end` (timestamps with time zone), on DuckDB and Postgres."""
    return f"CAST(EXTRACT(EPOCH FROM ({end} - {start})) AS BIGINT)"


def nonneg(expr: str) -> str:
    """`expr`, or NULL when negative (a leg answered "before" it started is vendor noise)."""
    return f"CASE WHEN {expr} >= 0 THEN {expr} END"


def flags(*checks: tuple[str, str]) -> str:
    """Comma-separated names of the (name, condition) checks that hold, in that order; NULL if none."""
    parts = ", ".join(f"CASE WHEN {cond} THEN {lit(name)} END" for name, cond in checks)
    return f"NULLIF(concat_ws(',', {parts}), '')"


def unless(cond: str) -> str:
    """NOT cond, with an unknown (NULL) condition taken as false."""
    return f"NOT COALESCE({cond}, FALSE)"


def norm(expr: str) -> str:
    """Lookup form of a raw value, as pipelines.outcomes.normalize_raw."""
    return f"LOWER(TRIM(CAST({expr} AS TEXT)))"


@dataclass
class Catalog:
    """Which raw tables and columns exist, per source dataset."""

    datasets: dict[str, str]  # source -> dataset (schema)
    analytics: str
    dialect: str
    columns: dict[tuple[str, str], set[str]] = field(default_factory=dict)  # (source, table) -> columns

    def has(self, source: str, table: str) -> bool:
        return (source, table) in self.columns

    def table(self, source: str, table: str) -> str:
        return f"{q(self.datasets[source])}.{q(table)}"

    def map_table(self) -> str:
        return f"{q(self.analytics)}.{q(MAP_TABLE)}"

    def col(self, source: str, table: str, alias: str, name: str, sql_type: str | None = None) -> str:
        """`alias.name` cast to `sql_type` when the column exists, else a typed NULL."""
        if name in self.columns.get((source, table), ()):
            ref = f"{alias}.{q(name)}"
            return f"CAST({ref} AS {sql_type})" if sql_type else ref
        return f"CAST(NULL AS {sql_type or TEXT})"

    def acct(self, source: str, table: str, alias: str) -> str:
        """The row's account (`source_account`, '' in a table without it): natural ids are unique
        only within an account, so every join and partition by a call or engagement id has it."""
        return f"COALESCE({self.col(source, table, alias, 'source_account', TEXT)}, '')"


# ---------------------------------------------------------------------------- helpers


def _select(values: dict[str, str], spec: Iterable[tuple[str, str]]) -> str:
    """SELECT list in the view's column order, every value cast to the view's type."""
    out = []
    for name, sql_type in spec:
        expr = values.get(name, "NULL")
        out.append(f"CAST({expr} AS {sql_type}) AS {q(name)}")
    return ",\n    ".join(out)


def _empty(spec: Iterable[tuple[str, str]]) -> str:
    return "SELECT " + ", ".join(f"CAST(NULL AS {t}) AS {q(n)}" for n, t in spec) + " WHERE 1 = 0"


def _outcome_join(cat: Catalog, alias: str, provider: str, raw_expr: str) -> str:
    return (f"LEFT JOIN {cat.map_table()} {alias} ON {alias}.provider = {lit(provider)} "
            f"AND {alias}.raw_value = {norm(raw_expr)}")


def _first_queue_join(on: str, rows: str, *, key: str, order: str, queue_id: str, queue_name: str,
                      where: str, account: str, on_account: str) -> str:
    """LEFT JOIN `cq` (call_key, queue_id, queue_name): per call `key` of an `account`, the first of
    `rows` (by `order`) that is a queue step (`where`), joined on `cq.call_key = on` in `on_account`."""
    first = (f"SELECT call_key, acct, queue_id, queue_name FROM (SELECT {key} AS call_key, {account} AS acct, "
             f"{queue_id} AS queue_id, {queue_name} AS queue_name, "
             f"ROW_NUMBER() OVER (PARTITION BY {account}, {key} ORDER BY {order}) AS qn "
             f"FROM {rows} WHERE {where}) fq WHERE qn = 1")
    return f"LEFT JOIN ({first}) cq ON cq.call_key = {on} AND cq.acct = {on_account}"


def _zoom_target_type(ext_type: str, voicemail: str) -> str:
    """Normalized target type from a Zoom extension type (snake_case or camelCase)."""
    t = f"LOWER(TRIM({ext_type}))"
    return (f"CASE WHEN {voicemail} THEN 'voicemail' "
            f"WHEN {ext_type} IS NULL OR TRIM({ext_type}) = '' THEN 'external' "
            f"WHEN {t} IN ('autoreceptionist', 'auto_receptionist') THEN 'auto_receptionist' "
            f"WHEN {t} IN ('callqueue', 'call_queue') THEN 'call_queue' "
            f"WHEN {t} IN ('sharedlinegroup', 'shared_line_group') THEN 'shared_line_group' "
            f"WHEN {t} IN ('commonareaphone', 'common_area_phone', 'common_area') THEN 'common_area' "
            f"ELSE {t} END")


# ---------------------------------------------------------------------------- Zoom Phone pieces


def _history_ranked(cat: Catalog) -> str:
    """call_history with the call key and rn = 1 on the row kept per call."""
    c = lambda n, t=None: cat.col("zoom_phone", "call_history", "x", n, t)  # noqa: E731
    key = f"COALESCE({c('call_id', TEXT)}, {c('call_history_uuid', TEXT)})"
    acct = cat.acct("zoom_phone", "call_history", "x")
    return (f"SELECT x.*, {key} AS call_key, {acct} AS acct, ROW_NUMBER() OVER (PARTITION BY {acct}, {key} "
            f"ORDER BY {c('start_time')}, {c('call_history_uuid', TEXT)}) AS rn "
            f"FROM {cat.table('zoom_phone', 'call_history')} x")


def _logs_ranked(cat: Catalog) -> str:
    """call_logs with the call key, rn = 1 on the first log of the call and per-call aggregates."""
    c = lambda n, t=None: cat.col("zoom_phone", "call_logs", "x", n, t)  # noqa: E731
    key = f"COALESCE({c('call_id', TEXT)}, {c('id', TEXT)})"
    acct = cat.acct("zoom_phone", "call_logs", "x")
    part = f"PARTITION BY {acct}, {key}"
    return (f"SELECT x.*, {key} AS call_key, {acct} AS acct, "
            f"ROW_NUMBER() OVER ({part} ORDER BY {c('date_time')}, {c('id', TEXT)}) AS rn, "
            f"MIN({c('date_time', TSZ)}) OVER ({part}) AS call_started_at, "
            f"MIN({c('answer_start_time', TSZ)}) OVER ({part}) AS call_answered_at, "
            f"MAX({c('call_end_time', TSZ)}) OVER ({part}) AS call_ended_at, "
            f"SUM({c('charge', MONEY)}) OVER ({part}) AS call_charge, "
            f"COUNT(*) OVER ({part}) AS call_logs "
            f"FROM {cat.table('zoom_phone', 'call_logs')} x")


def _legacy_recorded(cat: Catalog) -> str | None:
    """(call_key, recorded): a legacy call log of the call or a leg of one has a `recording_id`."""
    if not cat.has("zoom_phone", "call_logs"):
        return None
    c = lambda n, t=None: cat.col("zoom_phone", "call_logs", "x", n, t)  # noqa: E731
    parts = [f"SELECT COALESCE({c('call_id', TEXT)}, {c('id', TEXT)}) AS call_key, {cat.acct('zoom_phone', 'call_logs', 'x')} AS acct, "
             f"{c('recording_id')} IS NOT NULL AS rec FROM {cat.table('zoom_phone', 'call_logs')} x"]
    legs = _legacy_legs(cat)
    if legs is not None:
        g = lambda n, t=None: cat.col("zoom_phone", "call_log_legs", "g", n, t)  # noqa: E731
        parts.append(f"SELECT g.call_key, g.acct, {g('recording_id')} IS NOT NULL AS rec FROM ({legs}) g")
    return (f"SELECT call_key, acct, BOOL_OR(rec) AS recorded FROM ({' UNION ALL '.join(parts)}) r "
            "GROUP BY acct, call_key")


def _elements_recorded(cat: Catalog, elements: str) -> str:
    """(call_key, recorded): a call element of the call has a `recording_id`."""
    e = lambda n, t=None: cat.col("zoom_phone", "call_elements", "e", n, t)  # noqa: E731
    return (f"SELECT e.call_key, e.acct, BOOL_OR({e('recording_id')} IS NOT NULL) AS recorded "
            f"FROM ({elements}) e GROUP BY e.acct, e.call_key")


def _elements_of_kept_history(cat: Catalog) -> str | None:
    """call_elements of the call_history row kept per call, with call_key and leg_order."""
    if not (cat.has("zoom_phone", "call_elements") and cat.has("zoom_phone", "call_history")):
        return None
    e = lambda n, t=None: cat.col("zoom_phone", "call_elements", "e", n, t)  # noqa: E731
    return (f"SELECT e.*, h.call_key AS call_key, h.acct AS acct, ROW_NUMBER() OVER (PARTITION BY h.acct, h.call_key "
            f"ORDER BY {e('segment', BIGINT)}, {e('node', BIGINT)}, {e('start_time')}, "
            f"{e('call_element_id', TEXT)}) AS leg_order "
            f"FROM {cat.table('zoom_phone', 'call_elements')} e "
            f"JOIN ({_history_ranked(cat)}) h ON h.call_history_uuid = e.call_history_uuid "
            f"AND h.acct = {cat.acct('zoom_phone', 'call_elements', 'e')} AND h.rn = 1")


def _legacy_legs(cat: Catalog) -> str | None:
    """call_log_legs with call_key, the log's start, and leg_order within the call."""
    if not cat.has("zoom_phone", "call_log_legs"):
        return None
    g = lambda n, t=None: cat.col("zoom_phone", "call_log_legs", "g", n, t)  # noqa: E731
    if cat.has("zoom_phone", "call_logs"):
        lc = lambda n, t=None: cat.col("zoom_phone", "call_logs", "l", n, t)  # noqa: E731
        join = (f"LEFT JOIN {cat.table('zoom_phone', 'call_logs')} l ON {lc('id', TEXT)} = {g('call_log_id', TEXT)} "
                f"AND {cat.acct('zoom_phone', 'call_logs', 'l')} = {cat.acct('zoom_phone', 'call_log_legs', 'g')}")
        key = f"COALESCE({lc('call_id', TEXT)}, {g('call_id', TEXT)}, {g('call_log_id', TEXT)})"
        log_time = lc("date_time", TSZ)
    else:
        join = ""
        key = f"COALESCE({g('call_id', TEXT)}, {g('call_log_id', TEXT)})"
        log_time = f"CAST(NULL AS {TSZ})"
    acct = cat.acct("zoom_phone", "call_log_legs", "g")
    return (f"SELECT g.*, {key} AS call_key, {acct} AS acct, ROW_NUMBER() OVER (PARTITION BY {acct}, {key} ORDER BY {log_time}, "
            f"{g('call_log_id', TEXT)}, {g('leg_index', BIGINT)}, {g('date_time')}) AS leg_order "
            f"FROM {cat.table('zoom_phone', 'call_log_legs')} g {join}")


def _legacy_legs_used(cat: Catalog, elements: str | None) -> str | None:
    """Legacy legs of the calls that have no call elements (the documented no-double rule)."""
    legacy = _legacy_legs(cat)
    if legacy is None or elements is None:
        return legacy
    return (f"SELECT ll.* FROM ({legacy}) ll WHERE NOT EXISTS "
            f"(SELECT 1 FROM ({elements}) el WHERE el.call_key = ll.call_key AND el.acct = ll.acct)")


# ---------------------------------------------------------------------------- calls


def _calls_zoom_history(cat: Catalog) -> str:
    c = lambda n, t=None: cat.col("zoom_phone", "call_history", "h", n, t)  # noqa: E731
    joins = [_outcome_join(cat, "m", "zoom_phone", c("call_result"))]
    queue_id = queue_name = "NULL"
    elements = _elements_of_kept_history(cat)
    if elements is not None:
        ee = lambda n, t=None: cat.col("zoom_phone", "call_elements", "e", n, t)  # noqa: E731
        joins.append(_first_queue_join(
            "h.call_key", f"({elements}) e", key="e.call_key", order="e.leg_order",
            queue_id=ee("callee_ext_id", TEXT), queue_name=ee("callee_name", TEXT),
            where=f"LOWER(TRIM({ee('callee_ext_type', TEXT)})) = 'call_queue'",
            account="e.acct", on_account="h.acct"))
        queue_id, queue_name = "cq.queue_id", "cq.queue_name"
    charge = "NULL"
    # recorded: the call says so, or one of its legs (call elements, legacy logs and legs) has a recording
    recorded = [f"LOWER(TRIM({c('recording_status', TEXT)})) = 'recorded'"]
    if elements is not None:
        joins.append(f"LEFT JOIN ({_elements_recorded(cat, elements)}) er ON er.call_key = h.call_key "
                     "AND er.acct = h.acct")
        recorded.append("COALESCE(er.recorded, FALSE)")
    if cat.has("zoom_phone", "call_logs"):
        # call history has no charge: take it from the legacy call logs of the same call
        joins.append(f"LEFT JOIN ({_logs_ranked(cat)}) lg ON lg.call_key = h.call_key "
                     "AND lg.acct = h.acct AND lg.rn = 1")
        joins.append(f"LEFT JOIN ({_legacy_recorded(cat)}) lr ON lr.call_key = h.call_key "
                     "AND lr.acct = h.acct")
        charge = "lg.call_charge"
        recorded.append("COALESCE(lr.recorded, FALSE)")
    values = {
        "provider": "'zoom_phone'", "source_table": "'call_history'",
        "source_key": c("call_history_uuid"), "call_id": "h.call_key",
        "direction": f"LOWER(TRIM({c('direction', TEXT)}))",
        "started_at": c("start_time"), "answered_at": c("answer_time"), "ended_at": c("end_time"),
        "duration_s": f"COALESCE({seconds(c('start_time', TSZ), c('end_time', TSZ))}, {c('duration', BIGINT)})",
        "talk_s": seconds(c("answer_time", TSZ), c("end_time", TSZ)),
        "caller_number": f"COALESCE({c('caller_ext_number', TEXT)}, {c('caller_did_number', TEXT)})",
        "caller_name": c("caller_name"),
        "callee_number": f"COALESCE({c('callee_ext_number', TEXT)}, {c('callee_did_number', TEXT)})",
        "callee_name": c("callee_name"),
        "site_id": c("site_id"), "site_name": c("site_name"), "department": c("department"),
        "queue_id": queue_id, "queue_name": queue_name,
        "outcome": "COALESCE(m.outcome, 'other')", "result_raw": c("call_result"),
        "charge": charge, "recorded": " OR ".join(f"({r})" for r in recorded), "source_account": c("source_account"),
    }
    return (f"SELECT\n    {_select(values, CALL_BRANCH_COLUMNS)}\nFROM ({_history_ranked(cat)}) h\n"
            + "\n".join(joins) + "\nWHERE h.rn = 1")


def _calls_zoom_logs(cat: Catalog) -> str:
    c = lambda n, t=None: cat.col("zoom_phone", "call_logs", "l", n, t)  # noqa: E731
    joins = [_outcome_join(cat, "m", "zoom_phone", c("result"))]
    queue_id = queue_name = "NULL"
    legacy = _legacy_legs(cat)
    if legacy is not None:
        gg = lambda n, t=None: cat.col("zoom_phone", "call_log_legs", "g", n, t)  # noqa: E731
        joins.append(_first_queue_join(
            "l.call_key", f"({legacy}) g", key="g.call_key", order="g.leg_order",
            queue_id=gg("forward_to_id", TEXT), queue_name=gg("forward_to_name", TEXT),
            where=f"LOWER(TRIM({gg('forward_to_type', TEXT)})) IN ('callqueue', 'call_queue')",
            account="g.acct", on_account="l.acct"))
        queue_id, queue_name = "cq.queue_id", "cq.queue_name"
    joins.append(f"LEFT JOIN ({_legacy_recorded(cat)}) lr ON lr.call_key = l.call_key "
                 "AND lr.acct = l.acct")
    where = "l.rn = 1"
    if cat.has("zoom_phone", "call_history"):
        hc = lambda n, t=None: cat.col("zoom_phone", "call_history", "hx", n, t)  # noqa: E731
        where += (f" AND NOT EXISTS (SELECT 1 FROM {cat.table('zoom_phone', 'call_history')} hx "
                  f"WHERE COALESCE({hc('call_id', TEXT)}, {hc('call_history_uuid', TEXT)}) = l.call_key "
                  f"AND {cat.acct('zoom_phone', 'call_history', 'hx')} = l.acct)")
    values = {
        "provider": "'zoom_phone'", "source_table": "'call_logs'", "source_key": c("id"), "call_id": "l.call_key",
        "direction": f"LOWER(TRIM({c('direction', TEXT)}))",
        "started_at": "l.call_started_at", "answered_at": "l.call_answered_at", "ended_at": "l.call_ended_at",
        "duration_s": f"COALESCE({seconds('l.call_started_at', 'l.call_ended_at')}, {c('duration', BIGINT)})",
        "talk_s": seconds("l.call_answered_at", "l.call_ended_at"),
        "caller_number": c("caller_number"), "caller_name": c("caller_name"),
        "callee_number": c("callee_number"), "callee_name": c("callee_name"),
        "site_id": c("site_id"), "site_name": c("site_name"), "department": "NULL",
        "queue_id": queue_id, "queue_name": queue_name,
        "outcome": "COALESCE(m.outcome, 'other')", "result_raw": c("result"),
        "charge": "l.call_charge", "recorded": "COALESCE(lr.recorded, FALSE)", "source_account": c("source_account"),
    }
    return (f"SELECT\n    {_select(values, CALL_BRANCH_COLUMNS)}\nFROM ({_logs_ranked(cat)}) l\n"
            + "\n".join(joins) + f"\nWHERE {where}")


def _calls_cc(cat: Catalog) -> str:
    c = lambda n, t=None: cat.col("zoom_contact_center", "voice_calls", "v", n, t)  # noqa: E731
    joins = [_outcome_join(cat, "m", "zoom_contact_center", c("result"))]
    queue_id = queue_name = "NULL"
    if cat.has("zoom_contact_center", "voice_call_queues"):
        qc = lambda n, t=None: cat.col("zoom_contact_center", "voice_call_queues", "x", n, t)  # noqa: E731
        joins.append(_first_queue_join(
            c("engagement_id", TEXT), f"{cat.table('zoom_contact_center', 'voice_call_queues')} x",
            key=qc("engagement_id", TEXT), order=qc("position", BIGINT),
            queue_id=f"COALESCE({qc('cc_queue_id', TEXT)}, {qc('queue_id', TEXT)})", queue_name=qc("queue_name", TEXT),
            where=f"COALESCE({qc('position', BIGINT)}, 0) >= 0",
            account=cat.acct("zoom_contact_center", "voice_call_queues", "x"),
            on_account=cat.acct("zoom_contact_center", "voice_calls", "v")))
        queue_id, queue_name = "cq.queue_id", "cq.queue_name"
    talk = "NULL"
    if cat.has("zoom_contact_center", "engagements"):
        # the engagement dataset's time connected to agents: conversation + hold (ms)
        en = lambda n, t=None: cat.col("zoom_contact_center", "engagements", "en", n, t)  # noqa: E731
        joins.append(f"LEFT JOIN {cat.table('zoom_contact_center', 'engagements')} en "
                     f"ON {en('engagement_id', TEXT)} = {c('engagement_id', TEXT)} "
                     f"AND {cat.acct('zoom_contact_center', 'engagements', 'en')} = "
                     f"{cat.acct('zoom_contact_center', 'voice_calls', 'v')}")
        talk = (f"CASE WHEN {en('engagement_id')} IS NOT NULL THEN CAST((COALESCE({en('conversation_duration_ms', DOUBLE)}, 0) "
                f"+ COALESCE({en('hold_duration_ms', DOUBLE)}, 0)) / 1000 AS BIGINT) END")
    direction = f"LOWER(TRIM({c('direction', TEXT)}))"
    values = {
        "provider": "'zoom_contact_center'", "source_table": "'voice_calls'",
        "source_key": c("engagement_id"), "call_id": c("engagement_id"), "direction": direction,
        "started_at": c("start_time"), "answered_at": "NULL", "ended_at": c("end_time"),
        "duration_s": f"COALESCE({seconds(c('start_time', TSZ), c('end_time', TSZ))}, {c('total_duration', BIGINT)})",
        "talk_s": talk,
        "caller_number": c("caller_number"),
        "caller_name": f"CASE WHEN {direction} = 'inbound' THEN {c('consumer_display_name', TEXT)} END",
        "callee_number": c("callee_number"),
        "callee_name": f"CASE WHEN {direction} = 'outbound' THEN {c('consumer_display_name', TEXT)} END",
        "site_id": "NULL", "site_name": "NULL", "department": "NULL",
        "queue_id": queue_id, "queue_name": queue_name,
        "outcome": "COALESCE(m.outcome, 'other')", "result_raw": c("result"),
        "charge": c("charge"), "recorded": c("recorded"), "source_account": c("source_account"),
    }
    return (f"SELECT\n    {_select(values, CALL_BRANCH_COLUMNS)}\nFROM {cat.table('zoom_contact_center', 'voice_calls')} v\n"
            + "\n".join(joins))


def zoho_result_key(call_type: str, hangup_cause: str) -> str:
    """The Zoho value looked up in the outcome map: 'missed' for missed calls, else the hangup cause."""
    return (f"CASE WHEN {norm(call_type)} = 'missed' THEN 'missed' "
            f"ELSE COALESCE(NULLIF(TRIM(CAST({hangup_cause} AS TEXT)), ''), {call_type}) END")


def _calls_zoho(cat: Catalog) -> str:
    c = lambda n, t=None: cat.col("zoho_voice", "call_logs", "z", n, t)  # noqa: E731
    key = zoho_result_key(c("call_type", TEXT), c("hangup_cause", TEXT))
    call_type = norm(c("call_type", TEXT))
    status = norm(c("call_recording_transcription_status", TEXT))
    values = {
        "provider": "'zoho_voice'", "source_table": "'call_logs'", "source_key": c("logid"), "call_id": c("logid"),
        "direction": (f"CASE WHEN {call_type} = 'outgoing' THEN 'outbound' "
                      f"WHEN {call_type} IN ('incoming', 'missed', 'bridged', 'forward') THEN 'inbound' END"),
        "started_at": c("start_time"), "answered_at": c("answer_time"), "ended_at": c("end_time"),
        "duration_s": f"COALESCE({seconds(c('start_time', TSZ), c('end_time', TSZ))}, {c('duration_s', BIGINT)})",
        "talk_s": (f"CASE WHEN {c('answer_time')} IS NOT NULL THEN "
                   f"COALESCE({seconds(c('answer_time', TSZ), c('end_time', TSZ))}, {c('duration_s', BIGINT)}) END"),
        "caller_number": c("caller_id_number"), "caller_name": c("caller_id_name"),
        "callee_number": c("destination_number"), "callee_name": c("destination_name"),
        "site_id": "NULL", "site_name": "NULL", "department": c("department"),
        "queue_id": "NULL", "queue_name": "NULL",
        "outcome": "COALESCE(m.outcome, 'other')", "result_raw": key,
        "charge": "NULL",
        "recorded": f"CASE WHEN {status} IS NOT NULL AND {status} <> 'not_initiated' THEN TRUE END",
        "source_account": c("source_account"),
    }
    return (f"SELECT\n    {_select(values, CALL_BRANCH_COLUMNS)}\nFROM {cat.table('zoho_voice', 'call_logs')} z\n"
            + _outcome_join(cat, "m", "zoho_voice", key))


def calls_sql(cat: Catalog) -> str:
    branches = []
    if cat.has("zoom_phone", "call_history"):
        branches.append(_calls_zoom_history(cat))
    if cat.has("zoom_phone", "call_logs"):
        branches.append(_calls_zoom_logs(cat))
    if cat.has("zoom_contact_center", "voice_calls"):
        branches.append(_calls_cc(cat))
    if cat.has("zoho_voice", "call_logs"):
        branches.append(_calls_zoho(cat))
    if not branches:
        return _empty(CALL_COLUMNS)
    return _checked_calls("\nUNION ALL\n".join(branches))


def _checked_calls(branches: str) -> str:
    """The calls of every branch with impossible durations nulled and `quality_flags` saying why.

    Vendor records can contradict themselves (Zoom's documented call-log sample ends 690 s before
    it starts): the raw tables keep what was sent, the view keeps the timestamps as sent but puts
    no negative or impossible duration into `duration_s` / `talk_s` (so none reaches a sum).
    """
    end_before_start = "c.ended_at < c.started_at"
    end_before_answer = "c.ended_at < c.answered_at"
    answer_before_start = "c.answered_at < c.started_at"
    values = {name: f"c.{q(name)}" for name, _ in CALL_BRANCH_COLUMNS}
    values["duration_s"] = nonneg("c.duration_s")
    # answered before it started: the talk time would be longer than the call
    values["talk_s"] = f"CASE WHEN c.talk_s >= 0 AND {unless(answer_before_start)} THEN c.talk_s END"
    values["quality_flags"] = flags(
        ("end_before_start", end_before_start),
        ("answer_before_start", answer_before_start),
        ("end_before_answer", end_before_answer),
        ("negative_duration", f"c.duration_s < 0 AND {unless(end_before_start)}"),
        ("negative_talk", f"c.talk_s < 0 AND {unless(end_before_answer)}"),
    )
    return f"SELECT\n    {_select(values, CALL_COLUMNS)}\nFROM (\n{branches}\n) c"


# ---------------------------------------------------------------------------- call_legs


def _legs_zoom_elements(cat: Catalog, elements: str) -> str:
    e = lambda n, t=None: cat.col("zoom_phone", "call_elements", "e", n, t)  # noqa: E731
    voicemail = f"({norm(e('event', TEXT))} = 'voicemail' OR {e('voicemail_id')} IS NOT NULL)"
    values = {
        "provider": "'zoom_phone'", "call_id": "e.call_key", "leg_order": "e.leg_order",
        "source_table": "'call_elements'", "leg_key": e("call_element_id"),
        "target_type": _zoom_target_type(e("callee_ext_type", TEXT), voicemail),
        "target_id": e("callee_ext_id"), "target_name": e("callee_name"),
        "target_number": f"COALESCE({e('callee_ext_number', TEXT)}, {e('callee_did_number', TEXT)})",
        "started_at": e("start_time"), "answered_at": e("answer_time"), "ended_at": e("end_time"),
        "outcome": "COALESCE(m.outcome, 'other')", "result_raw": e("result"), "result_reason": e("result_reason"),
        "ring_s": seconds(e("start_time", TSZ), f"COALESCE({e('answer_time', TSZ)}, {e('end_time', TSZ)})"),
        "wait_s": e("waiting_time"), "hold_s": e("hold_time"),
        # elements carry no duration or talk time (published definition): the time connected, from
        # the answer to the end of the leg, less the time on hold
        "talk_s": (f"CASE WHEN {e('answer_time')} IS NOT NULL THEN "
                   f"{seconds(e('answer_time', TSZ), e('end_time', TSZ))} - COALESCE({e('hold_time', BIGINT)}, 0) END"),
        "source_account": e("source_account"),
    }
    return (f"SELECT\n    {_select(values, LEG_BRANCH_COLUMNS)}\nFROM ({elements}) e\n"
            + _outcome_join(cat, "m", "zoom_phone", e("result")))


def _legs_zoom_legacy(cat: Catalog, legacy: str) -> str:
    g = lambda n, t=None: cat.col("zoom_phone", "call_log_legs", "g", n, t)  # noqa: E731
    voicemail = f"({norm(g('path', TEXT))} = 'voicemail')"
    values = {
        "provider": "'zoom_phone'", "call_id": "g.call_key", "leg_order": "g.leg_order",
        "source_table": "'call_log_legs'", "leg_key": g("id"),
        "target_type": _zoom_target_type(g("forward_to_type", TEXT), voicemail),
        "target_id": g("forward_to_id"), "target_name": g("forward_to_name"),
        "target_number": f"COALESCE({g('forward_to_extension_number', TEXT)}, {g('callee_number', TEXT)})",
        "started_at": g("date_time"), "answered_at": g("answer_start_time"), "ended_at": "NULL",
        "outcome": "COALESCE(m.outcome, 'other')", "result_raw": g("result"), "result_reason": "NULL",
        "ring_s": seconds(g("date_time", TSZ), g("answer_start_time", TSZ)),
        "wait_s": "NULL", "hold_s": g("hold_time"), "talk_s": g("duration"),
        "source_account": g("source_account"),
    }
    return (f"SELECT\n    {_select(values, LEG_BRANCH_COLUMNS)}\nFROM ({legacy}) g\n"
            + _outcome_join(cat, "m", "zoom_phone", g("result")))


# Contact Center: flows, then queues, then agents, each in API order (`position`); the queue id is
# cc_queue_id (queue_id in tables loaded before Zoom renamed it)
CC_LEG_TABLES = (
    ("voice_call_flows", "flow", ("flow_id",), "flow_name", 1),
    ("voice_call_queues", "call_queue", ("cc_queue_id", "queue_id"), "queue_name", 2),
    ("voice_call_agents", "agent", ("user_id",), "display_name", 3),
)


def _legs_cc(cat: Catalog) -> str | None:
    parts = []
    for table, kind, id_cols, name_col, group in CC_LEG_TABLES:
        if not cat.has("zoom_contact_center", table):
            continue
        x = lambda n, t=None, _t=table: cat.col("zoom_contact_center", _t, "x", n, t)  # noqa: E731
        target_id = f"COALESCE({', '.join(x(c, TEXT) for c in id_cols)}, NULL)"
        acct = cat.acct("zoom_contact_center", table, "x")
        parts.append(
            f"SELECT {x('engagement_id', TEXT)} AS engagement_id, {group} AS grp, {x('position', BIGINT)} AS pos, "
            f"'{kind}' AS target_type, {target_id} AS target_id, {x(name_col, TEXT)} AS target_name, "
            f"{x('source_account', TEXT)} AS source_account, {acct} AS acct, "
            f"COUNT(*) OVER (PARTITION BY {acct}, {x('engagement_id', TEXT)}) AS n_in_group, "
            f"ROW_NUMBER() OVER (PARTITION BY {acct}, {x('engagement_id', TEXT)} "
            f"ORDER BY {x('position', BIGINT)}) AS k "
            f"FROM {cat.table('zoom_contact_center', table)} x WHERE COALESCE({x('position', BIGINT)}, 0) >= 0"
        )
    if not parts:
        return None
    steps = "\nUNION ALL\n".join(parts)
    has_calls = cat.has("zoom_contact_center", "voice_calls")
    v = lambda n, t=None: cat.col("zoom_contact_center", "voice_calls", "v", n, t)  # noqa: E731
    result = v("result", TEXT) if has_calls else "CAST(NULL AS TEXT)"
    call_outcome = "COALESCE(m.outcome, 'other')"
    # the API gives one result per engagement: queue and agent steps carry it; flows and
    # a queue the call overflowed from passed the call on
    outcome = (f"CASE WHEN s.target_type = 'flow' THEN 'forwarded' "
               f"WHEN s.target_type = 'call_queue' AND s.k < s.n_in_group THEN 'forwarded' "
               f"ELSE {call_outcome} END")
    values = {
        "provider": "'zoom_contact_center'", "call_id": "s.engagement_id",
        "leg_order": "ROW_NUMBER() OVER (PARTITION BY s.acct, s.engagement_id ORDER BY s.grp, s.pos)",
        "source_table": "'voice_call_' || CASE s.grp WHEN 1 THEN 'flows' WHEN 2 THEN 'queues' ELSE 'agents' END",
        "leg_key": "s.engagement_id || ':' || s.target_type || ':' || CAST(s.pos AS TEXT)",
        "target_type": "s.target_type", "target_id": "s.target_id", "target_name": "s.target_name",
        "outcome": outcome,
        "result_raw": f"CASE WHEN s.target_type = 'flow' THEN NULL ELSE {result} END",
        "source_account": "s.source_account",
    }
    if has_calls:
        join = (f"LEFT JOIN {cat.table('zoom_contact_center', 'voice_calls')} v "
                f"ON {v('engagement_id', TEXT)} = s.engagement_id "
                f"AND {cat.acct('zoom_contact_center', 'voice_calls', 'v')} = s.acct\n"
                + _outcome_join(cat, "m", "zoom_contact_center", v("result")))
    else:
        join = f"LEFT JOIN {cat.map_table()} m ON 1 = 0"
    return f"SELECT\n    {_select(values, LEG_BRANCH_COLUMNS)}\nFROM ({steps}) s\n{join}"


def call_legs_sql(cat: Catalog) -> str:
    branches = []
    elements = _elements_of_kept_history(cat)
    if elements is not None:
        branches.append(_legs_zoom_elements(cat, elements))
    legacy = _legacy_legs_used(cat, elements)
    if legacy is not None:
        branches.append(_legs_zoom_legacy(cat, legacy))
    cc = _legs_cc(cat)
    if cc is not None:
        branches.append(cc)
    if not branches:
        return _empty(LEG_COLUMNS)
    return _checked_legs("\nUNION ALL\n".join(branches))


def _checked_legs(branches: str) -> str:
    """The legs of every branch: a Zoom routing step that passed the call on is `forwarded`, and
    impossible times are nulled with `quality_flags` saying why (as in `calls`)."""
    end_before_start = "l.ended_at < l.started_at"
    end_before_answer = "l.ended_at < l.answered_at"
    values = {name: f"l.{q(name)}" for name, _ in LEG_BRANCH_COLUMNS}
    routing = ", ".join(lit(t) for t in ROUTING_TARGETS)
    values["outcome"] = (f"CASE WHEN l.provider = 'zoom_phone' AND l.target_type IN ({routing}) "
                         "AND l.outcome = 'answered' "
                         "AND l.leg_order < MAX(l.leg_order) OVER (PARTITION BY l.provider, l.source_account, l.call_id) "
                         "THEN 'forwarded' ELSE l.outcome END")
    for name in ("ring_s", "wait_s", "hold_s", "talk_s"):
        values[name] = nonneg(f"l.{name}")
    values["quality_flags"] = flags(
        ("end_before_start", end_before_start),
        ("answer_before_start", "l.answered_at < l.started_at"),
        ("end_before_answer", end_before_answer),
        ("negative_talk", f"l.talk_s < 0 AND {unless(end_before_answer)}"),
        ("negative_hold", "l.hold_s < 0"),
        ("negative_wait", "l.wait_s < 0"),
    )
    return f"SELECT\n    {_select(values, LEG_COLUMNS)}\nFROM (\n{branches}\n) l"


# ---------------------------------------------------------------------------- calls_daily


def calls_daily_sql(cat: Catalog) -> str:
    calls = f"{q(cat.analytics)}.{q('calls')}"
    day = "CAST(date_trunc('day', c.started_at AT TIME ZONE 'UTC') AS DATE)"
    return (
        f"SELECT {day} AS day, c.provider, c.direction, c.outcome,\n"
        "    CAST(COUNT(*) AS BIGINT) AS calls,\n"
        "    CAST(SUM(CASE WHEN c.outcome = 'answered' THEN 1 ELSE 0 END) AS BIGINT) AS answered,\n"
        "    CAST(SUM(CASE WHEN c.outcome = 'missed' THEN 1 ELSE 0 END) AS BIGINT) AS missed,\n"
        f"    CAST(SUM(c.duration_s) AS BIGINT) AS total_duration_s,\n"
        f"    CAST(AVG(c.duration_s) AS {DOUBLE}) AS avg_duration_s,\n"
        f"    CAST(SUM(c.talk_s) AS BIGINT) AS total_talk_s,\n"
        "    CAST(SUM(CASE WHEN c.quality_flags IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS quality_flagged,\n"
        "    c.source_account\n"
        f"FROM {calls} c\nGROUP BY {day}, c.provider, c.direction, c.outcome, c.source_account"
    )


# ---------------------------------------------------------------------------- Contact Center engagements


def _day(ts: str) -> str:
    return f"CAST(date_trunc('day', {ts} AT TIME ZONE 'UTC') AS DATE)"


def _engagement_facts(cat: Catalog) -> str:
    """One row per engagement of the dataset with the derived measures (seconds) the cc views use:
    handled = an agent was connected (conversation or hold time), wait = duration - conversation -
    hold (NULL if negative), abandoned = abandoned_count > 0."""
    e = lambda n, t=DOUBLE: cat.col("zoom_contact_center", "engagements", "e", n, t)  # noqa: E731
    conv, hold = f"COALESCE({e('conversation_duration_ms')}, 0)", f"COALESCE({e('hold_duration_ms')}, 0)"
    wait = f"({e('duration_ms')} - {conv} - {hold}) / 1000"
    return (f"SELECT {e('engagement_id', TEXT)} AS engagement_id, {e('source_account', TEXT)} AS source_account, "
            f"{cat.acct('zoom_contact_center', 'engagements', 'e')} AS acct, "
            f"{_day(e('start_time', TSZ))} AS day, "
            f"LOWER(TRIM({e('direction', TEXT)})) AS direction, "
            f"({conv} + {hold} > 0) AS handled, (COALESCE({e('abandoned_count', BIGINT)}, 0) > 0) AS abandoned, "
            f"{nonneg(wait)} AS wait_s, {e('handle_duration_ms')} / 1000 AS handle_s, "
            f"{e('conversation_duration_ms')} / 1000 AS talk_s, {e('hold_duration_ms')} / 1000 AS hold_s, "
            f"{e('wrap_up_duration_ms')} / 1000 AS wrap_up_s, "
            f"COALESCE({e('transfer_initiated_count', BIGINT)}, 0) AS transfers_initiated, "
            f"COALESCE({e('transfer_completed_count', BIGINT)}, 0) AS transfers_completed "
            f"FROM {cat.table('zoom_contact_center', 'engagements')} e")


def _children(cat: Catalog, table: str, id_col: str, name_col: str) -> str:
    """Stored rows of an engagement child table with the engagement's last position (`last_pos`)."""
    x = lambda n, t=None: cat.col("zoom_contact_center", table, "x", n, t)  # noqa: E731
    acct = cat.acct("zoom_contact_center", table, "x")
    return (f"SELECT {x('engagement_id', TEXT)} AS engagement_id, {acct} AS acct, {x('position', BIGINT)} AS pos, "
            f"{x(id_col, TEXT)} AS id, {x(name_col, TEXT)} AS name, "
            f"MAX({x('position', BIGINT)}) OVER (PARTITION BY {acct}, {x('engagement_id', TEXT)}) AS last_pos "
            f"FROM {cat.table('zoom_contact_center', table)} x WHERE COALESCE({x('position', BIGINT)}, 0) >= 0")


def service_level_seconds() -> int:
    """`[analytics] service_level_seconds` (env ANALYTICS__SERVICE_LEVEL_SECONDS), default 20."""
    return int(setting(SERVICE_LEVEL_KEY, DEFAULT_SERVICE_LEVEL_SECONDS, minimum=0))


def cc_queue_daily_sql(cat: Catalog, sl_seconds: int = DEFAULT_SERVICE_LEVEL_SECONDS) -> str:
    """Inbound engagements per UTC day and the queue that finished them (the last of `queues[]`)."""
    if not (cat.has("zoom_contact_center", "engagements") and cat.has("zoom_contact_center", "engagement_queues")):
        return _empty(QUEUE_DAILY_COLUMNS)
    sl = int(sl_seconds)
    within = f"SUM(CASE WHEN f.handled AND f.wait_s <= {sl} THEN 1 ELSE 0 END)"
    values = {
        "day": "f.day", "queue_id": "q.id", "queue_name": "MAX(q.name)", "offered": "COUNT(*)",
        "handled": "SUM(CASE WHEN f.handled THEN 1 ELSE 0 END)",
        "abandoned": "SUM(CASE WHEN f.abandoned THEN 1 ELSE 0 END)",
        "abandon_rate": f"CAST(SUM(CASE WHEN f.abandoned THEN 1 ELSE 0 END) AS {DOUBLE}) / COUNT(*)",
        "avg_wait_s": "AVG(f.wait_s)",
        "p90_wait_s": "percentile_cont(0.9) WITHIN GROUP (ORDER BY f.wait_s)",
        "avg_handle_s": "AVG(CASE WHEN f.handled THEN f.handle_s END)",
        "avg_hold_s": "AVG(CASE WHEN f.handled THEN f.hold_s END)",
        "avg_wrap_up_s": "AVG(CASE WHEN f.handled THEN f.wrap_up_s END)",
        "transfers": "SUM(f.transfers_initiated)",
        "answered_within_sl": within,
        "service_level": f"CAST({within} AS {DOUBLE}) / COUNT(*)",
        "service_level_seconds": str(sl), "source_account": "f.source_account",
    }
    queues = _children(cat, "engagement_queues", "queue_id", "queue_name")
    return (f"SELECT\n    {_select(values, QUEUE_DAILY_COLUMNS)}\nFROM ({_engagement_facts(cat)}) f\n"
            f"JOIN ({queues}) q ON q.engagement_id = f.engagement_id AND q.acct = f.acct "
            "AND q.pos = q.last_pos\n"
            "WHERE f.direction = 'inbound'\nGROUP BY f.day, f.source_account, q.id")


def cc_agent_daily_sql(cat: Catalog) -> str:
    """Handled engagements per UTC day and agent (each agent of `users[]`)."""
    if not (cat.has("zoom_contact_center", "engagements") and cat.has("zoom_contact_center", "engagement_users")):
        return _empty(AGENT_DAILY_COLUMNS)
    # an engagement's transfers are credited to the agents who passed it on (all but the last of
    # users[]); with a single agent, to that agent
    passed_on = "(u.pos < u.last_pos OR u.last_pos = 0)"
    values = {
        "day": "f.day", "user_id": "u.id", "user_name": "MAX(u.name)", "handled": "COUNT(*)",
        "total_talk_s": "SUM(f.talk_s)", "total_hold_s": "SUM(f.hold_s)", "total_wrap_up_s": "SUM(f.wrap_up_s)",
        "total_handle_s": "SUM(f.handle_s)", "avg_handle_s": "AVG(f.handle_s)",
        "transfers_initiated": f"SUM(CASE WHEN {passed_on} THEN f.transfers_initiated ELSE 0 END)",
        "transfers_completed": f"SUM(CASE WHEN {passed_on} THEN f.transfers_completed ELSE 0 END)",
        "source_account": "f.source_account",
    }
    users = _children(cat, "engagement_users", "user_id", "user_name")
    return (f"SELECT\n    {_select(values, AGENT_DAILY_COLUMNS)}\nFROM ({_engagement_facts(cat)}) f\n"
            f"JOIN ({users}) u ON u.engagement_id = f.engagement_id AND u.acct = f.acct\n"
            "WHERE f.handled\nGROUP BY f.day, f.source_account, u.id")


# ---------------------------------------------------------------------------- refresh


def _dialect(pipeline) -> str:
    kind = str(pipeline.destination.destination_type).lower()
    for name in ("duckdb", "postgres"):
        if kind.endswith(name):
            return name
    raise ValueError(f"analytics views support DuckDB and Postgres, not {kind}")


def _catalog(warehouse, client, dialect: str) -> Catalog:
    datasets = {s: warehouse.pipeline(s).dataset_name for s in SOURCES}
    cat = Catalog(datasets=datasets, analytics=warehouse.analytics_dataset, dialect=dialect)
    by_schema = {}
    for source, dataset in datasets.items():
        by_schema.setdefault(dataset, []).append(source)
    schemas = ", ".join(lit(d) for d in by_schema)
    rows = client.execute_sql(
        "SELECT c.table_schema, c.table_name, c.column_name FROM information_schema.columns c "
        "JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
        f"WHERE c.table_schema IN ({schemas}) AND t.table_type = 'BASE TABLE'"
    ) or []
    for schema, table, column in rows:
        for source in by_schema.get(schema, ()):
            cat.columns.setdefault((source, table), set()).add(column)
    return cat


def _map_statements(cat: Catalog) -> list[str]:
    table = cat.map_table()
    values = ",\n".join(f"({lit(p)}, {lit(r)}, {lit(o)})" for p, r, o in map_rows())
    return [
        f"CREATE TABLE IF NOT EXISTS {table} (provider TEXT NOT NULL, raw_value TEXT NOT NULL, "
        "outcome TEXT NOT NULL, PRIMARY KEY (provider, raw_value))",
        f"DELETE FROM {table}",
        f"INSERT INTO {table} (provider, raw_value, outcome) VALUES\n{values}",
    ]


def view_statements(cat: Catalog, sl_seconds: int = DEFAULT_SERVICE_LEVEL_SECONDS) -> dict[str, str]:
    """{view name: SELECT} in creation order."""
    return {"calls": calls_sql(cat), "call_legs": call_legs_sql(cat), "calls_daily": calls_daily_sql(cat),
            "cc_queue_daily": cc_queue_daily_sql(cat, sl_seconds), "cc_agent_daily": cc_agent_daily_sql(cat)}


def _create_view(client, cat: Catalog, name: str, select: str) -> None:
    view = f"{q(cat.analytics)}.{q(name)}"
    if cat.dialect == "duckdb":
        client.execute_sql(f"CREATE OR REPLACE VIEW {view} AS\n{select}")
        return
    # Postgres replaces a view in place only when its columns keep their names and types
    # (analysts' views built on it survive); otherwise drop it (CASCADE: views built on it)
    # and create it again. dlt's client resets the connection on an error, which would
    # lose the transaction, so the attempt runs on the native cursor inside a savepoint.
    import psycopg2

    with client.native_connection.cursor() as cur:
        cur.execute("SAVEPOINT callpipe_view")
        try:
            cur.execute(f"CREATE OR REPLACE VIEW {view} AS\n{select}")
        except psycopg2.Error as exc:
            cur.execute("ROLLBACK TO SAVEPOINT callpipe_view")
            log.info("analytics: recreating view %s (%s)", view, str(exc).strip().splitlines()[0])
            cur.execute(f"DROP VIEW IF EXISTS {view} CASCADE")
            cur.execute(f"CREATE VIEW {view} AS\n{select}")
        else:
            cur.execute("RELEASE SAVEPOINT callpipe_view")


def refresh_views(warehouse) -> list[str]:
    """(Re)create the analytics views in `warehouse`; returns the names of the views made."""
    sl_seconds = service_level_seconds()
    first = warehouse.pipeline(SOURCES[0])
    dialect = _dialect(first)
    with first.sql_client() as client:
        cat = _catalog(warehouse, client, dialect)
        with client.begin_transaction():
            if dialect == "postgres":
                # one refresh at a time (two runs may finish together)
                client.execute_sql("SELECT pg_advisory_xact_lock(hashtext('callpipe.analytics.refresh_views'))")
            client.execute_sql(f"CREATE SCHEMA IF NOT EXISTS {q(cat.analytics)}")
            for stmt in _map_statements(cat):
                client.execute_sql(stmt)
            for name, select in view_statements(cat, sl_seconds).items():
                _create_view(client, cat, name, select)
    return list(VIEWS)
