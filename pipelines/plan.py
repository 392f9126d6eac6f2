"""The request plan of a run or backfill (`--plan`, and logged at the start of long runs).

It asks the API for its totals as the audit does (sources.common.counts: one small request per
month window and pass), reads the cursors and sync tokens stored in the warehouse, and says per
resource how many list, detail and sync requests the run will make, which rate label binds and
how long that takes at the configured limits (a lower bound: latency and retries add to it).

- list: the run's pages of every window of its range (exact, from the totals);
- detail: one per listed call for a first load or a backfill; a nightly run fetches only calls
  not in the warehouse yet (API total of the range minus the warehouse's rows in it; a call that
  changed is fetched again too, which no count shows);
- sync: an estimate (~): per user with a token one request, plus one for each user with new legs;
  per user without one (first load, backfill) its legs / rows per answer, plus one (a backfill's
  sync pages back from now: the calls after its range count, in proportion to the days). Legs per call
  come from the warehouse (the sync table's rows per listed call), else LEGS_PER_CALL.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.audit import counted_lists, duration, source_options
from pipelines.console import Console
from pipelines.errors import EXIT_OK, OUTCOME_EXIT, classify, combine_exit_codes, describe
from pipelines.status import stored_state
from pipelines.warehouse import Warehouse, quote_ident
from sources.common.counts import Counted, pages, zoom_total
from sources.common.windows import clamp_lookback, lookback_start, month_windows, to_utc

LEGS_PER_CALL = 1.5  # a user's legs per call, when the warehouse has none to measure yet
LOG_MIN_DAYS = 7  # a real run logs its plan when its range is longer (first loads, catch-ups, backfills)


@dataclass
class Line:
    resource: str
    kind: str  # list | detail | sync
    requests: int
    label: str
    estimate: bool = False


@dataclass
class Plan:
    source: str
    command: str
    start: dt.datetime
    end: dt.datetime
    why: str
    lines: list[Line] = field(default_factory=list)
    counting: int = 0  # requests the plan itself sent
    limits: dict[str, tuple[int, float, int | None]] = field(default_factory=dict)  # label: (rate, period, daily)

    @property
    def total(self) -> int:
        return sum(line.requests for line in self.lines)

    def seconds(self, label: str | None = None) -> float:
        out = 0.0
        for line in self.lines:
            if label is None or line.label == label:
                rate, period, _ = self.limits.get(line.label, (0, 1.0, None))
                out += line.requests * period / rate if rate else 0.0
        return out

    def by_kind(self, kind: str) -> int:
        return sum(line.requests for line in self.lines if line.kind == kind)

    def text(self) -> list[str]:
        out = [f"plan {self.source}: {self.command} {self.start:%Y-%m-%d %H:%M} .. {self.end:%Y-%m-%d %H:%M} UTC "
               f"({self.why})",
               f"  {'resource':<22} {'list':>7} {'detail':>8} {'sync':>7}  {'label':<7} {'limit':>7} {'at least':>9}"]
        for line in self.lines:
            figures = {k: "" for k in ("list", "detail", "sync")}
            figures[line.kind] = ("~" if line.estimate else "") + f"{line.requests:,}"
            rate, period, _ = self.limits.get(line.label, (0, 1.0, None))
            limit = f"{rate}/{'s' if period == 1 else 'min' if period == 60 else f'{period:g}s'}"
            seconds = line.requests * period / rate if rate else 0.0
            out.append(f"  {line.resource:<22} {figures['list']:>7} {figures['detail']:>8} {figures['sync']:>7}  "
                       f"{line.label:<7} {limit:>7} {duration(seconds):>9}")
        labels = sorted({line.label for line in self.lines}, key=lambda lb: -self.seconds(lb))
        binding = labels[0] if labels else "-"
        out.append(f"  {'total':<22} {self.by_kind('list'):>7,} {self.by_kind('detail'):>8,} "
                   f"{self.by_kind('sync'):>7,}  {self.total:,} requests, at least {duration(self.seconds())} "
                   f"at the configured limits; binding: {binding}")
        for label, (_rate, _, daily) in sorted(self.limits.items()):
            used = sum(line.requests for line in self.lines if line.label == label)
            if daily and used > daily:
                out.append(f"  {label}: {used:,} requests exceed the daily budget of {daily:,}: the run stops on "
                           f"the quota (exit 3) and the next runs go on ({math.ceil(used / daily)} days)")
        out.append(f"  (from {self.counting} counting requests; ~ = estimate)")
        return out


def _readable(wh: Warehouse) -> bool:
    """False for a DuckDB file not created yet (the plan never creates it)."""
    return wh.kind != "duckdb" or Path(wh.location).exists()


def _rows(wh: Warehouse, dataset: str, table: str, column: str | None = None,
          span: tuple[dt.datetime, dt.datetime] | None = None) -> int:
    if not _readable(wh) or table not in wh.tables(dataset):
        return 0
    sql = f"SELECT count(*) FROM {wh.qualified(dataset, table)}"
    if column and span:
        sql += f" WHERE {quote_ident(column)} >= ? AND {quote_ident(column)} < ?"
        return int(wh.query(sql, list(span))[0][0])
    return int(wh.query(sql)[0][0])


def _range(job: Any, options: dict[str, Any], counted: Counted, state: dict[str, Any] | None,
           now: dt.datetime) -> tuple[dt.datetime, dt.datetime, bool]:
    """(start, end, nightly) the run reads for this list, as the source computes it."""
    if job.start is not None:
        start, end, nightly = to_utc(job.start), to_utc(job.end or now), False
    else:
        resources = (((state or {}).get("sources") or {}).get(job.name) or {}).get("resources") or {}
        cursor = ((resources.get(counted.resource) or {}).get("incremental") or {}).get(counted.time_column) or {}
        last = cursor.get("last_value")
        nightly = last is not None
        if nightly:
            start = to_utc(last) - dt.timedelta(days=float(options.get("lag_days") or 0))
        elif options.get("start_date"):
            start = to_utc(options["start_date"])
        elif job.spec.lookback_months:
            start = lookback_start(now, job.spec.lookback_months)
        else:
            start = now - dt.timedelta(days=_zoho_settings().DEFAULT_START_DAYS)
        end = now
    if job.spec.lookback_months:
        start = clamp_lookback(start, now, f"plan {counted.endpoint}", job.spec.lookback_months)
    if job.spec.provider == "zoho":
        end = min(end, now - _zoho_settings().SETTLE)
    return start, min(end, now), nightly


def _zoho_settings() -> Any:
    from sources.zoho_voice import settings

    return settings


def plan_job(wh: Warehouse, job: Any, clock: Any = None) -> Plan:
    """Count what the job's run would request (sends the counting requests through a client of its own)."""
    spec = job.spec
    now = to_utc(clock.now() if clock is not None else dt.datetime.now(dt.UTC))
    options = {**source_options(spec, job.account), **(job.options.get("source_kwargs") or {})}
    if job.resources:
        options["resources"] = list(job.resources)
    counted = counted_lists(spec, options)
    dataset = wh.dataset(job.name)
    state = stored_state(wh, job.name, job.account_name) if _readable(wh) else None
    client = spec.build_client(clock, job.account_name)
    plan = None
    try:
        plan = Plan(job.title, job.command, now, now, "")
        plan.limits = {label: (lim.rate, lim.period, lim.daily) for label, lim in client.limiters.items()}
        for c in counted:
            start, end, nightly = _range(job, options, c, state, now)
            plan.start, plan.end = min(plan.start, start), end
            plan.why = ("nightly: from the stored cursor minus the lag" if nightly else
                        "backfill" if job.start is not None else "first load: no cursor stored yet")
            records = lists = 0
            for window in month_windows(start, end, c.window_days) if start < end else []:
                for query in c.passes:
                    found, requests = c.measure(client, window, query)
                    records, lists = records + found, lists + requests
            plan.lines.append(Line(c.resource, "list", lists, c.label))
            new = records
            if nightly:
                new = max(0, records - _rows(wh, dataset, c.table, c.time_column, (start, end)))
            if c.detail:
                plan.lines.append(Line(c.detail.resource, "detail", new, c.detail.label))
            if c.sync:
                # a sync pages back from now to the start: a backfill reads the legs after its range too
                span = (end - start).total_seconds()
                read = new * (now - start).total_seconds() / span if span > 0 and job.start is not None else new
                plan.lines += _sync_lines(wh, dataset, c, client, state, job.name, read, nightly)
        plan.counting = _requests(client)
    finally:
        client.close()
    return plan


def _sync_lines(wh: Warehouse, dataset: str, c: Counted, client: Any, state: dict[str, Any] | None, source: str,
                new_calls: float, nightly: bool) -> list[Line]:
    sync = c.sync
    assert sync is not None
    users = zoom_total(client, sync.users_endpoint, sync.users_label, None)
    resources = (((state or {}).get("sources") or {}).get(source) or {}).get("resources") or {}
    tokens = len((resources.get(sync.tokens_resource) or {}).get("sync_tokens") or {}) if nightly else 0
    calls, legs = _rows(wh, dataset, c.table), _rows(wh, dataset, sync.table)
    per_call = legs / calls if calls and legs else LEGS_PER_CALL
    new_legs = new_calls * per_call
    fresh = max(0, users - tokens)  # users without a token
    requests = tokens + min(tokens, math.ceil(new_legs))  # ISync, and one more for a user with new legs
    if nightly:  # a user without a token after a load had nothing to read (no licence): one refused request
        requests += fresh
    elif fresh:  # FSync, then BSync pages
        requests += fresh * (1 + math.ceil(new_legs / max(1, users) / sync.count))
    return [Line(sync.users_resource, "list", pages(users, sync.users_page_size), sync.users_label),
            Line(sync.resource, "sync", requests, sync.label, estimate=True)]


def _requests(client: Any) -> int:
    stats = client.stats()
    return sum(n for k, n in stats.items() if not k.startswith("_"))


def print_plans(wh: Warehouse, jobs: list[Any], console: Console, clock: Any = None, *, always: bool) -> int:
    """`--plan` (always): print every job's plan to stdout and close the jobs' clients; -> exit code.
    At the start of a real run (not always): the plans of long ranges to stderr, a note for the others."""
    codes = [EXIT_OK]
    for job in jobs:
        try:
            if not always:
                if wh.lock(job.name, job.account_name).holder():  # the run will be refused (busy): it sends no request
                    continue
                days = _longest_days(wh, job, clock)
                if days is not None and days <= LOG_MIN_DAYS:
                    console.note(f"plan {job.title}: not computed for a range of {days:.1f} days (it costs a "
                                 f"request per window and pass; `callpipe {job.command} --plan` prints it)")
                    continue
            lines = plan_job(wh, job, clock).text()
            for line in lines:
                (console.print if always else console.note)(line)
        except Exception as exc:  # noqa: BLE001 - one source's plan failing does not hide the others
            console.error(f"plan {job.title}: {wh.redact(describe(exc))}")
            codes.append(OUTCOME_EXIT[classify(exc)])
        finally:
            if always:
                job.client.close()
    return combine_exit_codes(codes)


def _longest_days(wh: Warehouse, job: Any, clock: Any) -> float | None:
    """Days the job reads (its longest list), from the stored cursors only (no request)."""
    now = to_utc(clock.now() if clock is not None else dt.datetime.now(dt.UTC))
    options = {**source_options(job.spec, job.account), **(job.options.get("source_kwargs") or {})}
    if job.resources:
        options["resources"] = list(job.resources)
    state = stored_state(wh, job.name, job.account_name) if _readable(wh) else None
    spans = [_range(job, options, c, state, now) for c in counted_lists(job.spec, options)]
    if not spans:
        return None
    return max((end - start).total_seconds() / 86400 for start, end, _ in spans)
