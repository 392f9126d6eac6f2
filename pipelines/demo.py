"""`callpipe demo`: the whole product on a laptop in about a minute, no accounts needed.

Starts the sandbox vendor API in this process (clock following real time), points the
three sources at it, loads everything into a local DuckDB file, refreshes the analytics
views, prints row counts and answers two analyst questions: how did the Marketing Hotline
call flow (legs in order, who answered), and how did the Contact Center queues do on the
busiest day (offered, abandoned, service level, from analytics.cc_queue_daily).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pipelines.console import Console
from pipelines.errors import EXIT_FAILED, EXIT_USAGE, UsageError, combine_exit_codes
from pipelines.registry import SOURCES
from pipelines.runner import prepare_all, run_sources
from pipelines.warehouse import Warehouse, WarehouseError
from sources.zoom_phone.settings import ALL_RESOURCES as ZOOM_PHONE_ALL

# the sandbox is local: no need to crawl at a real account's pace (real Business+: 40/20/10)
DEMO_ZOOM_RATES = {"light": 400, "medium": 200, "heavy": 100}
DEMO_PIPELINES_DIR = ".callpipe/demo-pipelines"


@contextlib.contextmanager
def patched_env(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def sandbox_config(days: int, users: int, calls_per_day: int) -> Any:
    from sandbox import SandboxConfig

    return SandboxConfig(
        seed=7,
        users=users,
        calls_per_day=calls_per_day,
        days=days,
        cc_calls_per_day=max(1, calls_per_day // 2),
        zoho_calls_per_day=max(1, calls_per_day // 2),
        start=None,  # follow real time: the sources' "now" is the machine's
        zoom_rate_limits=dict(DEMO_ZOOM_RATES),
        zoom_heavy_daily=1_000_000,
    )


def _is_demo_file(path: Path) -> bool:
    """True if `path` holds nothing but what a previous demo wrote (safe to replace)."""
    import duckdb

    try:
        conn = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return False
    try:
        schemas = {r[0] for r in conn.execute(
            "SELECT DISTINCT table_schema FROM information_schema.tables").fetchall()}
        if not schemas:
            return True
        if "callpipe" not in schemas:
            return False
        commands = {r[0] for r in conn.execute("SELECT DISTINCT command FROM callpipe.runs").fetchall()}
        return commands <= {"demo"}
    except duckdb.Error:
        return False
    finally:
        conn.close()


def fresh_demo_warehouse(path: Path, pipelines_dir: Path) -> Warehouse:
    import shutil

    path = path.expanduser().resolve()
    if path.exists():
        if not _is_demo_file(path):
            raise UsageError(
                f"{path} exists and was not written by `callpipe demo`: choose another file with "
                "--path demo2.duckdb (the demo replaces its own file only)"
            )
        path.unlink()
        Path(str(path) + ".wal").unlink(missing_ok=True)
    wh = Warehouse.duckdb(path, pipelines_dir=pipelines_dir)
    shutil.rmtree(wh.work_dir, ignore_errors=True)  # local state of the replaced file
    return wh


# the call of Zoom's "Understand call logs" walk-through; the sandbox serves it as a fixture
WORKED_EXAMPLE_CALL_ID = "696165649876346057"


def marketing_hotline_flow(wh: Warehouse) -> list[str]:
    """The analyst question, in SQL over the raw tables: legs in order and who answered."""
    ds = wh.dataset("zoom_phone")
    tables = set(wh.tables(ds))
    lines: list[str] = []
    shown_call_id = WORKED_EXAMPLE_CALL_ID
    if {"call_logs", "call_log_legs"} <= tables:
        calls = wh.query_dicts(
            f"SELECT id, call_id, date_time, caller_number, result FROM {wh.qualified(ds, 'call_logs')} "
            "WHERE callee_name = 'Marketing Hotline' "
            f"ORDER BY CASE WHEN call_id = '{WORKED_EXAMPLE_CALL_ID}' THEN 0 ELSE 1 END, date_time DESC LIMIT 1"
        )
        if calls:
            call = calls[0]
            shown_call_id = call["call_id"]
            legs = wh.query_dicts(
                f"SELECT leg_index, date_time, forward_to_name, forward_to_type, result "
                f"FROM {wh.qualified(ds, 'call_log_legs')} WHERE call_log_id = ? ORDER BY leg_index",
                [call["id"]],
            )
            lines.append(f"Marketing Hotline call {call['call_id']} from {call['caller_number']} at "
                         f"{call['date_time']:%Y-%m-%d %H:%M:%S} UTC (call_logs + call_log_legs):")
            for leg in legs:
                answered = " <- answered" if (leg["result"] or "").lower() == "call connected" else ""
                lines.append(f"  {leg['leg_index']}. {leg['date_time']:%H:%M:%S}  {leg['forward_to_name'] or '?':<20}"
                             f" {leg['forward_to_type'] or '':<12} {leg['result'] or ''}{answered}")
            answered_by = [leg["forward_to_name"] for leg in legs
                           if (leg["result"] or "").lower() == "call connected"
                           and (leg["forward_to_type"] or "") == "user"]
            if answered_by:
                lines.append(f"  answered by {answered_by[-1]}")
    if {"call_history", "call_elements"} <= tables:
        # the same call as above when call logs were loaded, else the documented example
        calls = wh.query_dicts(
            f"SELECT h.call_history_uuid, h.start_time FROM {wh.qualified(ds, 'call_history')} h "
            f"WHERE h.callee_name = 'Marketing Hotline' "
            f"ORDER BY CASE WHEN h.call_id = ? THEN 0 ELSE 1 END, h.start_time DESC LIMIT 1",
            [shown_call_id],
        )
        if calls:
            call = calls[0]
            elements = wh.query_dicts(
                f"SELECT segment, node, start_time, event, callee_name, callee_ext_type, result "
                f"FROM {wh.qualified(ds, 'call_elements')} WHERE call_history_uuid = ? ORDER BY segment, node",
                [call["call_history_uuid"]],
            )
            lines.append(f"Same flow in the current API (call_history + call_elements), "
                         f"{len(elements)} elements:")
            for el in elements:
                lines.append(f"  segment {el['segment']} node {el['node']}  {el['event'] or '':<16} "
                             f"{el['callee_name'] or '?':<20} {el['callee_ext_type'] or '':<12} {el['result'] or ''}")
    return lines


def busiest_day_queues(wh: Warehouse) -> list[str]:
    """One line per Contact Center queue on the day with the most offered engagements."""
    view = wh.qualified(wh.analytics_dataset, "cc_queue_daily")
    try:
        rows = wh.query_dicts(
            f"SELECT day, queue_name, offered, abandoned, service_level, service_level_seconds FROM {view} "
            f"WHERE day = (SELECT day FROM {view} GROUP BY day ORDER BY SUM(offered) DESC, day DESC LIMIT 1) "
            "ORDER BY offered DESC, queue_name")
    except Exception:  # noqa: BLE001 - the view is missing (the refresh failed and said so): nothing to show
        return []
    if not rows:
        return []
    lines = [f"Contact Center queues on the busiest day, {rows[0]['day']} (analytics.cc_queue_daily):"]
    for row in rows:
        lines.append(f"  {row['queue_name'] or '?':<22} offered {row['offered']:>3}  abandoned {row['abandoned']:>3}  "
                     f"service level {100 * (row['service_level'] or 0):5.1f}% "
                     f"(answered within {row['service_level_seconds']} s)")
    return lines


QUERY_HINT = """\
Open it:
  duckdb {path}                  (DuckDB CLI), then e.g.  SELECT * FROM zoom_phone.call_logs LIMIT 10;
  python -c "import duckdb; print(duckdb.connect('{path}').sql('SHOW ALL TABLES'))"
Datasets (schemas): zoom_phone, zoom_contact_center, zoho_voice, analytics (views), callpipe (run record)."""


def run_demo(args: argparse.Namespace, console: Console) -> int:
    from sandbox import Sandbox

    if args.days < 1 or args.users < 2 or args.calls_per_day < 1:
        raise UsageError("--days must be >= 1, --users >= 2 and --calls-per-day >= 1, e.g. --days 14 --users 6")
    t0 = time.monotonic()
    wh = fresh_demo_warehouse(Path(args.path), Path(args.pipelines_dir or DEMO_PIPELINES_DIR))
    config = sandbox_config(args.days, args.users, args.calls_per_day)
    with Sandbox(config) as sb, patched_env(sb.env()):
        console.print(f"demo: sandbox API on {sb.url} ({args.days} days, {args.users} users, "
                      f"{args.calls_per_day} Zoom calls/day), loading into {wh.location}")
        console.print(f"demo: the sandbox is local, so the Zoom client's rate limits are raised to "
                      f"{DEMO_ZOOM_RATES['light']}/{DEMO_ZOOM_RATES['medium']}/{DEMO_ZOOM_RATES['heavy']} "
                      "requests/s (light/medium/heavy; a real account allows 40/20/10); Zoho stays at "
                      "30 requests/minute")
        plan = [(spec, {"client_overrides": {"rate_limits": dict(DEMO_ZOOM_RATES)}} if spec.provider == "zoom"
                 else {}) for spec in SOURCES.values()]
        # the legacy call logs, legs and user call-log sync are off by default (Zoom retired them);
        # the demo shows both families, as an account with archives would configure it
        plan = [(spec, {**kwargs, "resources": list(ZOOM_PHONE_ALL)} if spec.name == "zoom_phone" else kwargs)
                for spec, kwargs in plan]
        jobs, failed, code = prepare_all(plan, "demo", console)
        if code == EXIT_USAGE:
            return code
        for result in failed:
            console.print(result.summary())
        code = combine_exit_codes([run_sources(wh, jobs, console)] + [r.exit_code for r in failed])
    try:
        return _report(wh, console, code, t0)
    except WarehouseError as exc:
        console.error(str(exc))
        return EXIT_FAILED


def _report(wh: Warehouse, console: Console, code: int, t0: float) -> int:
    console.print()
    console.print("Rows per table:")
    empty = []
    counted: list[tuple[str, int]] = []
    for name in SOURCES:
        counts = wh.row_counts(wh.dataset(name))
        if not counts:
            empty.append(f"{name} (no tables)")
        for table, rows in sorted(counts.items()):
            counted.append((f"{wh.dataset(name)}.{table}", rows))
            if rows == 0:
                empty.append(f"{name}.{table}")
    width = max((len(t) for t, _ in counted), default=20)
    for table, rows in counted:
        console.print(f"  {table:<{width}} {rows:>8}")
    views = [v for (v,) in wh.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = ? ORDER BY 1",
        [wh.analytics_dataset])]
    if views:
        console.print(f"  {wh.analytics_dataset}: {len(views)} views ({', '.join(views[:8])}"
                      f"{', ...' if len(views) > 8 else ''})")
    console.print()
    flow = marketing_hotline_flow(wh)
    for line in flow or ["(the Marketing Hotline call was not found in zoom_phone)"]:
        console.print(line)
    console.print()
    for line in busiest_day_queues(wh) or ["(no Contact Center engagements in zoom_contact_center.engagements)"]:
        console.print(line)
    console.print()
    shown = os.path.relpath(wh.location)
    console.print(QUERY_HINT.format(path=wh.location if shown.startswith("..") else shown))
    console.print(f"demo finished in {time.monotonic() - t0:.0f}s")
    if empty:
        console.error("empty: " + ", ".join(empty))
        return code or EXIT_FAILED
    return code
