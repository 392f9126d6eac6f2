"""`callpipe audit`: prove, UTC day by UTC day, that the warehouse holds what the API holds.

For every day of the range the API is asked how many records it holds, the cheapest way it
allows (sources.common.counts: Zoom `total_records` of a one-day window with page_size=1 per
pass, Zoho `meta.total` with size=1), and the warehouse is counted the same way (rows whose
time column falls in that UTC day). For Zoom Phone the calls without legs (no row in the
child table) are counted too: such a day is incomplete as well. The requests go through the
source's API client, so they wait in the same rate limiters as a run.

`--repair` backfills exactly the differing days (the backfill path: nightly cursors and sync
tokens untouched) and audits them again. Every audit is recorded in `callpipe.audits`.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import json
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines import runs
from pipelines.accounts import PROVIDERS, Account, plan_accounts
from pipelines.console import Console
from pipelines.errors import (
    EXIT_AUDIT_DIFFERS,
    EXIT_OK,
    OK,
    OUTCOME_EXIT,
    UsageError,
    classify,
    combine_exit_codes,
    describe,
)
from pipelines.registry import SOURCES, SourceSpec
from pipelines.warehouse import Warehouse, quote_ident, sql_text
from sources.common.args import source_arguments
from sources.common.counts import Counted
from sources.common.windows import lookback_start

DAY = dt.timedelta(days=1)
TABLE = "audits"
COLUMNS = """
    audit_id VARCHAR PRIMARY KEY,
    source VARCHAR,
    dataset VARCHAR,
    command VARCHAR,
    range_start DATE,
    range_end DATE,
    days INTEGER,
    days_differing INTEGER,
    api_records BIGINT,
    warehouse_records BIGINT,
    without_legs BIGINT,
    outcome VARCHAR,
    differing_json VARCHAR,
    requests BIGINT,
    started_at TIMESTAMPTZ,
    finished_at TIMESTAMPTZ,
    host VARCHAR,
    error VARCHAR,
    account VARCHAR
"""
COMPLETE, DIFFERS, FAILED = "complete", "differs", "failed"


# ---------------------------------------------------------------------------- what is counted
def source_options(spec: SourceSpec, account: Any = None) -> dict[str, Any]:
    """The source's settings as a run of `account` (pipelines.accounts.Account; None: default)
    reads them ([sources.<name>], a named account's own section first, over the function's defaults)."""
    function = spec.function()
    signature = inspect.signature(inspect.unwrap(function))
    options = {n: p.default for n, p in signature.parameters.items() if p.default is not inspect.Parameter.empty}
    options.update(source_arguments(spec.name, function, {}, account.args_sections(spec.name) if account else None))
    return options


def counted_lists(spec: SourceSpec, options: dict[str, Any] | None = None) -> list[Counted]:
    """What the source counts (its `counts.counted`), for its settings."""
    module = importlib.import_module(f"sources.{spec.name}.counts")
    return module.counted(source_options(spec) if options is None else options)


def day_start(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def days_between(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


# ---------------------------------------------------------------------------- warehouse counts
def _utc_day(column: str) -> str:
    return f"CAST(({quote_ident(column)} AT TIME ZONE 'UTC') AS DATE)"


def warehouse_days(wh: Warehouse, dataset: str, counted: Counted, first: dt.date, last: dt.date,
                   label: str | None = None) -> tuple[dict[dt.date, int], dict[dt.date, int] | None]:
    """({day: rows}, {day: rows without legs} or None) of the table in [first, last] (UTC days);
    with `label`, only that account's rows (`source_account`)."""
    tables = wh.tables(dataset)
    if counted.table not in tables:
        return {}, ({} if counted.detail else None)
    column = counted.time_column
    where = f"{quote_ident(column)} >= ? AND {quote_ident(column)} < ?"
    bounds = [day_start(first), day_start(last) + DAY]
    same_account = ""
    if label is not None:
        where += f" AND source_account = {sql_text(label)}"
        same_account = " AND c.source_account = p.source_account"
    rows = wh.query(f"SELECT {_utc_day(column)}, count(*) FROM {wh.qualified(dataset, counted.table)} "
                    f"WHERE {where} GROUP BY 1", bounds)
    found = {_as_date(d): int(n) for d, n in rows}
    if counted.detail is None:
        return found, None
    if counted.detail.table not in tables:
        return found, dict(found)
    child = wh.qualified(dataset, counted.detail.table)
    rows = wh.query(
        f"SELECT {_utc_day(column)}, count(*) FROM {wh.qualified(dataset, counted.table)} AS p "
        f"WHERE {where} AND NOT EXISTS (SELECT 1 FROM {child} AS c "
        f"WHERE c.{quote_ident(counted.detail.parent_column)} = p.{quote_ident(counted.key)}{same_account}) "
        "GROUP BY 1", bounds)
    return found, {_as_date(d): int(n) for d, n in rows}


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def oldest_and_last_run(wh: Warehouse, source: str, counted: list[Counted], account: Account | None = None
                        ) -> tuple[dt.date | None, dt.datetime | None]:
    """(UTC day of the oldest record of the account in the warehouse, start of its last successful
    nightly run)."""
    dataset = wh.dataset(source)
    tables = wh.tables(dataset)
    account = account or Account(PROVIDERS[SOURCES[source].provider])
    mine = f" WHERE source_account = {sql_text(account.label(source))}"
    oldest = None
    for c in counted:
        if c.table in tables:
            value = wh.query(f"SELECT min({_utc_day(c.time_column)}) FROM {wh.qualified(dataset, c.table)}{mine}")[0][0]
            if value is not None:
                day = _as_date(value)
                oldest = day if oldest is None else min(oldest, day)
    last_run = None
    if "runs" in wh.tables(wh.runs_dataset):
        ok = [r["started_at"] for r in runs.recent(wh, source, dataset, limit=1000,
                                                   account=None if account.is_default else account.name)
              if r.get("outcome") == "ok" and r.get("command") in ("run", "demo")]
        last_run = max(ok) if ok else None
    return oldest, last_run


# ---------------------------------------------------------------------------- the audit
@dataclass
class DayCount:
    table: str
    day: dt.date
    api: int
    warehouse: int
    without_legs: int | None = None

    @property
    def difference(self) -> int:
        return self.warehouse - self.api

    @property
    def ok(self) -> bool:
        return self.difference == 0 and not self.without_legs

    def status(self) -> str:
        said = []
        if self.difference < 0:
            said.append(f"{-self.difference} missing")
        elif self.difference > 0:
            said.append(f"{self.difference} not in the API")
        if self.without_legs:
            said.append(f"{self.without_legs} without legs")
        return ", ".join(said) or "ok"


@dataclass
class Range:
    first: dt.date
    last: dt.date
    notes: list[str]

    @property
    def days(self) -> list[dt.date]:
        return days_between(self.first, self.last)


def parse_day(text: str, option: str) -> dt.date:
    value = (text or "").strip()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{option} {text!r} is not a date: type a UTC day as YYYY-MM-DD, e.g. {option} "
                         "2026-06-01") from None


def first_day_kept(spec: SourceSpec, now: dt.datetime) -> dt.date | None:
    """The first whole UTC day the API still serves (None: no look-back limit)."""
    if not spec.lookback_months:
        return None
    oldest = lookback_start(now, spec.lookback_months)
    day = oldest.date()
    return day if oldest == day_start(day) else day + DAY


def audit_range(wh: Warehouse, spec: SourceSpec, counted: list[Counted], now: dt.datetime,
                start_text: str | None, end_text: str | None, account: Account | None = None) -> Range:
    """The UTC days to audit: the options, or what the warehouse covers. Raises UsageError."""
    today = now.astimezone(dt.UTC).date()
    first = parse_day(start_text, "--start") if start_text else None
    last = parse_day(end_text, "--end") if end_text else None
    kept = first_day_kept(spec, now)
    if first and last and first > last:
        raise UsageError(f"--start {first} is after --end {last}: give the earlier day as --start, "
                         f"e.g. --start {last} --end {first}")
    if last and last > today:
        raise UsageError(f"--end {last} is in the future: the last day you can audit is today ({today}, UTC)")
    if first and first > today:
        raise UsageError(f"--start {first} is in the future: the last day you can audit is today ({today}, UTC)")
    if first and kept and first < kept:
        raise UsageError(f"{spec.title} keeps only the last {spec.lookback_months} months of call records: "
                         f"--start {first} is older. Type --start {kept} or later")
    notes = []
    if first is None or last is None:
        oldest, last_run = oldest_and_last_run(wh, spec.name, counted, account)
        if first is None:
            if oldest is None and last is None:
                raise UsageError(f"nothing to audit: the warehouse holds no {spec.name} records "
                                 f"({wh.describe()}); load them first (callpipe run) or give --start and --end")
            # the oldest day is usually loaded from mid-day (a first load starts at an hour, not at midnight)
            first = max(d for d in (oldest + DAY if oldest else last, kept) if d is not None)
            notes.append(f"--start {first}: the first whole day the warehouse holds"
                         + (f" that the API still keeps (it keeps {spec.lookback_months} months)" if kept else ""))
        if last is None:
            ran = last_run.astimezone(dt.UTC).date() if isinstance(last_run, dt.datetime) else today
            last = min(ran, today) - DAY
            notes.append(f"--end {last}: the last whole day before "
                         + ("the last successful run" if isinstance(last_run, dt.datetime) else "today"))
        if first > last:
            raise UsageError(f"nothing to audit between {first} and {last}: the warehouse holds no whole day yet; "
                             "give --start and --end")
    return Range(first, last, notes)


def describe_requests(counted: list[Counted], client: Any, days: int) -> list[str]:
    """What the audit will ask, said before it starts."""
    lines, total, seconds = [], 0, 0.0
    for c in counted:
        n = c.requests_per_count * days
        total += n
        limiter = client.limiters.get(c.label)
        rate = f"{limiter.rate}/{_period(limiter.period)}" if limiter else "?"
        seconds += n * (limiter.period / limiter.rate) if limiter else 0
        size = "size=1" if c.count_day else "page_size=1"
        lines.append(f"  {n} x {c.describe_request()} {size}, {c.requests_per_count} per day "
                     f"({c.table}; rate label {c.label}, {rate})")
        if c.note:
            lines.append(f"    note: {c.note}")
    lines.insert(0, f"requests: {total}, at the configured limits at least {duration(seconds)}")
    return lines


def _period(seconds: float) -> str:
    return "s" if seconds == 1 else ("min" if seconds == 60 else f"{seconds:g}s")


def duration(seconds: float) -> str:
    """A time at the configured limits, for the audit's and the plan's request lines."""
    if seconds < 90:
        return f"{seconds:.1f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def count_days(wh: Warehouse, client: Any, source: str, counted: list[Counted], days: list[dt.date],
               console: Console, label: str | None = None) -> list[DayCount]:
    out: list[DayCount] = []
    dataset = wh.dataset(source)
    for c in counted:
        with wh.db_lock(timeout=60):
            stored, bare = warehouse_days(wh, dataset, c, days[0], days[-1], label)
        for index, day in enumerate(days):
            if index and index % 30 == 0:
                console.step(source, f"{c.table}: counted {index} of {len(days)} days")
            api = c.count(client, (day_start(day), day_start(day) + DAY))
            out.append(DayCount(c.table, day, api, stored.get(day, 0), None if bare is None else bare.get(day, 0)))
    return out


def table_lines(counts: list[DayCount]) -> list[str]:
    legs = any(c.without_legs is not None for c in counts)
    head = f"  {'table':<14} {'day (UTC)':<10} {'api':>8} {'warehouse':>10} {'difference':>11}"
    head += f" {'without legs':>13}" if legs else ""
    lines = [head + "  status"]
    for c in counts:
        line = f"  {c.table:<14} {c.day.isoformat():<10} {c.api:>8} {c.warehouse:>10} {c.difference:>+11}"
        line += f" {c.without_legs if c.without_legs is not None else '':>13}" if legs else ""
        lines.append(line + f"  {c.status()}")
    api, stored = sum(c.api for c in counts), sum(c.warehouse for c in counts)
    line = f"  {'total':<14} {'':<10} {api:>8} {stored:>10} {stored - api:>+11}"
    line += f" {sum(c.without_legs or 0 for c in counts):>13}" if legs else ""
    lines.append(line)
    return lines


# ---------------------------------------------------------------------------- the audits table
def _table(wh: Warehouse) -> str:
    return wh.qualified(wh.runs_dataset, TABLE)


def record(wh: Warehouse, row: dict[str, Any]) -> None:
    wh.execute([f"CREATE SCHEMA IF NOT EXISTS {quote_ident(wh.runs_dataset)}",
                f"CREATE TABLE IF NOT EXISTS {_table(wh)} ({COLUMNS})"])
    if "account" not in wh.columns(wh.runs_dataset, TABLE):  # a table made before accounts
        wh.execute(f"ALTER TABLE {_table(wh)} ADD COLUMN account VARCHAR")
    cols = list(row)
    wh.execute(f"INSERT INTO {_table(wh)} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
               [row[c] for c in cols])


def last_audits(wh: Warehouse, source: str, account: str | None = None
                ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(the last audit of the source's account (None: default), its last complete one) from `callpipe.audits`."""
    if TABLE not in wh.tables(wh.runs_dataset):
        return None, None
    mine = "source = ? AND dataset = ?"
    params = [source, wh.dataset(source)]
    if "account" in wh.columns(wh.runs_dataset, TABLE):  # audits recorded before accounts are the default's
        mine += " AND COALESCE(account, 'default') = ?"
        params.append(account or "default")
    elif account not in (None, "default"):
        return None, None
    rows = wh.query_dicts(f"SELECT * FROM {_table(wh)} WHERE {mine} ORDER BY finished_at DESC LIMIT 1", params)
    done = wh.query_dicts(f"SELECT * FROM {_table(wh)} WHERE {mine} AND outcome = ? "
                          "ORDER BY finished_at DESC LIMIT 1", [*params, COMPLETE])
    return (rows[0] if rows else None), (done[0] if done else None)


def describe_audit(row: dict[str, Any]) -> str:
    when = row.get("finished_at")
    when = when.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if isinstance(when, dt.datetime) else str(when)
    text = (f"{when}  {row.get('command')} {row.get('outcome')}  days {row.get('range_start')} .. "
            f"{row.get('range_end')} ({row.get('days')})")
    if row.get("outcome") == DIFFERS:
        text += f", {row.get('days_differing')} differing"
    if row.get("error"):
        text += f"  {row['error']}"
    return text


def _differing(counts: list[DayCount]) -> str:
    return json.dumps([{"table": c.table, "day": c.day.isoformat(), "api": c.api, "warehouse": c.warehouse,
                        "without_legs": c.without_legs} for c in counts if not c.ok])


def _record_row(wh: Warehouse, source: str, command: str, days: list[dt.date], counts: list[DayCount],
                started: dt.datetime, requests: int, error: str | None, account: str = "default") -> dict[str, Any]:
    bad = {c.day for c in counts if not c.ok}
    outcome = FAILED if error else (DIFFERS if bad else COMPLETE)
    return {
        "audit_id": f"{source}-{account}-{started:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}", "source": source,
        "account": account,
        "dataset": wh.dataset(source), "command": command, "range_start": days[0], "range_end": days[-1],
        "days": len(days), "days_differing": len(bad), "api_records": sum(c.api for c in counts),
        "warehouse_records": sum(c.warehouse for c in counts),
        "without_legs": sum(c.without_legs or 0 for c in counts), "outcome": outcome,
        "differing_json": _differing(counts), "requests": requests, "started_at": started,
        "finished_at": dt.datetime.now(dt.UTC), "host": socket.gethostname(), "error": error,
    }


def _requests(client: Any) -> int:
    """API requests sent (retries included, token requests not)."""
    return sum(n for k, n in client.stats().items() if not k.startswith("_"))


# ---------------------------------------------------------------------------- the command
def runs_of(days: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Consecutive days as (first, last) runs: one backfill per run."""
    out: list[tuple[dt.date, dt.date]] = []
    for day in sorted(set(days)):
        if out and day == out[-1][1] + DAY:
            out[-1] = (out[-1][0], day)
        else:
            out.append((day, day))
    return out


def audit_once(wh: Warehouse, spec: SourceSpec, counted: list[Counted], days: list[dt.date], command: str,
               console: Console, clock: Any, account: Account | None = None) -> tuple[int, list[DayCount]]:
    """Count, print the table, record the audit; -> (exit code, counts)."""
    account = account or Account(PROVIDERS[spec.provider])
    title = account.title(spec.name)
    client = spec.build_client(clock, account.name)
    started = dt.datetime.now(dt.UTC)
    counts: list[DayCount] = []
    error = None
    code = EXIT_OK
    try:
        counts = count_days(wh, client, spec.name, counted, days, console, account.label(spec.name))
    except Exception as exc:  # noqa: BLE001 - recorded, then the exit code of a failed source
        error = wh.redact(describe(exc))
        code = OUTCOME_EXIT[classify(exc)]
    finally:
        requests = _requests(client)
        client.close()
    if counts:
        for line in table_lines(counts):
            console.print(line)
    row = _record_row(wh, spec.name, command, days, counts, started, requests, error, account.name)
    try:
        with wh.db_lock(timeout=60):
            record(wh, row)
    except Exception as exc:  # noqa: BLE001 - the answer is printed; the record is a bonus
        console.note(f"warning: could not record the audit in {wh.runs_dataset}.{TABLE}: {wh.redact(describe(exc))}")
    bad = sorted({c.day for c in counts if not c.ok})
    if error:
        console.print(f"{title}: audit FAILED after {requests} requests: {error}")
    elif bad:
        console.print(f"{title}: {len(bad)} of {len(days)} days DIFFER ({requests} requests): "
                      + ", ".join(d.isoformat() for d in bad))
        code = EXIT_AUDIT_DIFFERS
    else:
        console.print(f"{title}: COMPLETE, every one of {len(days)} days matches the API ({requests} requests)")
    return code, counts


def run_audit(wh: Warehouse, spec: SourceSpec, args: Any, console: Console, clock: Any = None) -> int:
    """`callpipe audit`: each account of the source (`--account`: some), one after the other;
    returns the exit code (UsageError -> 2 is raised to the CLI)."""
    if wh.kind == "duckdb" and not Path(wh.location).exists():
        raise UsageError(f"no warehouse at {wh.location}: load it first (callpipe run) or point --duckdb-path "
                         "(or [pipeline] duckdb_path) at it")
    accounts = [a for _, a in plan_accounts([spec.name], getattr(args, "account", None))]
    for account in accounts:  # missing credentials: exit 2 before anything is sent
        spec.build_client(clock, account.name).close()
    return combine_exit_codes([audit_account(wh, spec, account, args, console, clock) for account in accounts])


def audit_account(wh: Warehouse, spec: SourceSpec, account: Account, args: Any, console: Console,
                  clock: Any = None) -> int:
    from pipelines.runner import prepare, run_job

    now = clock.now() if clock is not None else dt.datetime.now(dt.UTC)
    name, title = (None if account.is_default else account.name), account.title(spec.name)
    counted = counted_lists(spec, source_options(spec, account))
    client = spec.build_client(clock, account.name)
    try:
        with wh.db_lock(timeout=60):
            span = audit_range(wh, spec, counted, now, args.start, args.end, account)
        days = span.days
        console.print(f"audit {title}: UTC days {span.first} .. {span.last} ({len(days)} days) in "
                      f"{wh.describe()}")
        for note in span.notes:
            console.note("  " + note)
        for line in describe_requests(counted, client, len(days)):  # said before anything is sent
            console.print("  " + line if not line.startswith("  ") else line)
    finally:
        client.close()
    holder = wh.lock(spec.name, name).holder()
    if holder:
        console.note(f"warning: a run of {title} is loading right now (pid {holder.get('pid', '?')}): "
                     "its rows may move the counts")
    code, counts = audit_once(wh, spec, counted, days, "audit", console, clock, account)
    bad = sorted({c.day for c in counts if not c.ok})
    if not getattr(args, "repair", False) or code != EXIT_AUDIT_DIFFERS:
        if bad and code == EXIT_AUDIT_DIFFERS:
            console.note(f"to load the differing days again: callpipe audit --source {spec.name} "
                         + ("" if account.is_default else f"--account {account.name} ")
                         + f"--start {bad[0]} --end {bad[-1]} --repair")
        return code
    # repair: backfill exactly the differing days (cursors and sync tokens untouched), then audit them again
    resources = sorted({r for c in counted if any(d.table == c.table and not d.ok for d in counts)
                        for r in c.repair_resources})
    codes = []
    for first, last in runs_of(bad):
        console.note(f"repair: backfill {title} {first} .. {last} ({', '.join(resources)})")
        job = prepare(spec, "backfill", resources=resources, start=day_start(first), end=day_start(last) + DAY,
                      clock=clock, account=account)
        result = run_job(wh, job, console)
        console.print(result.summary())
        codes.append(result.exit_code)
        if result.outcome != OK:
            return combine_exit_codes(codes)
    console.print(f"audit {title} again: {len(bad)} repaired day{'s' if len(bad) > 1 else ''}")
    code, counts = audit_once(wh, spec, counted, bad, "repair", console, clock, account)
    left = [c for c in counts if not c.ok and c.difference > 0]
    if left:
        console.note("days with more rows than the API: the vendor no longer lists some calls the warehouse "
                     "holds; a backfill never deletes them")
    return combine_exit_codes([code, *codes])

