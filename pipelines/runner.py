"""Run machinery shared by `run`, `backfill` and `demo`: one dlt pipeline per source.

    jobs, failed, code = prepare_all([(SOURCES[name], {}) for name in names], "run", console)
    code = run_sources(warehouse, jobs, console)   # run_job per job, then the analytics views

`prepare` builds the API client and instantiates the dlt source (argument errors surface
here, before any request). `run_job` takes the run lock, finishes what an interrupted run
left (pending load packages), then extract -> normalize -> load with the warehouse's loader
format, records the run in the warehouse, and never raises: the outcome is in the result.

A long range (a first load, a catch-up after days off, a backfill) is loaded in parts of at
most `[pipeline] progress_days` per list (sources.common.windowed.Progress): each part is its
own load package carrying the cursors as of its end, so a failure or a kill keeps every part
loaded before it, and the next run starts at the last part's end. The check between two parts
(`_next_part`) is the one place a run may stop early.
"""

from __future__ import annotations

import datetime as dt
import inspect
import itertools
import logging
import os
import socket
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from typing import Any

import dlt
from dlt.common.schema.typing import LOADS_TABLE_NAME as LOADS_TABLE
from dlt.common.schema.typing import PIPELINE_STATE_TABLE_NAME as STATE_TABLE
from dlt.common.storages.load_storage import ParsedLoadJobFileName

from pipelines import runs
from pipelines.accounts import PROVIDERS, Account
from pipelines.console import Console
from pipelines.errors import (
    EXIT_OK,
    EXIT_TERMINATED,
    EXIT_USAGE,
    FAILED,
    INTERRUPTED,
    OK,
    OUTCOME_EXIT,
    PARTIAL,
    QUOTA,
    ConfigError,
    QuotaExhausted,
    Terminated,
    chain,
    classify,
    combine_exit_codes,
    describe,
    root_cause,
)
from pipelines.registry import SourceSpec
from pipelines.warehouse import Warehouse, quote_ident
from sources.common import shaping
from sources.common.args import source_arguments
from sources.common.config import setting
from sources.common.failures import ResourceFailures
from sources.common.windowed import DEFAULT_PROGRESS_DAYS, Progress

log = logging.getLogger(__name__)


@dataclass
class RunLimits:
    """`--max-duration` / `--max-requests` of one command, over all its sources: past either, a
    source stops at its next progress boundary (a finished window or part), loads what it read
    and ends `partial`; the next run goes on from there."""

    max_seconds: float | None = None
    max_requests: int | None = None
    started: float = field(default_factory=time.monotonic)
    requests_before: int = 0  # sent by the sources that ran before in this command

    def reached(self, client: Any) -> str | None:
        """Which limit is reached (a phrase), or None."""
        if self.max_seconds is not None and time.monotonic() - self.started >= self.max_seconds:
            return f"--max-duration {self.max_seconds:g}s reached"
        if self.max_requests is not None:
            sent = self.requests_before + total_requests(_client_stats(client))
            if sent >= self.max_requests:
                return f"--max-requests {self.max_requests} reached ({sent} sent)"
        return None


def total_requests(stats: dict[str, int]) -> int:
    """HTTP requests sent: API attempts (incl. retries) plus token requests (client.stats())."""
    return sum(n for k, n in stats.items() if not k.startswith("_")) + stats.get("_token", 0)


@dataclass
class Job:
    spec: SourceSpec
    command: str  # run | backfill | demo
    source: Any  # the instantiated DltSource
    client: Any
    resources: list[str] | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    options: dict[str, Any] = field(default_factory=dict)  # prepare() arguments, for fresh()
    failures: ResourceFailures | None = None  # resources that stopped alone (sources.common.failures)
    progress: Progress | None = None  # how much of a long range one part reads (sources.common.windowed)
    limits: RunLimits | None = None
    stopped: str | None = None  # why the run stopped at a boundary before the end (a limit)
    account: Account | None = None  # None: the default account
    row_label: str | None = None  # the `source_account` of the rows it loads (None: not known)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def account_name(self) -> str | None:
        """The account's name for the warehouse's pipeline / lock (None: default)."""
        return None if self.account is None or self.account.is_default else self.account.name

    @property
    def title(self) -> str:
        """`zoom_phone`, or `zoom_phone/emea` for a named account: how output names the job."""
        return self.account.title(self.name) if self.account is not None else self.name

    def fresh(self) -> Job:
        """The same job built again: defaults that depend on "now" (six months back...) are
        computed when the source actually starts, not when the whole run was validated."""
        fresh = prepare(self.spec, self.command, **self.options)
        if self.options.get("client") is None:  # an injected client is reused as it is
            self.client.close()
        return fresh

    def next_part(self) -> None:
        """The source again, for the next part of a long range: same client, failures (a resource
        that failed is not tried again) and progress (a backfill's boundaries)."""
        self.progress.more.clear()
        self.progress.part += 1
        self.failures.new_part()
        self.source = prepare(self.spec, self.command, **{**self.options, "client": self.client},
                              failures=self.failures, progress=self.progress).source


@dataclass
class SourceResult:
    source: str
    outcome: str  # ok | failed | quota | busy | interrupted
    seconds: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)  # rows handed to the loader, per table
    # per table after a successful load: {new, updated, unchanged, total} (pipelines.runs.table_counts)
    tables: dict[str, dict[str, int | None]] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)
    load_ids: list[str] = field(default_factory=list)
    error: str | None = None
    retry_at: dt.datetime | None = None
    exception: BaseException | None = None
    notes: list[str] = field(default_factory=list)
    terminated: bool = False  # interrupted by SIGTERM rather than Ctrl-C

    @property
    def exit_code(self) -> int:
        return EXIT_TERMINATED if self.terminated else OUTCOME_EXIT[self.outcome]

    @property
    def total_requests(self) -> int:
        return total_requests(self.requests)

    def summary(self) -> str:
        """The line printed per source; after a successful load, one line per table under it."""
        retries = self.requests.get("_retries", 0)
        sent = f"{self.total_requests}" + (f" ({retries} retries)" if retries else "")
        head = f"{self.source:<20} {self.outcome.upper():<6} {self.seconds:7.1f}s  requests {sent:<6}"
        if self.outcome not in (OK, PARTIAL):
            return f"{head} {self.error or ''}".rstrip()
        if self.outcome == PARTIAL:
            head = f"{head} {self.error}"
        if self.tables:
            return "\n".join([f"{head} rows: {runs.describe_sums(self.tables)}",
                              *runs.describe_tables(self.tables, indent="    ")])
        # the tables could not be counted: what was handed to the loader
        rows = ", ".join(f"{t} {n}" for t, n in sorted(self.rows.items())) or "no new rows"
        return f"{head} rows loaded: {rows}"


def iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def prepare(
    spec: SourceSpec,
    command: str,
    *,
    resources: list[str] | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    clock: Any = None,
    client: Any = None,
    client_overrides: dict[str, Any] | None = None,
    source_kwargs: dict[str, Any] | None = None,
    limits: RunLimits | None = None,
    failures: ResourceFailures | None = None,
    progress: Progress | None = None,
    account: Account | None = None,
) -> Job:
    """Build the client and the dlt source of `account` (None: the default one). Raises
    ConfigError (exit 2) on bad settings/arguments. `failures` and `progress` are given for the
    next part of a run (Job.next_part)."""
    account = account or Account(PROVIDERS[spec.provider])
    options = dict(resources=resources, start=start, end=end, clock=clock, client=client,
                   client_overrides=client_overrides, source_kwargs=source_kwargs, limits=limits, account=account)
    function = spec.function()
    if client is None:
        client = spec.build_client(clock, account.name, **(client_overrides or {}))
    kwargs: dict[str, Any] = dict(source_kwargs or {})
    if not account.is_default:
        kwargs.setdefault("account_name", account.label(spec.name))
    if resources:
        kwargs["resources"] = list(resources)
    if start is not None:
        kwargs["start_date"] = iso(start)
    if end is not None:
        kwargs["end_date"] = iso(end)
    if clock is not None:
        kwargs["clock"] = clock
    failures = failures if failures is not None else ResourceFailures(spec.name)
    parameters = inspect.signature(function).parameters
    if "failures" in parameters:
        kwargs["failures"] = failures
    try:
        if progress is None:
            progress = Progress(setting("pipeline.progress_days", DEFAULT_PROGRESS_DAYS, cast=float, minimum=0,
                                        what="days of a list loaded per part of a long run (0: no parts)"))
            if limits is not None:
                progress.stop = lambda: limits.reached(client)
        if "progress" in parameters:
            kwargs["progress"] = progress
        kwargs = {**source_arguments(spec.name, function, {**kwargs, "client": client},
                                     account.args_sections(spec.name)), **kwargs}
        source = shaping.keyed_by_account(shaping.fit_pages(function(client=client, **kwargs)))
    except BaseException:
        client.close()
        raise
    label = kwargs.get("account_name", parameters.get("account_name"))
    label = label.default if isinstance(label, inspect.Parameter) else label
    return Job(spec, command, source, client, resources, start, end, options, failures, progress, limits,
               account=account, row_label=label if isinstance(label, str) else None)


def _client_stats(client: Any) -> dict[str, int]:
    try:
        return {str(k): int(v) for k, v in (client.stats() or {}).items()}
    except Exception:  # noqa: BLE001 - stats are informative only
        return {}


def _retry_at(exc: BaseException) -> dt.datetime | None:
    cause = root_cause(exc)
    return getattr(cause, "retry_at", None) if isinstance(cause, QuotaExhausted) else None


def _safe(console: Console, what: str, fn, *args, **kwargs) -> Any:
    """Run record / bookkeeping: a failure here is reported but never fails the load."""
    try:
        return fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001
        console.note(f"warning: could not {what}: {describe(exc)}")
        return None


def run_job(wh: Warehouse, job: Job, console: Console) -> SourceResult:
    """Run one source end to end into `wh`. Never raises (except KeyboardInterrupt)."""
    t0 = time.monotonic()
    name, account, title = job.name, job.account_name, job.title
    run_id = f"{title.replace('/', '-')}-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    result = SourceResult(title, OK)
    lock = wh.lock(name, account)
    try:
        lock.acquire(command=job.command, run_id=run_id)
    except Exception as exc:  # noqa: BLE001 - held (busy) or the warehouse unreachable (failed)
        job.client.close()
        result.outcome, result.error, result.exception = classify(exc), wh.redact(describe(exc)), exc
        result.seconds = time.monotonic() - t0
        return result

    def on_wait() -> None:
        console.step(title, "waiting for the warehouse (another callpipe load is writing to it)")

    recorded = False
    try:
        with wh.db_lock(on_wait=on_wait):
            # we hold the lock: a record of this source still `running` is a run that died
            unfinished = _safe(console, "read the run records", _unfinished_runs, wh, name, account) or []
        previous = lock.stale or (unfinished[0] if unfinished else None)
        if previous:
            console.step(title, f"the previous run (pid {previous.get('pid', '?')}, started "
                               f"{previous.get('started_at', '?')}) did not finish: resuming from where it stopped")
            result.notes.append("resumed after an interrupted run")
            dead = {r["run_id"] for r in unfinished} | ({previous["run_id"]} if previous.get("run_id") else set())
            with wh.db_lock(on_wait=on_wait):
                for dead_id in sorted(dead):
                    _safe(console, "mark the interrupted run", runs.mark_interrupted, wh, dead_id)
        with wh.db_lock(on_wait=on_wait):
            recorded = bool(_safe(console, "write the run record", _start_record, wh, job, run_id))
        pipeline = wh.pipeline(name, progress=console.collector(title), account=account)
        with wh.db_lock(on_wait=on_wait):
            before = _safe(console, "count the tables", runs.table_totals, wh, wh.dataset(name), job.row_label)
            console.step(title, f"sync state with {wh.describe()} dataset {wh.dataset(name)}")
            pipeline.sync_destination()
            if pipeline.has_pending_data:
                console.step(title, "loading the pending packages of an interrupted run first")
                if pipeline.list_extracted_load_packages():
                    pipeline.normalize()
                settle_committed_jobs(wh, pipeline)
                if pipeline.list_normalized_load_packages():
                    info = pipeline.load(workers=_load_workers())
                    info.raise_on_failed_jobs()
                    result.load_ids.extend(info.loads_ids)
        what = job.command
        if job.start or job.end:
            what += f" {iso(job.start) or '...'} .. {iso(job.end) or 'now'}"
        unchanged: dict[str, int] = {}
        for part in itertools.count(1):
            selected = list(job.source.selected_resources)
            step = f"part {part}: " if part > 1 else ""
            console.step(title, f"{step}extract ({what}; {len(selected)} resources: {', '.join(selected)})")
            extracted = pipeline.extract(job.source, loader_file_format=wh.loader_file_format)
            for table, n in runs.unchanged_rows(extracted, job.source).items():
                unchanged[table] = unchanged.get(table, 0) + n
            console.step(title, f"{step}normalize")
            norm = pipeline.normalize()
            for table, n in ((norm.row_counts or {}) if norm is not None else {}).items():
                if not table.startswith("_dlt"):
                    result.rows[table] = result.rows.get(table, 0) + int(n)
            with wh.db_lock(on_wait=on_wait):
                console.step(title, f"{step}load into {wh.describe()} ({wh.loader_file_format})")
                info = pipeline.load(workers=_load_workers())
                if info is not None:
                    info.raise_on_failed_jobs()
                    result.load_ids.extend(info.loads_ids)
            if not _next_part(job, console):
                break
        if before is not None:
            with wh.db_lock(on_wait=on_wait):
                result.tables = _safe(console, "count the rows of this run", lambda: runs.table_counts(
                    wh, wh.dataset(name), before, result.load_ids, unchanged, job.row_label)) or {}
        if job.failures:  # the other resources loaded; the run still failed
            loaded = ", ".join(f"{t} {n}" for t, n in sorted(result.rows.items())) or "no new rows"
            result.outcome = FAILED
            result.error = wh.redact(f"{job.failures.describe()} (the other resources loaded: {loaded})")
        elif job.stopped:
            result.outcome, result.error = PARTIAL, job.stopped
    except BaseException as exc:  # noqa: BLE001 - every failure becomes this source's outcome
        # Ctrl-C / SIGTERM stop the whole command, even when dlt wrapped them in PipelineStepFailed
        stop = next((e for e in chain(exc) if isinstance(e, KeyboardInterrupt)), None)
        if stop is not None:
            result.terminated = isinstance(stop, Terminated)
            why = "SIGTERM" if result.terminated else "Ctrl-C"
            result.outcome, result.error = INTERRUPTED, f"interrupted ({why}); the next run resumes from here"
            raise stop from None
        result.outcome = classify(exc)
        result.error = wh.redact(describe(exc))
        result.exception = exc
        result.retry_at = _retry_at(exc)
        if result.outcome == QUOTA:
            when = (f"after {result.retry_at:%Y-%m-%d %H:%M} UTC" if result.retry_at
                    else "later (tomorrow for a daily quota)")
            result.error += f" -- resumable: nothing is lost, run again {when}"
        if console.verbose:
            console.note(wh.redact("".join(traceback.format_exception(exc))))
    finally:
        result.seconds = time.monotonic() - t0
        result.requests = _client_stats(job.client)
        _safe(console, "close the API client", job.client.close)
        try:
            if recorded:
                with wh.db_lock(on_wait=on_wait):
                    _safe(console, "update the run record", _end_record, wh, run_id, result)
        except Exception as exc:  # noqa: BLE001 - e.g. the DuckDB file stayed busy
            console.note(f"warning: could not update the run record: {describe(exc)}")
        finally:
            lock.release()
    return result


def _next_part(job: Job, console: Console) -> bool:
    """After a part was loaded: True (and the source made again) when a list stopped at a progress
    boundary. The one place between two clean boundaries: a run that stops early stops here."""
    if job.progress is None or not job.progress.more:
        return False
    lists = ", ".join(sorted(job.progress.more))
    reason = job.limits.reached(job.client) if job.limits else None
    if reason:
        job.stopped = (f"{reason}: stopped at a progress boundary of {lists} after loading what it read "
                       "-- resumable: the next run continues from there")
        return False
    console.step(job.title, f"loaded up to a progress boundary ({lists}); reading the next part")
    job.next_part()
    return True


def _unfinished_runs(wh: Warehouse, source: str, account: str | None) -> list[dict[str, Any]]:
    return [r for r in runs.recent(wh, source, wh.dataset(source), account=account) if r.get("outcome") == "running"]


def settle_committed_jobs(wh: Warehouse, pipeline: dlt.Pipeline) -> None:
    """Write down what a killed run's destination committed but the run never noted.

    dlt notes a job as done only after the destination committed it, so a `kill -9` in between
    makes the next load run it again. Merge jobs (our tables) are idempotent; two writes are not:
    the package's state row (append; on Postgres a unique `_dlt_id`, so every later run failed
    with UniqueViolation) and its `_dlt_loads` row (would be written twice). Both carry the
    load id: a state job whose row is there is noted as completed (dlt's own resume marker), a
    package whose `_dlt_loads` row is there is moved to loaded (every job of it was done).
    """
    storage = pipeline._get_load_storage()  # noqa: SLF001 - dlt has no public call for this
    packages = storage.normalized_packages
    dataset = pipeline.dataset_name
    for load_id in storage.list_normalized_packages():
        if _committed(wh, dataset, LOADS_TABLE, "load_id", load_id):
            storage.complete_load_package(load_id, False)
            continue
        for path in packages.list_started_jobs(load_id):
            file_name = os.path.basename(path)
            if (ParsedLoadJobFileName.parse(file_name).table_name == STATE_TABLE
                    and packages.load_pending_transition(load_id, file_name) is None
                    and _committed(wh, dataset, STATE_TABLE, "_dlt_load_id", load_id)):
                packages.save_pending_transition(load_id, file_name, "completed")


def _committed(wh: Warehouse, dataset: str, table: str, column: str, load_id: str) -> bool:
    if table not in wh.tables(dataset):
        return False
    sql = f"SELECT 1 FROM {wh.qualified(dataset, table)} WHERE {quote_ident(column)} = ? LIMIT 1"
    return bool(wh.query(sql, [load_id]))


def _load_workers() -> int:
    value = dlt.config.get("load.workers", int)
    return int(value) if value else 4


def _start_record(wh: Warehouse, job: Job, run_id: str) -> bool:
    runs.record_start(wh, {
        "run_id": run_id,
        "pipeline_name": wh.pipeline_name(job.name, job.account_name),
        "source": job.name,
        "account": job.account.name if job.account is not None else "default",
        "dataset": wh.dataset(job.name),
        "command": job.command,
        "resources": ",".join(job.resources) if job.resources else None,
        "range_start": job.start,
        "range_end": job.end,
        "started_at": dt.datetime.now(dt.UTC),
        "outcome": "running",
        "host": socket.gethostname(),
        "pid": os.getpid(),
    })
    return True


def _end_record(wh: Warehouse, run_id: str, result: SourceResult) -> None:
    runs.record_end(
        wh, run_id,
        outcome=result.outcome,
        exit_code=result.exit_code,
        seconds=round(result.seconds, 3),
        rows_loaded=sum(result.rows.values()),
        rows_json=result.rows,
        **({f"rows_{k}": n for k, n in runs.sums(result.tables).items()} if result.tables else {}),
        tables_json=result.tables or None,
        requests=result.total_requests,
        requests_json=result.requests,
        load_ids=result.load_ids,
        error=result.error,
        retry_at=result.retry_at,
    )


def refresh_analytics(wh: Warehouse, console: Console) -> list[str]:
    """Rebuild the analyst views (pipelines.analytics); a failure is reported, not raised."""
    from pipelines import analytics

    try:
        with wh.db_lock():
            views = analytics.refresh_views(wh) or []
    except Exception as exc:  # noqa: BLE001
        console.note(f"warning: analytics views not refreshed: {wh.redact(describe(exc))}")
        if console.verbose:
            console.note(wh.redact("".join(traceback.format_exception(exc))))
        return []
    if views:
        console.step("analytics", f"refreshed {len(views)} views in dataset {wh.analytics_dataset}")
    return list(views)


def prepare_all(plan: list[tuple[SourceSpec, dict[str, Any]]], command: str, console: Console,
                clock: Any = None) -> tuple[list[Job], list[SourceResult], int]:
    """Prepare every job (`prepare(spec, command, **kwargs)`) before running any: a configuration
    error stops everything (exit 2); a source that cannot be imported fails alone."""
    jobs, failed = [], []
    code = EXIT_OK
    for spec, kwargs in plan:
        try:
            jobs.append(prepare(spec, command, clock=clock, **kwargs))
        except ConfigError as exc:
            console.error(f"{spec.name}: {describe(exc)}")
            code = EXIT_USAGE
        except ImportError as exc:  # a source package missing/broken: the others still run
            console.error(f"{spec.name}: cannot import the source ({describe(exc)})")
            failed.append(SourceResult(spec.name, FAILED, error=describe(exc)))
    if code == EXIT_USAGE:
        for job in jobs:
            job.client.close()
        console.note("nothing was loaded: fix the configuration above and run again")
        return [], failed, EXIT_USAGE
    return jobs, failed, code


def accounts_at_once() -> int:
    """`[pipeline] accounts_at_once` (env PIPELINE__ACCOUNTS_AT_ONCE): accounts loaded side by side."""
    from sources.common.config import setting

    return int(setting("pipeline.accounts_at_once", DEFAULT_ACCOUNTS_AT_ONCE, minimum=1))


DEFAULT_ACCOUNTS_AT_ONCE = 2


def run_sources(wh: Warehouse, jobs: list[Job], console: Console, *, refresh_views: bool = True,
                at_once: int | None = None) -> int:
    """Run prepared jobs and print a summary line each; returns the exit code.

    The jobs of one account (Zoom Phone and Contact Center share a Zoom account's limits) run one
    after the other; `at_once` accounts (default `accounts_at_once()`) run side by side, each in a
    thread of its own within its own rate limiters. A failing account does not stop the others;
    Ctrl-C / SIGTERM stops them all (each records `interrupted` and releases its lock)."""
    groups: dict[tuple[str, str], list[Job]] = {}
    for job in jobs:
        account = job.account or Account(PROVIDERS[job.spec.provider])
        groups.setdefault((account.provider, account.name), []).append(job)
    at_once = min(at_once or accounts_at_once(), len(groups)) or 1
    if any(job.limits is not None and job.limits.max_requests is not None for job in jobs):
        at_once = 1  # --max-requests counts every request of the command: accounts one after the other
    results: list[SourceResult] = []

    def run_group(group: list[Job], first: bool) -> None:
        for index, job in enumerate(group):
            if index or not first:  # rebuilt right before it runs (validated with the others up front)
                try:
                    job = job.fresh()
                except Exception as exc:  # noqa: BLE001 - keep the validated one
                    console.note(f"warning: {job.title}: could not rebuild the source ({describe(exc)})")
            result = run_job(wh, job, console)
            if job.limits is not None:  # a time box covers the whole command
                job.limits.requests_before += result.total_requests
            results.append(result)
            console.print(result.summary())

    if at_once == 1:
        for number, group in enumerate(groups.values()):
            run_group(group, number == 0)
    else:
        _side_by_side([lambda g=g: run_group(g, True) for g in groups.values()], at_once)
    if refresh_views and any(r.outcome in (OK, PARTIAL) for r in results):
        refresh_analytics(wh, console)
    code = combine_exit_codes([r.exit_code for r in results])
    bad = [r for r in results if r.outcome != OK]
    if bad:
        console.note(f"{len(bad)} of {len(results)} sources did not finish: "
                     + ", ".join(f"{r.source} {r.outcome}" for r in bad) + f" (exit code {code})")
    return code


def _side_by_side(tasks: list[Any], at_once: int) -> None:
    """Run `tasks` in `at_once` threads. Ctrl-C / SIGTERM arrive in the main thread: the same
    exception is raised in every running task (each stops as a single run would: recorded
    `interrupted`, lock released), the tasks not started are dropped, then it is re-raised."""
    import concurrent.futures
    import ctypes

    threads: dict[int, int] = {}  # task index -> thread id

    def task(index: int, run: Any) -> None:
        threads[index] = threading.get_ident()
        run()

    pool = concurrent.futures.ThreadPoolExecutor(max_workers=at_once, thread_name_prefix="callpipe-account")
    futures = [pool.submit(task, index, run) for index, run in enumerate(tasks)]
    try:
        pending = set(futures)
        while pending:  # a short timeout keeps the main thread receptive to signals
            _, pending = concurrent.futures.wait(pending, timeout=0.5)
    except KeyboardInterrupt as stop:
        for index, future in enumerate(futures):
            if not future.cancel() and not future.done() and index in threads:
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(threads[index]),
                                                           ctypes.py_object(type(stop)))
        pool.shutdown(wait=True)
        raise
    pool.shutdown(wait=True)
    for future in futures:
        if future.exception() is not None:
            raise future.exception()
