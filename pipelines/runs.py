"""The run record: one row per source run in `<runs_dataset>.runs` (default `callpipe.runs`).

It lives in the warehouse, next to dlt's own state, so `callpipe status` works on a fresh
machine. A row is written when a run starts (`running`) and updated when it ends (`ok`,
`failed`, `quota`, `partial`: stopped at its time box); a run killed before its end is marked
`interrupted` by the next run of the same source (which finds the dead holder in the run lock file).

Row figures per table (`table_counts`), what a user asks of a run: `new` rows (the table grew by
that many), `updated` rows (rows that were there and this run wrote again), `unchanged` rows
(re-read from the API and skipped by the change filter: only the list tables a nightly run
re-reads have it) and the table's `total` after the run. `rows_loaded` / `rows_json` keep the
rows handed to the loader (a row sent twice counts twice; child-table placeholders too).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from pipelines.warehouse import Warehouse, quote_ident, sql_text
from sources.common.changes import UNCHANGED_METRIC

log = logging.getLogger(__name__)

TABLE = "runs"
COLUMNS = """
    run_id VARCHAR PRIMARY KEY,
    pipeline_name VARCHAR,
    source VARCHAR,
    dataset VARCHAR,
    command VARCHAR,
    resources VARCHAR,
    range_start TIMESTAMPTZ,
    range_end TIMESTAMPTZ,
    started_at TIMESTAMPTZ,
    finished_at TIMESTAMPTZ,
    outcome VARCHAR,
    exit_code INTEGER,
    seconds DOUBLE PRECISION,
    rows_loaded BIGINT,
    rows_json VARCHAR,
    requests BIGINT,
    requests_json VARCHAR,
    load_ids VARCHAR,
    error VARCHAR,
    retry_at TIMESTAMPTZ,
    host VARCHAR,
    pid INTEGER,
    rows_new BIGINT,
    rows_updated BIGINT,
    rows_unchanged BIGINT,
    tables_json VARCHAR,
    account VARCHAR
"""
# columns added since the first release: a runs table made before gets them (ensure_table)
ADDED_COLUMNS = {"rows_new": "BIGINT", "rows_updated": "BIGINT", "rows_unchanged": "BIGINT",
                 "tables_json": "VARCHAR", "account": "VARCHAR"}


def _table(wh: Warehouse) -> str:
    return wh.qualified(wh.runs_dataset, TABLE)


def ensure_table(wh: Warehouse) -> None:
    """Create the runs table, or add the columns a table made by an older version lacks."""
    wh.execute([
        f"CREATE SCHEMA IF NOT EXISTS {quote_ident(wh.runs_dataset)}",
        f"CREATE TABLE IF NOT EXISTS {_table(wh)} ({COLUMNS})",
    ])
    have = set(wh.columns(wh.runs_dataset, TABLE))
    missing = [f"ALTER TABLE {_table(wh)} ADD COLUMN {name} {kind}"
               for name, kind in ADDED_COLUMNS.items() if name not in have]
    if missing:
        wh.execute(missing)


def record_start(wh: Warehouse, run: dict[str, Any]) -> None:
    ensure_table(wh)
    cols = ["run_id", "pipeline_name", "source", "account", "dataset", "command", "resources", "range_start",
            "range_end", "started_at", "outcome", "host", "pid"]
    values = [run.get(c) for c in cols]
    wh.execute(
        f"INSERT INTO {_table(wh)} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})", values
    )


def record_end(wh: Warehouse, run_id: str, **fields: Any) -> None:
    fields = {k: (json.dumps(v, sort_keys=True) if isinstance(v, (dict, list)) else v) for k, v in fields.items()}
    fields.setdefault("finished_at", dt.datetime.now(dt.UTC))
    sets = ", ".join(f"{k} = ?" for k in fields)
    wh.execute(f"UPDATE {_table(wh)} SET {sets} WHERE run_id = ?", [*fields.values(), run_id])


def mark_interrupted(wh: Warehouse, run_id: str) -> None:
    ensure_table(wh)
    wh.execute(
        f"UPDATE {_table(wh)} SET outcome = 'interrupted', error = ? WHERE run_id = ? AND outcome = 'running'",
        ["the process ended before the run finished (killed or crashed)", run_id],
    )


def recent(wh: Warehouse, source: str, dataset: str, limit: int = 20, account: str | None = None) -> list[dict[str, Any]]:
    """The runs of `source`'s `account` (None: default; by pipeline name, so the rows written
    before accounts existed are the default account's), newest first; [] when none was recorded."""
    if TABLE not in wh.tables(wh.runs_dataset):
        return []
    name = wh.pipeline_name(source, account)
    match, params = "pipeline_name = ?", [name]
    if name == wh.pipeline_name(source):  # a record without a pipeline name is the default account's
        match, params = "(pipeline_name = ? OR (pipeline_name IS NULL AND source = ?))", [name, source]
    return wh.query_dicts(
        f"SELECT * FROM {_table(wh)} WHERE {match} AND dataset = ? ORDER BY started_at DESC LIMIT {int(limit)}",
        [*params, dataset],
    )


# ---------------------------------------------------------------------------- row figures


def table_totals(wh: Warehouse, dataset: str, account: str | None = None) -> dict[str, int]:
    """{table: rows} now (of one account's rows: its `source_account`, when given): taken before
    a run loads, to tell new rows from rewritten ones."""
    return wh.row_counts(dataset, account=account)


def unchanged_rows(extract_info: Any, source: Any) -> dict[str, int]:
    """{table: rows re-read and skipped as unchanged} from the change filters' dlt custom metrics."""
    out: dict[str, int] = {}
    for step_metrics in (getattr(extract_info, "metrics", None) or {}).values():
        for metrics in step_metrics:
            for resource, values in (metrics.get("resource_metrics") or {}).items():
                count = (values.custom_metrics or {}).get(UNCHANGED_METRIC)
                if count is None:
                    continue
                table = getattr(source.resources.get(resource), "table_name", resource)
                table = table if isinstance(table, str) else resource
                out[table] = out.get(table, 0) + int(count)
    return out


def table_counts(wh: Warehouse, dataset: str, before: dict[str, int], load_ids: list[str],
                 unchanged: dict[str, int], account: str | None = None) -> dict[str, dict[str, int | None]]:
    """{table: {new, updated, unchanged, total}} after a run whose loads are `load_ids`.

    `total` is count(*); `new` = total - the count before the run; `updated` = the rows carrying
    one of the run's load ids that are not new; `unchanged` = None where nothing is re-read.
    A call whose legs the vendor dropped loses child rows: such a run shows fewer new rows.
    With `account` (its `source_account`), only that account's rows are counted.
    """
    tables = [t for t in wh.tables(dataset) if not t.startswith("_dlt")]
    if not tables:
        return {}
    ids = ", ".join("'" + str(i).replace("'", "''") + "'" for i in load_ids)
    written = f"count(*) FILTER (WHERE _dlt_load_id IN ({ids}))" if ids else "0"
    keyed = wh.tables_with_column(dataset, "source_account") if account is not None else set()
    where = f" WHERE source_account = {sql_text(account)}" if account is not None else ""
    union = " UNION ALL ".join(
        f"SELECT '{t}', count(*), {written} FROM {wh.qualified(dataset, t)}{where if t in keyed else ''}"
        for t in tables)
    out: dict[str, dict[str, int | None]] = {}
    for table, total, touched in wh.query(union):
        new = max(0, int(total) - before.get(table, 0))
        out[table] = {"new": new, "updated": max(0, int(touched) - new),
                      "unchanged": unchanged.get(table), "total": int(total)}
    return out


def sums(tables: dict[str, dict[str, int | None]]) -> dict[str, int]:
    """{new, updated, unchanged} over the tables."""
    return {k: sum(c.get(k) or 0 for c in tables.values()) for k in ("new", "updated", "unchanged")}


def describe_sums(tables: dict[str, dict[str, int | None]]) -> str:
    """'426 new, 3 updated, 12 unchanged'"""
    total = sums(tables)
    return f"{total['new']} new, {total['updated']} updated, {total['unchanged']} unchanged"


def describe_tables(tables: dict[str, dict[str, int | None]], indent: str = "  ") -> list[str]:
    """One aligned line per table: new, updated, unchanged (blank where not re-read), total."""
    if not tables:
        return []
    width = max(len(t) for t in tables)
    lines = []
    for table, c in sorted(tables.items()):
        unchanged = f"{c['unchanged']:>7} unchanged" if c.get("unchanged") is not None else " " * 17
        lines.append(f"{indent}{table:<{width}} {c['new']:>7} new {c['updated']:>7} updated {unchanged}"
                     f"  total {c['total']}")
    return lines


def describe_tables_short(tables: dict[str, dict[str, int | None]]) -> str:
    """'call_history 3 new, 12 unchanged | users 5 updated' (tables with nothing to say left out)."""
    parts = []
    for table, c in sorted(tables.items()):
        said = [f"{c[k]} {k}" for k in ("new", "updated", "unchanged") if c.get(k)]
        if said:
            parts.append(f"{table} {', '.join(said)}")
    return " | ".join(parts) or "nothing new, updated or re-read"
