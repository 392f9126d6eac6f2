"""One measured pipeline run, in its own process: `python -m bench.child SPEC.json`.

kinds:
- "callpipe": the product path (`pipelines.runner.prepare` + `run_job`, exactly what
  `python -m pipelines run` does) for the zoom_phone source, with the API client
  wrapped to note when each endpoint was called;
- "rest_api": bench/rest_api.py, the baseline (dlt's rest_api source, as a dlt user writes it);
- "zoho": the Zoho Voice source against an in-process sandbox on a frozen SimClock
  (the limiter sleeps on simulated time), analysed from the sandbox's request log;
- "sources": several sources through the product path into one DuckDB file (storm).

The report (JSON, written to spec["result_path"]) holds the wall time, rows per table,
requests per endpoint with first/last send times, dlt stage timings and ru_maxrss.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

MB = 1024 * 1024


class RequestTimes:
    """Wraps `client.get` to note, per endpoint template, how many calls and when."""

    def __init__(self, client: Any):
        self._lock = threading.Lock()
        self.count: dict[str, int] = defaultdict(int)
        self.first: dict[str, float] = {}
        self.last: dict[str, float] = {}
        inner = client.get

        def get(path, params=None, *, label, endpoint=None):
            started = time.perf_counter()
            try:
                return inner(path, params, label=label, endpoint=endpoint)
            finally:
                done = time.perf_counter()
                key = endpoint or path
                with self._lock:
                    self.count[key] += 1
                    self.first.setdefault(key, started)
                    self.last[key] = done

        client.get = get

    def report(self, t0: float) -> dict[str, Any]:
        return {
            key: {"calls": n, "first_s": round(self.first[key] - t0, 3), "last_s": round(self.last[key] - t0, 3)}
            for key, n in sorted(self.count.items())
        }


def maxrss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MB, 1)


class StageTimes:
    """Times dlt's extract / normalize / load calls (the runner calls them one by one) and notes
    the peak RSS after each, so the step that raised the peak can be told."""

    def __init__(self):
        import dlt

        self.seconds: dict[str, float] = defaultdict(float)
        self.peak_after: dict[str, float] = {}
        for step in ("extract", "normalize", "load"):
            original = getattr(dlt.Pipeline, step)

            def timed(pipeline, *args, _original=original, _step=step, **kwargs):
                started = time.perf_counter()
                try:
                    return _original(pipeline, *args, **kwargs)
                finally:
                    self.seconds[_step] += time.perf_counter() - started
                    self.peak_after[_step] = maxrss_mb()

            setattr(dlt.Pipeline, step, timed)

    def report(self) -> dict[str, Any]:
        return {**{k: round(v, 3) for k, v in self.seconds.items()},
                "peak_rss_mb_after": dict(self.peak_after)}


def warehouse(spec: dict[str, Any], source: str = "zoom_phone"):
    from pipelines.warehouse import Warehouse

    dest = spec["destination"]
    names = {"datasets": {source: spec["dataset"]}, "analytics_dataset": spec["dataset"] + "_analytics",
             "runs_dataset": spec["dataset"] + "_runs", "pipelines_dir": spec["pipelines_dir"]}
    if dest["type"] == "duckdb":
        return Warehouse.duckdb(dest["path"], **names)
    return Warehouse.postgres(dest["dsn"], **names)


def run_callpipe(spec: dict[str, Any], report: dict[str, Any]) -> None:
    from pipelines.console import Console
    from pipelines.registry import SOURCES
    from pipelines.runner import prepare, run_job
    from sources.common.windows import to_utc

    stages = StageTimes()
    wh = warehouse(spec)
    spec_source = SOURCES["zoom_phone"]
    # spec["now"]: the pipeline's clock frozen at the sandbox's (a nightly run after the sandbox
    # was advanced a day); otherwise real time
    clock = None
    if spec.get("now"):
        from sandbox.clock import SimClock

        clock = SimClock(start=spec["now"])
    client = spec_source.build_client(clock)
    times = RequestTimes(client)
    t0 = time.perf_counter()
    job = prepare(spec_source, "backfill" if spec.get("end_date") else "run",
                  resources=spec.get("resources"),
                  start=to_utc(spec["start_date"]) if spec.get("start_date") else None,
                  end=to_utc(spec["end_date"]) if spec.get("end_date") else None,
                  clock=clock, client=client, source_kwargs=spec.get("source_args"))
    result = run_job(wh, job, Console(out=sys.stderr, err=sys.stderr, live=False))
    report["wall_s"] = round(time.perf_counter() - t0, 3)
    if result.outcome != "ok":
        raise RuntimeError(f"callpipe run ended {result.outcome}: {result.error}")
    report["rows"] = dict(sorted(result.rows.items()))
    report["endpoints"] = times.report(t0)
    report["client_stats"] = result.requests
    report["stages"] = stages.report()
    report["loader_file_format"] = wh.loader_file_format


def run_sources(spec: dict[str, Any], report: dict[str, Any]) -> None:
    """Several sources through the product path (`callpipe run`), one after the other, into one
    DuckDB file; a source that fails is reported, not raised (the storm scenario compares)."""
    from pipelines.console import Console
    from pipelines.registry import SOURCES
    from pipelines.runner import prepare, run_job
    from pipelines.warehouse import Warehouse

    wh = Warehouse.duckdb(spec["destination"]["path"], pipelines_dir=spec["pipelines_dir"])
    console = Console(out=sys.stderr, err=sys.stderr, live=False)
    report.update(sources={}, rows={}, stats_by_source={})
    t0 = time.perf_counter()
    for name in spec["sources"]:
        started = time.perf_counter()
        result = run_job(wh, prepare(SOURCES[name], "run"), console)
        report["sources"][name] = {"outcome": result.outcome, "error": result.error,
                                   "wall_s": round(time.perf_counter() - started, 3),
                                   "requests": result.total_requests}
        report["stats_by_source"][name] = result.requests
        report["rows"].update({f"{name}.{table}": n for table, n in sorted(result.rows.items())})
    report["wall_s"] = round(time.perf_counter() - t0, 3)


def run_rest_api(spec: dict[str, Any], report: dict[str, Any]) -> None:
    """The baseline (bench/rest_api.py) over [start_date, end_date); rows under callpipe's table
    names (call_history, call_elements), the details' own table apart (callpipe has none)."""
    import dlt

    from bench.rest_api import ELEMENTS_TABLE, pipeline, zoom_call_history
    from sources.common.windows import to_utc

    stages = StageTimes()
    env = os.environ
    dest = spec["destination"]
    destination = (dlt.destinations.duckdb(dest["path"]) if dest["type"] == "duckdb"
                   else dlt.destinations.postgres(dest["dsn"]))
    p = pipeline(destination, spec["dataset"], spec["pipelines_dir"])
    t0 = time.perf_counter()
    source = zoom_call_history(env["SOURCES__ZOOM__BASE_URL"], env["SOURCES__ZOOM__TOKEN_URL"],
                               env["SOURCES__ZOOM__ACCOUNT_ID"], env["SOURCES__ZOOM__CLIENT_ID"],
                               env["SOURCES__ZOOM__CLIENT_SECRET"], to_utc(spec["start_date"]),
                               to_utc(spec["end_date"]))
    info = p.run(source)
    report["wall_s"] = round(time.perf_counter() - t0, 3)
    info.raise_on_failed_jobs()
    counts = p.last_trace.last_normalize_info.row_counts
    report["rows"] = {"call_history": counts.get("call_history", 0), "call_elements": counts.get(ELEMENTS_TABLE, 0)}
    report["other_tables"] = {t: n for t, n in sorted(counts.items())
                              if not t.startswith("_dlt") and t not in ("call_history", ELEMENTS_TABLE)}
    report["stages"] = stages.report()
    report["loader_file_format"] = sorted({job.job_file_info.file_format for package in info.load_packages
                                           for job in package.jobs.get("completed_jobs", [])})


def run_zoho(spec: dict[str, Any], report: dict[str, Any]) -> None:
    """Zoho Voice through the product path, against an in-process sandbox whose frozen SimClock
    is shared with the client and the source: rate-limit waits advance simulated time only."""
    from pipelines.console import Console
    from pipelines.registry import SOURCES
    from pipelines.runner import prepare, run_job
    from sandbox import Sandbox, SandboxConfig
    from sources.common.windows import to_utc

    zoho = SOURCES["zoho_voice"]
    with Sandbox(SandboxConfig(**spec["sandbox"])) as sb:
        client = zoho.build_client(sb.clock, base_url=sb.zoho_base_url, token_url=sb.zoho_token_url,
                                   **sb.zoho_credentials)
        sim0 = sb.clock.monotonic()
        t0 = time.perf_counter()
        job = prepare(zoho, "run", start=to_utc(spec["start_date"]), clock=sb.clock, client=client,
                      source_kwargs={"page_size": spec["page_size"]})
        result = run_job(warehouse(spec, "zoho_voice"), job, Console(out=sys.stderr, err=sys.stderr, live=False))
        report["wall_s"] = round(time.perf_counter() - t0, 3)
        report["outcome"] = result.outcome
        if result.error:
            report["run_error"] = result.error
        report["rows"] = dict(sorted(result.rows.items()))
        report["client_stats"] = result.requests
        report["simulated_s"] = round(sb.clock.monotonic() - sim0, 1)
        log = [(when.timestamp(), status) for when, _method, route, _query, status in sb.request_log
               if route == "GET /rest/json/zv/logs"]
        report["request_times"] = [when for when, _ in log]
        report["lockouts"] = sum(1 for _, status in log if status == 429)


def profiled(run, out: str):
    """cProfile every thread (the detail fetches run in a thread pool); merged stats to `out`."""
    import cProfile
    import pstats

    profilers: list[cProfile.Profile] = []

    def start_thread_profiler(*_args):
        profiler = cProfile.Profile()
        profilers.append(profiler)
        profiler.enable()  # replaces this hook for the rest of the thread

    def wrapped(*args):
        main_profiler = cProfile.Profile()
        profilers.append(main_profiler)
        threading.setprofile(start_thread_profiler)
        main_profiler.enable()
        try:
            return run(*args)
        finally:
            main_profiler.disable()
            threading.setprofile(None)
            for profiler in profilers:
                profiler.disable()
            stats = pstats.Stats(profilers[0])
            for profiler in profilers[1:]:
                try:
                    stats.add(profiler)
                except TypeError:  # a thread that never ran profiled code
                    pass
            stats.dump_stats(out)

    return wrapped


def main(spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    report: dict[str, Any] = {"name": spec["name"], "kind": spec["kind"]}
    run = {"callpipe": run_callpipe, "rest_api": run_rest_api, "zoho": run_zoho, "sources": run_sources}[spec["kind"]]
    if os.environ.get("BENCH_PROFILE"):  # a directory: one <scenario>.pstats per run
        run = profiled(run, str(Path(os.environ["BENCH_PROFILE"]) / f"{spec['name']}.pstats"))
    run(spec, report)
    report["rows_total"] = sum(report.get("rows", {}).values())
    usage = resource.getrusage(resource.RUSAGE_SELF)
    report["ru_maxrss_mb"] = maxrss_mb()
    report["cpu_s"] = round(usage.ru_utime + usage.ru_stime, 2)
    Path(spec["result_path"]).write_text(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1])
