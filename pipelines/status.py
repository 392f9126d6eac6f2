"""`callpipe status`: what the warehouse knows about each source.

Everything is read from the warehouse (run records in `callpipe.runs`, dlt state in the
dataset's `_dlt_pipeline_state`), never from the local working directory, so the answer is
the same on a fresh machine. Sync tokens are counted, never printed.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from pipelines import runs
from pipelines.accounts import PROVIDERS, Account
from pipelines.console import Console
from pipelines.errors import EXIT_FAILED, EXIT_OK, describe
from pipelines.registry import SOURCES
from pipelines.warehouse import Warehouse

SYNC_TOKEN_KEYS = ("sync_tokens",)


def stored_state(wh: Warehouse, source: str, account: str | None = None) -> dict[str, Any] | None:
    """The pipeline state dlt committed last to the source's dataset for `account` (None: the
    default one), None if never loaded."""
    from dlt.common.versioned_state import decompress_state

    dataset = wh.dataset(source)
    tables = wh.tables(dataset)
    if "_dlt_pipeline_state" not in tables or "_dlt_loads" not in tables:
        return None
    rows = wh.query(
        f"SELECT s.state FROM {wh.qualified(dataset, '_dlt_pipeline_state')} AS s "
        f"JOIN {wh.qualified(dataset, '_dlt_loads')} AS l ON l.load_id = s._dlt_load_id "
        "WHERE s.pipeline_name = ? AND l.status = 0 ORDER BY l.load_id DESC LIMIT 1",
        [wh.pipeline_name(source, account)],
    )
    return decompress_state(rows[0][0]) if rows else None


def _text(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="seconds")
    return str(value)


def cursors_and_tokens(state: dict[str, Any] | None, source: str) -> tuple[list[str], list[str]]:
    """(['call_logs.date_time = 2026-...'], ['user_call_logs: 12 users'])"""
    cursors: list[str] = []
    tokens: list[str] = []
    resources = (((state or {}).get("sources") or {}).get(source) or {}).get("resources") or {}
    for resource, rstate in sorted(resources.items()):
        if not isinstance(rstate, dict):
            continue
        for cursor, info in sorted((rstate.get("incremental") or {}).items()):
            if isinstance(info, dict) and info.get("last_value") is not None:
                cursors.append(f"{resource}.{cursor} = {_text(info['last_value'])}")
        for key in SYNC_TOKEN_KEYS:
            if isinstance(rstate.get(key), dict):
                tokens.append(f"{resource}: {len(rstate[key])} users")
    return cursors, tokens


def _when(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return str(value or "-")


def _describe_run(row: dict[str, Any]) -> str:
    parts = [_when(row.get("started_at")), row.get("command") or "?", row.get("outcome") or "?"]
    if row.get("seconds") is not None:
        parts.append(f"{row['seconds']:.1f}s")
    tables = _tables(row)
    if tables:
        parts.append(f"rows {runs.describe_sums(tables)}")
    elif row.get("rows_loaded") is not None:  # a run recorded before the per-table figures
        parts.append(f"{row['rows_loaded']} rows loaded")
    if row.get("requests") is not None:
        parts.append(f"{row['requests']} requests")
    if row.get("range_start") or row.get("range_end"):
        parts.append(f"range {_when(row.get('range_start'))} .. {_when(row.get('range_end'))}")
    text = "  ".join(parts)
    if tables:
        text += f"\n               {runs.describe_tables_short(tables)}"
    if row.get("error") and row.get("outcome") not in ("ok", "running"):
        text += f"\n               {row['error']}"
    return text


def _tables(row: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The per-table figures of a run record ({} for runs recorded without them)."""
    try:
        tables = json.loads(row.get("tables_json") or "{}")
    except ValueError:
        return {}
    return tables if isinstance(tables, dict) else {}


def _audit_lines(wh: Warehouse, source: str, account: str | None = None) -> list[str]:
    """The last audit (pipelines.audit), and the last one that found the warehouse complete."""
    from pipelines.audit import describe_audit, last_audits

    last, complete = last_audits(wh, source, account)
    if last is None:
        return ["  last audit   none (callpipe audit --source " + source
                + (f" --account {account}" if account else "") + ")"]
    lines = [f"  last audit   {describe_audit(last)}"]
    if complete is None:
        lines.append("  last proven  never complete")
    elif complete["audit_id"] != last["audit_id"]:
        lines.append(f"  last proven  {describe_audit(complete)}")
    return lines


def source_status(wh: Warehouse, source: str, account: Account | None = None) -> list[str]:
    account = account or Account(PROVIDERS[SOURCES[source].provider])
    name = None if account.is_default else account.name
    dataset = wh.dataset(source)
    label = account.label(source)
    lines = [f"{account.title(source)}  (dataset {dataset} in {wh.describe()})",
             f"  account      {account.name} (its rows: source_account = {label!r})"]
    holder = wh.lock(source, name).holder()
    if holder:
        lines.append(f"  running now  pid {holder.get('pid', '?')} since {holder.get('started_at', '?')} "
                     f"({holder.get('command', '?')})")
    history = runs.recent(wh, source, dataset, limit=50, account=name)
    if holder is None:  # a 'running' row without a live holder was killed
        for row in history:
            if row.get("outcome") == "running":
                row["outcome"] = "interrupted"
    if history:
        lines.append(f"  last run     {_describe_run(history[0])}")
        ok = next((r for r in history if r.get("outcome") == "ok"), None)
        if ok is not None and ok is not history[0]:
            lines.append(f"  last success {_describe_run(ok)}")
        elif ok is None:
            lines.append("  last success none recorded")
        if len(history) > 1:
            lines.append("  recent runs  " + ", ".join(
                f"{r.get('command')} {r.get('outcome')}" for r in history[:6]) + "  (newest first)")
    else:
        lines.append("  last run     none recorded")
    lines += _audit_lines(wh, source, name)
    state = stored_state(wh, source, name)
    cursors, tokens = cursors_and_tokens(state, source)
    lines.append("  cursors      " + (" | ".join(cursors) if cursors else "none (nothing loaded yet)"))
    if tokens:
        lines.append("  sync tokens  " + " | ".join(tokens))
    counts = wh.row_counts(dataset, account=label)
    if counts:
        lines.append("  tables       " + " | ".join(f"{t} {n}" for t, n in sorted(counts.items())))
    else:
        lines.append("  tables       none")
    return lines


def show_status(wh: Warehouse, sources: list[str] | list[tuple[str, Account]], console: Console) -> int:
    """One block per source and account (`sources`: names, or (source, account) pairs)."""
    code = EXIT_OK
    console.print(f"warehouse: {wh.describe()}")
    if wh.kind == "duckdb" and not Path(wh.location).exists():
        console.print(f"no warehouse file yet: `callpipe run` creates {wh.location}")
        return EXIT_OK
    for item in sources:
        source, account = item if isinstance(item, tuple) else (item, None)
        name = None if account is None or account.is_default else account.name
        try:
            with wh.db_lock(timeout=15), wh.session():
                lines = source_status(wh, source, account)
        except Exception as exc:  # noqa: BLE001 - one unreadable source does not hide the others
            code = EXIT_FAILED
            title = account.title(source) if account is not None else source
            lines = [f"{title}  (dataset {wh.dataset(source)})", f"  error        {wh.redact(describe(exc))}"]
            holder = wh.lock(source, name).holder()
            if holder:
                lines.append(f"  running now  pid {holder.get('pid', '?')} since {holder.get('started_at', '?')}")
        console.print()
        for line in lines:
            console.print(line)
    return code
