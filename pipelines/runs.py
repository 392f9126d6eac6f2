"""The run record: one row per source run in `<runs_dataset>.runs` (default `callpipe.runs`).

It lives in the warehouse, next to dlt's own state, so `callpipe status` works on a fresh
machine. A row is written when a run starts (`running`) and updated when it ends (`ok`,
`failed`, `quota`); a run killed before its end is marked `interrupted` by the next run of
the same source (which finds the dead holder in the run lock file).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from pipelines.warehouse import Warehouse, quote_ident

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
    pid INTEGER
"""


def _table(wh: Warehouse) -> str:
    return wh.qualified(wh.runs_dataset, TABLE)


def ensure_table(wh: Warehouse) -> None:
    wh.execute([
        f"CREATE SCHEMA IF NOT EXISTS {quote_ident(wh.runs_dataset)}",
        f"CREATE TABLE IF NOT EXISTS {_table(wh)} ({COLUMNS})",
    ])


def record_start(wh: Warehouse, run: dict[str, Any]) -> None:
    ensure_table(wh)
    cols = ["run_id", "pipeline_name", "source", "dataset", "command", "resources", "range_start",
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


def recent(wh: Warehouse, source: str, dataset: str, limit: int = 20) -> list[dict[str, Any]]:
    """Newest first; [] when no run was recorded yet."""
    if TABLE not in wh.tables(wh.runs_dataset):
        return []
    return wh.query_dicts(
        f"SELECT * FROM {_table(wh)} WHERE source = ? AND dataset = ? ORDER BY started_at DESC LIMIT {int(limit)}",
        [source, dataset],
    )
