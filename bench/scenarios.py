"""The benchmark scenarios and their sizes.

bulk      sandbox with rate limits off and no latency; the client's limits raised to
          100000/s (so neither side throttles): zoom_phone call_logs + call_log_details
          (-> call_log_legs) + call_history + call_history_details (-> call_elements),
          every detail request made, into a fresh DuckDB file.
rest_api  the baseline a dlt user would write instead (bench/rest_api.py: dlt's rest_api
          source, list + detail as a dependent resource), then callpipe, on the very same
          slice of call history (`rest_api_days` whole days, call_history + call_elements),
          side by side twice: latency 0 with rate limits off on both sides (rest_api_calls),
          and latency 50 ms with the sandbox enforcing Zoom's limits and callpipe at its
          defaults (rest_api_latency_calls). rows/s and peak RSS as callpipe/rest_api ratios;
          both must load the same rows.
requests  requests per loaded call on the sandbox's default mix (its default users, calls a
          day and days; call_history, call_history_details, user_call_history, users): a
          first load, then a nightly run after the sandbox's clock moved a day. Requests
          (list, detail, sync, users; counted by the sandbox per route) / calls loaded, and
          the first load projected for a 5,000-calls-a-day account at Business+ limits.
postgres  the bulk load into PostgreSQL (csv / COPY, the warehouse's format) of a slice of the
          same sandbox: 10k calls (5k with --quick). Its extraction is the bulk's again (the
          Postgres-specific part, csv normalize + COPY, is ~6% of the run), and all 100k (~6
          more minutes) would not fit the 15-minute budget: `--only postgres --postgres-calls
          100000` runs that.
list      call_logs + call_history without details (Heavy list endpoints only) at 1M calls
          (its own sandbox): rows/s, and memory against the 100k bulk load.
fanout    sandbox with 50 ms latency enforcing Zoom's limits (Light 40/s); the client at
          its defaults (Light 40/s): a full nightly load of every zoom_phone resource,
          detail requests/s as a share of the 40/s budget, 429s, legs/elements expected
          (sandbox truth) vs loaded. Then `noop`: the same nightly run again right away.
zoho      Zoho Voice, `zoho_pages` pages of 100 logs, in-process sandbox on a frozen
          SimClock shared with the client (rate waits cost no real time): the most
          requests in any 60 s of simulated time, and lock-outs.
storm     only when named (`--only storm`, about 1-2 min): a first load of the three
          sources against a clean sandbox, then against the same world in a fault storm
          (30 % 429 with Retry-After in seconds / as an HTTP date / none, 5 % 5xx, 2 %
          dropped connections, 1 % truncated JSON, access tokens dying every 100 requests),
          in real time: requests, retries, faults served, time against the clean run, and
          every table compared with the clean run's (all columns but dlt's).

Every pipeline runs in its own process (bench.child) with its memory sampled; the
sandbox serves from another process, so neither its CPU nor its memory is counted.
"""

from __future__ import annotations

import datetime as dt
import math
import traceback
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.harness import SandboxProcess, run_child, workdir
from sandbox.config import SandboxConfig
from sandbox.zoom import LABELS as ZOOM_LABELS
from sources.common.windows import lookback_start
from sources.common.windows import zoom_time as iso
from sources.zoom_phone.settings import ALL_RESOURCES as ZOOM_PHONE_ALL

SEED = 7
BULK_RESOURCES = ["call_logs", "call_log_details", "call_history", "call_history_details"]
LIST_RESOURCES = ["call_logs", "call_history"]
REST_API_RESOURCES = ["call_history", "call_history_details"]  # what the rest_api baseline reads
REST_API_LATENCIES_MS = (0, 50)
# whole days between the slice and the sandbox's "now": a late arrival (visible hours after the
# call) cannot land in the slice between the baseline's run and callpipe's
REST_API_GAP_DAYS = 2
# Business+ limits (requests/s per label; Heavy also per day) for the first-load projection
BUSINESS_PLUS = {"heavy": 10, "medium": 20, "light": 40}
BUSINESS_PLUS_HEAVY_DAILY = 30_000
PROJECTED_CALLS_PER_DAY = 5_000
DETAIL_ENDPOINTS = ("/phone/call_logs/{", "/phone/call_history/{")
# "limits off": the sandbox enforces none, and the client's limiters are raised out of the way
RAISED_CLIENT_LIMITS = {
    "SOURCES__ZOOM__RATE_LIMITS__LIGHT": "100000",
    "SOURCES__ZOOM__RATE_LIMITS__MEDIUM": "100000",
    "SOURCES__ZOOM__RATE_LIMITS__HEAVY": "100000",
    "SOURCES__ZOOM__RATE_LIMITS__HEAVY_DAILY": "100000000",
}
LIGHT_BUDGET = 40  # requests/s: Zoom Business+ Light, the client default and the sandbox's limit
FANOUT_LATENCY_MS = 50
ZOHO_PAGE_SIZE = 100
ZOHO_PER_MINUTE = 30
QUIET = ["--cc-calls-per-day", "0", "--zoho-calls-per-day", "0"]
STORM_SOURCES = ["zoom_phone", "zoom_contact_center", "zoho_voice"]
# issue 14's storm; a Zoho 429 always carries its Retry-After (without one it is the lock-out)
STORM_FAULTS = ["--error-429-rate", "0.30", "--error-429-retry-after", "mixed", "--error-5xx-rate", "0.05",
                "--drop-rate", "0.02", "--malformed-rate", "0.01", "--token-expires-after", "100"]


@dataclass(frozen=True)
class Profile:
    name: str
    bulk_calls: int  # DuckDB (and Postgres) load with every detail
    # days of history the bulk/list sandboxes hold: all inside Zoom's six months, and spread
    # thin enough that one 30-day window of call_logs plus one of call_history (read side by
    # side) stay within the sandbox's 400k-item query cache (1M calls: 2 x 167k)
    days: int
    rest_api_calls: int  # calls in the slice the rest_api baseline and callpipe read at latency 0
    rest_api_latency_calls: int  # the same at 50 ms (rate-limited: ~20 calls/s for the baseline)
    postgres_calls: int  # the bulk load into Postgres (a slice when below bulk_calls; 0: skipped)
    list_calls: tuple[int, ...]  # list-only loads
    fanout_calls: int
    fanout_days: int
    zoho_pages: int
    users: int = 50
    fanout_users: int = 8
    # the storm's world: Zoom Phone calls a day (Contact Center and Zoho: half as many), days, users
    storm_calls_per_day: int = 24
    storm_days: int = 12
    storm_users: int = 4
    rest_api_days: int = 4
    mix_days: int | None = None  # days of the default mix (None: the sandbox's default)

    def describe(self) -> dict[str, Any]:
        return asdict(self)


PROFILES = {
    # About 15 minutes on 2 cores (17 on a shared VM): the 100k bulk (~4-5.5 min, bound by per-request
    # HTTP cost) and the 1M list load (~4.5-9 min) are most of it, so the rest runs on slices. The rest_api
    # baseline fetches details one after another: at 50 ms ~20 calls/s, hence its smaller slice.
    "full": Profile("full", bulk_calls=100_000, days=180, rest_api_calls=2_000, rest_api_latency_calls=1_000,
                    postgres_calls=10_000, list_calls=(1_000_000,), fanout_calls=600, fanout_days=6,
                    zoho_pages=200),
    "quick": Profile("quick", bulk_calls=100_000, days=180, rest_api_calls=1_000, rest_api_latency_calls=500,
                     postgres_calls=5_000, list_calls=(), fanout_calls=400, fanout_days=4, zoho_pages=200),
    "toy": Profile("toy", bulk_calls=300, days=5, rest_api_calls=120, rest_api_latency_calls=60, postgres_calls=0,
                   list_calls=(600,), fanout_calls=60, fanout_days=2, zoho_pages=4, users=6, fanout_users=4,
                   storm_calls_per_day=4, storm_days=2, storm_users=2, rest_api_days=2, mix_days=8),
}


def sandbox_start() -> dt.datetime:
    """The sandboxes' "now" (frozen, or running from there): the current minute, so the
    pipeline's real clock agrees with it."""
    return dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)


def per_day(calls: int, days: int) -> int:
    return max(1, math.ceil(calls / days))


def rate(rows: int, seconds: float) -> float:
    return round(rows / seconds, 1) if seconds else 0.0


class Bench:
    def __init__(self, profile: Profile, postgres_dsn: str | None = None, only: list[str] | None = None,
                 extra_env: dict[str, str] | None = None):
        self.p = profile
        self.extra_env = dict(extra_env or {})
        self.postgres_dsn = postgres_dsn if profile.postgres_calls else None
        self.only = set(only or [])
        self.start = sandbox_start()
        self.results: dict[str, dict[str, Any]] = {}

    def wanted(self, name: str) -> bool:
        return not self.only or name in self.only

    # ------------------------------------------------------------------ plumbing
    def _record(self, name: str, fn, *args) -> None:
        print(f"[bench] {name} ...", flush=True)
        try:
            self.results[name] = fn(*args)
        except Exception as exc:  # noqa: BLE001 - one failed scenario must not hide the others
            self.results[name] = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
        result = self.results[name]
        summary = result.get("error") or ", ".join(
            f"{k} {result[k]}" for k in ("wall_s", "rows_total", "rows_per_s", "peak_rss_mb") if k in result)
        print(f"[bench] {name}: {summary}", flush=True)

    def _run(self, spec: dict[str, Any], env: dict[str, str] | None = None,
             sb: SandboxProcess | None = None) -> dict[str, Any]:
        """A measured child run; --env settings go last (they win over the scenario's)."""
        return run_child(spec, {**(env or {}), **self.extra_env}, sandbox=sb)

    def _spec(self, name: str, kind: str, tmp: Path, **extra: Any) -> dict[str, Any]:
        spec = {"name": name, "kind": kind, "dataset": "zoom_phone", "pipelines_dir": str(tmp / "pipelines"),
                "destination": {"type": "duckdb", "path": str(tmp / "warehouse.duckdb")}}
        spec.update(extra)
        return spec

    @staticmethod
    def _finish(result: dict[str, Any], **facts: Any) -> dict[str, Any]:
        result["rows_per_s"] = rate(result["rows_total"], result["wall_s"])
        result.update(facts)
        return result

    def _sandbox(self, calls: int, days: int, users: int, **kw: Any) -> SandboxProcess:
        # the sandbox regenerates evicted days on demand; call_logs and call_history are read
        # side by side, so a cache smaller than the world thrashes and the sandbox becomes the
        # bottleneck (its memory is not charged to the pipeline)
        cache = ["--max-cached-calls", str(max(300_000, int(calls * 1.1)))]
        return SandboxProcess(seed=SEED, users=users, calls_per_day=per_day(calls, days), days=days,
                              start=iso(self.start), extra=QUIET + cache, **kw)

    # ------------------------------------------------------------------ scenarios
    def run_all(self) -> dict[str, dict[str, Any]]:
        p = self.p
        if self.wanted("rest_api"):
            for latency_ms in REST_API_LATENCIES_MS:
                self.rest_api_side_by_side(latency_ms)
        if self.wanted("requests"):
            self._record("requests_per_call", self.requests_per_call)
        if self.wanted("bulk") or self.wanted("postgres"):
            try:
                with self._sandbox(p.bulk_calls, p.days, p.users, rate_limits=False) as sb:
                    env = {**sb.env(), **RAISED_CLIENT_LIMITS}
                    if self.wanted("bulk"):
                        self._record("bulk_duckdb", self.bulk_duckdb, sb, env)
                    if self.wanted("postgres"):
                        if self.postgres_dsn:
                            self._record("bulk_postgres", self.bulk_postgres, sb, env)
                        else:
                            self.results["bulk_postgres"] = {"skipped": "profile without Postgres or --no-postgres"}
            except RuntimeError as exc:
                self.results["bulk_sandbox"] = {"error": str(exc)}
        if self.wanted("list"):
            for calls in p.list_calls:
                self._record(f"list_only_{calls}", self.list_only, calls)
        if self.wanted("fanout"):
            self._record("fanout", self.fanout)
        if self.wanted("zoho"):
            self._record("zoho", self.zoho)
        if "storm" in self.only:  # not part of the timed full run
            self._record("storm", self.storm)
        return self.results

    def slice_range(self, calls: int) -> tuple[dt.datetime | None, dt.datetime | None, int]:
        """Whole days at the old end of the bulk sandbox holding about `calls` calls
        -> (start, end, exact calls); (None, None, all) when `calls` is the whole sandbox."""
        p = self.p
        daily = per_day(p.bulk_calls, p.days)
        if calls >= p.bulk_calls:
            return None, None, daily * p.days
        first = dt.datetime.combine(self.start.date(), dt.time(), dt.UTC) - dt.timedelta(days=p.days - 1)
        days = max(1, round(calls / daily))
        return first, first + dt.timedelta(days=days), days * daily

    def _load(self, name: str, kind: str, sb: SandboxProcess, env: dict[str, str], calls: int,
              **spec: Any) -> dict[str, Any]:
        """One load of (a slice of) the bulk sandbox; a slice is a backfill of its date range."""
        start, end, exact = self.slice_range(calls)
        if start is not None:
            spec.update(start_date=iso(start), end_date=iso(end))
        sb.reset_stats()
        with workdir() as tmp:
            result = self._run(self._spec(name, kind, tmp, **spec), env, sb)
        facts: dict[str, Any] = {"calls": exact, "sandbox_requests": sb.stats()["requests"]}
        if start is not None:
            facts["slice"] = [iso(start), iso(end)]
        return self._finish(result, **facts)

    def rest_api_side_by_side(self, latency_ms: int) -> None:
        """The rest_api baseline, then callpipe, on one slice of one sandbox: results
        `rest_api_<latency>ms` and `callpipe_<latency>ms` (with `same_rows_as_rest_api`)."""
        p = self.p
        calls = p.rest_api_latency_calls if latency_ms else p.rest_api_calls
        limited = latency_ms > 0  # with latency, as in production: Zoom's limits on both sides
        days = p.rest_api_days + REST_API_GAP_DAYS
        end = dt.datetime.combine(self.start.date(), dt.time(), dt.UTC) - dt.timedelta(days=REST_API_GAP_DAYS)
        start = end - dt.timedelta(days=p.rest_api_days)
        names = {"rest_api": f"rest_api_{latency_ms}ms", "callpipe": f"callpipe_{latency_ms}ms"}
        try:
            with SandboxProcess(seed=SEED, users=p.users, calls_per_day=per_day(calls, p.rest_api_days), days=days,
                                start=iso(self.start), latency_ms=latency_ms, rate_limits=limited,
                                follow=limited, extra=QUIET) as sb:
                env = sb.env() if limited else {**sb.env(), **RAISED_CLIENT_LIMITS}
                for kind, name in names.items():
                    extra = {"resources": REST_API_RESOURCES} if kind == "callpipe" else {}
                    self._record(name, self._slice_run, name, kind, sb, env, start, end, latency_ms, extra)
        except RuntimeError as exc:
            self.results[names["rest_api"]] = {"error": str(exc)}
        base, ours = self.results.get(names["rest_api"], {}), self.results.get(names["callpipe"], {})
        if "rows" in base and "rows" in ours:
            ours["same_rows_as_rest_api"] = base["rows"] == ours["rows"]

    def _slice_run(self, name: str, kind: str, sb: SandboxProcess, env: dict[str, str], start: dt.datetime,
                   end: dt.datetime, latency_ms: int, extra: dict[str, Any]) -> dict[str, Any]:
        sb.reset_stats()
        with workdir() as tmp:
            spec = self._spec(name, kind, tmp, start_date=iso(start), end_date=iso(end), **extra)
            result = self._run(spec, env, sb)
        return self._finish(result, calls=result["rows"].get("call_history", 0), latency_ms=latency_ms,
                            slice=[iso(start), iso(end)], sandbox_requests=sb.stats()["requests"])

    def requests_per_call(self) -> dict[str, Any]:
        """A first load and a nightly run of the default resources on the sandbox's default mix;
        requests per route (the sandbox's count) per call loaded, and the projection."""
        defaults = SandboxConfig()
        days = self.p.mix_days or defaults.days
        runs: dict[str, dict[str, Any]] = {}
        measured: dict[str, Any] = {}
        with SandboxProcess(seed=SEED, users=defaults.users, calls_per_day=defaults.calls_per_day, days=days,
                            start=iso(self.start), rate_limits=False, extra=QUIET) as sb, workdir() as tmp:
            env = {**sb.env(), **RAISED_CLIENT_LIMITS}
            now = self.start
            visible = sb.truth_count("call_history")
            for name in ("first_load", "nightly"):
                if name == "nightly":  # a day later, on both clocks
                    sb.admin.post("/_sandbox/advance", params={"days": 1}).raise_for_status()
                    now += dt.timedelta(days=1)
                    visible, before = sb.truth_count("call_history"), visible
                sb.reset_stats()
                measured[name] = self._run(self._spec(name, "callpipe", tmp, now=iso(now)), env, sb)
                runs[name] = {"wall_s": measured[name]["wall_s"], "rows": measured[name]["rows"],
                              **requests_per_call(sb.stats()["requests"], measured[name]["rows"].get("call_history", 0))}
            # calls that became visible with the day (the sandbox's truth): any detail request beyond
            # them re-fetched a call loaded before
            runs["nightly"]["new_calls"] = visible - before
            runs["nightly"]["refetched"] = runs["nightly"]["by_kind"].get("detail", 0) - (visible - before)
        result = self._finish(measured["first_load"], calls=runs["first_load"]["calls"])
        result.update(mix={"users": defaults.users, "calls_per_day": defaults.calls_per_day, "days": days},
                      runs=runs, projection=projection(runs["first_load"]["per_call_by_label"], self.start))
        return result

    def bulk_duckdb(self, sb: SandboxProcess, env: dict[str, str]) -> dict[str, Any]:
        return self._load("bulk_duckdb", "callpipe", sb, env, self.p.bulk_calls, resources=BULK_RESOURCES)

    def bulk_postgres(self, sb: SandboxProcess, env: dict[str, str]) -> dict[str, Any]:
        import psycopg2

        try:
            psycopg2.connect(self.postgres_dsn, connect_timeout=3).close()
        except Exception as exc:  # noqa: BLE001
            from pipelines.warehouse import redact

            return {"skipped": f"Postgres not reachable at {redact(self.postgres_dsn)} ({type(exc).__name__}): "
                               "start it, or point --postgres-dsn / CALLPIPE_BENCH_PG_DSN at one"}
        dataset = f"bench_{uuid.uuid4().hex[:8]}"
        try:
            return self._load("bulk_postgres", "callpipe", sb, env, self.p.postgres_calls, resources=BULK_RESOURCES,
                              dataset=dataset, destination={"type": "postgres", "dsn": self.postgres_dsn})
        finally:
            with psycopg2.connect(self.postgres_dsn) as conn, conn.cursor() as cur:
                cur.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", (dataset + "%",))
                for (schema,) in cur.fetchall():
                    cur.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')

    def list_only(self, calls: int) -> dict[str, Any]:
        with self._sandbox(calls, self.p.days, self.p.users, rate_limits=False) as sb, workdir() as tmp:
            env = {**sb.env(), **RAISED_CLIENT_LIMITS}
            spec = self._spec(f"list_only_{calls}", "callpipe", tmp, resources=LIST_RESOURCES)
            result = self._run(spec, env, sb)
            return self._finish(result, calls=per_day(calls, self.p.days) * self.p.days,
                                sandbox_requests=sb.stats()["requests"])

    def fanout(self) -> dict[str, Any]:
        p = self.p
        # a running clock: a frozen one would never let the sandbox's per-second windows pass
        with self._sandbox(p.fanout_calls, p.fanout_days, p.fanout_users, latency_ms=FANOUT_LATENCY_MS,
                           rate_limits=True, follow=True) as sb, workdir() as tmp:
            env = {**sb.env(), "SOURCES__ZOOM__RATE_LIMITS__LIGHT": str(LIGHT_BUDGET)}
            # both families, as before the legacy one left the defaults: it measures both fan-outs
            spec = self._spec("fanout", "callpipe", tmp, resources=list(ZOOM_PHONE_ALL))
            # the clock runs: every leg visible when the run starts must be loaded; calls that
            # appear while it runs may or may not be (the next night takes them)
            expected = {table: sb.truth_count(table) for table in ("call_log_legs", "call_elements")}
            result = self._finish(self._run(spec, env, sb), calls=p.fanout_calls,
                                  sandbox_requests=sb.stats()["requests"])
            visible_before = sb.truth_count("call_logs") + sb.truth_count("call_history")
            detail = {k: v for k, v in result["endpoints"].items() if k.startswith(DETAIL_ENDPOINTS)}
            n = sum(v["calls"] for v in detail.values())
            span = (max(v["last_s"] for v in detail.values()) - min(v["first_s"] for v in detail.values())
                    if detail else 0.0)
            loaded = {table: result["rows"].get(table, 0) for table in expected}
            result["fanout"] = {
                "detail_requests": n,
                "detail_span_s": round(span, 2),
                "detail_per_s": rate(n, span),
                "budget_per_s": LIGHT_BUDGET,
                # sustained share: a limiter of B per second admits B at once and then B per second,
                # so the first B requests are the burst allowance, not throughput
                "share_of_budget": round(max(n - LIGHT_BUDGET, 0) / span / LIGHT_BUDGET, 3) if span else 0.0,
                "client_429": result.get("client_stats", {}).get("_429", 0),
                # requests the sandbox received beyond those the client got an answer for
                "sandbox_refused": sum(v for k, v in result["sandbox_requests"].items() if k.startswith("GET "))
                - sum(v["calls"] for v in result["endpoints"].values()),
                "client_retries": result.get("client_stats", {}).get("_retries", 0),
                "expected": expected,
                "loaded": loaded,
                "failed_records": sum(max(0, expected[t] - loaded[t]) for t in expected),
            }
            # the nightly run right after. The clock runs, so a call may (rarely) become visible
            # in between: the truth counts before and after say whether there was new data.
            sb.reset_stats()
            noop = self._run({**spec, "name": "noop"}, env, sb)
            requests = sb.stats()["requests"]
            visible_after = sb.truth_count("call_logs") + sb.truth_count("call_history")
            result["noop"] = {
                "wall_s": noop["wall_s"],
                "process_wall_s": noop["process_wall_s"],
                "rows": noop["rows"],
                "sandbox_requests": requests,
                "list_requests": {k: v for k, v in requests.items()
                                  if k in ("GET /phone/call_logs", "GET /phone/call_history")},
                "detail_requests": sum(v for k, v in requests.items()
                                       if k.partition(" ")[2].startswith(DETAIL_ENDPOINTS)),
                "peak_rss_mb": noop["peak_rss_mb"],
                "new_calls_meanwhile": visible_after - visible_before,
            }
            return result

    def zoho(self) -> dict[str, Any]:
        p = self.p
        logs = p.zoho_pages * ZOHO_PAGE_SIZE
        days = max(2, min(100, p.zoho_pages // 2))
        sandbox = {"seed": SEED, "users": 6, "calls_per_day": 1, "cc_calls_per_day": 0,
                   "zoho_calls_per_day": per_day(logs, days), "days": days, "start": iso(self.start),
                   "zoho_per_minute": ZOHO_PER_MINUTE}
        with workdir() as tmp:
            spec = self._spec("zoho", "zoho", tmp, dataset="zoho_voice", sandbox=sandbox, page_size=ZOHO_PAGE_SIZE,
                              start_date=iso(self.start - dt.timedelta(days=days + 1)))
            result = self._run(spec)
        times = sorted(result.pop("request_times"))
        result["zoho"] = {
            "pages_requested": len(times),
            "max_in_60s": max_in_window(times, 60.0),
            "limit_per_60s": ZOHO_PER_MINUTE,
            "lockouts": result.pop("lockouts"),
            "outcome": result["outcome"],
            "simulated_s": result["simulated_s"],
        }
        return self._finish(result, logs=logs)

    def storm(self) -> dict[str, Any]:
        from pipelines.warehouse import Warehouse

        p = self.p
        runs: dict[str, dict[str, Any]] = {}
        for name, faults in (("clean", []), ("storm", STORM_FAULTS)):
            world = ["--cc-calls-per-day", str(p.storm_calls_per_day // 2),
                     "--zoho-calls-per-day", str(p.storm_calls_per_day // 2)]
            with SandboxProcess(seed=SEED, users=p.storm_users, calls_per_day=p.storm_calls_per_day, days=p.storm_days,
                                start=iso(self.start), rate_limits=False, extra=world + faults) as sb, \
                    workdir() as tmp:
                env = {**sb.env(), **RAISED_CLIENT_LIMITS, "SOURCES__ZOHO_VOICE__REQUESTS_PER_MINUTE": "1000000"}
                result = self._run(self._spec(f"storm_{name}", "sources", tmp, sources=STORM_SOURCES), env, sb)
                served = sb.stats()
                result["sandbox"] = {key: served[key] for key in ("total", "statuses", "faults")}
                result["tables"] = table_contents(Warehouse.duckdb(tmp / "warehouse.duckdb",
                                                                   pipelines_dir=tmp / "pipelines"))
                runs[name] = result
        clean, storm = runs["clean"], runs["storm"]
        names = sorted(clean["tables"].keys() | storm["tables"].keys())
        tables = {t: {"clean_rows": len(clean["tables"].get(t, [()])) - 1,
                      "storm_rows": len(storm["tables"].get(t, [()])) - 1,
                      "identical": clean["tables"].get(t) == storm["tables"].get(t)} for t in names}

        def total(run: dict[str, Any], key: str) -> int:
            return sum(stats.get(key, 0) for stats in run["stats_by_source"].values())

        storm["storm"] = {
            "outcomes": {source: r["outcome"] for source, r in storm["sources"].items()},
            "errors": {source: r["error"] for source, r in storm["sources"].items() if r["error"]},
            "clean_wall_s": clean["wall_s"],
            "storm_wall_s": storm["wall_s"],
            "slowdown": round(storm["wall_s"] / clean["wall_s"], 2) if clean["wall_s"] else 0.0,
            "requests": {"clean": sum(r["requests"] for r in clean["sources"].values()),
                         "storm": sum(r["requests"] for r in storm["sources"].values())},
            "retries": total(storm, "_retries"),
            "tokens": {"clean": total(clean, "_token"), "storm": total(storm, "_token")},
            "sandbox_statuses": storm["sandbox"]["statuses"],
            "faults_served": storm["sandbox"]["faults"],
            "tables": tables,
            "tables_identical": sum(t["identical"] for t in tables.values()),
        }
        del storm["tables"]
        return self._finish(storm, calls=p.storm_calls_per_day * p.storm_days)


def route_kind(route: str) -> str:
    """list / detail / sync / users, from a sandbox route template ("GET /phone/call_history")."""
    path = route.partition(" ")[2]
    if path.endswith("/sync"):
        return "sync"
    if path == "/phone/users":
        return "users"
    return "detail" if path.endswith("}") else "list"


def requests_per_call(requests: dict[str, int], calls: int) -> dict[str, Any]:
    """The Zoom Phone data requests the sandbox counted (token and admin routes left out), by
    kind and by rate-limit label, in total and per call loaded."""
    routes = {route: n for route, n in sorted(requests.items()) if route in ZOOM_LABELS}
    by_kind: dict[str, int] = {}
    by_label: dict[str, int] = {}
    for route, n in routes.items():
        by_kind[route_kind(route)] = by_kind.get(route_kind(route), 0) + n
        by_label[ZOOM_LABELS[route]] = by_label.get(ZOOM_LABELS[route], 0) + n

    def per(n: int) -> float | None:
        return round(n / calls, 4) if calls else None

    total = sum(routes.values())
    return {"calls": calls, "requests": routes, "total": total, "by_kind": by_kind, "by_label": by_label,
            "per_call": per(total), "per_call_by_kind": {k: per(n) for k, n in by_kind.items()},
            "per_call_by_label": {k: per(n) for k, n in by_label.items()}}


def projection(per_call_by_label: dict[str, float | None], now: dt.datetime,
               calls_per_day: int = PROJECTED_CALLS_PER_DAY) -> dict[str, Any]:
    """A first load (the API's six-month look-back) of a `calls_per_day` account at Business+
    limits, from the measured requests per call of each label: the labels run side by side, so
    the slowest one binds (at its per-second limit, or Heavy's daily cap when that is slower)."""
    days = (now - lookback_start(now)).days
    calls = calls_per_day * days
    requests = {label: round((per or 0.0) * calls) for label, per in per_call_by_label.items()}
    hours = {label: round(n / BUSINESS_PLUS[label] / 3600, 2) for label, n in requests.items()}
    heavy = requests.get("heavy", 0)
    if heavy > BUSINESS_PLUS_HEAVY_DAILY:  # whole days of the cap, then the rest at 10/s
        hours["heavy_daily_cap"] = round(heavy // BUSINESS_PLUS_HEAVY_DAILY * 24 + (
            heavy % BUSINESS_PLUS_HEAVY_DAILY) / BUSINESS_PLUS["heavy"] / 3600, 2)
    binding = max(hours, key=hours.get) if hours else None
    return {"calls_per_day": calls_per_day, "days": days, "calls": calls, "limits_per_s": dict(BUSINESS_PLUS),
            "heavy_daily": BUSINESS_PLUS_HEAVY_DAILY, "requests": requests, "hours_by_label": hours,
            "binding": binding, "hours": hours.get(binding, 0.0)}


def max_in_window(times: list[float], seconds: float) -> int:
    """The most events in any half-open window [t, t + seconds) of sorted `times`."""
    best = 0
    j = 0
    for i, t in enumerate(times):
        while j < len(times) and times[j] < t + seconds:
            j += 1
        best = max(best, j - i)
    return best


def table_contents(wh) -> dict[str, list[tuple]]:
    """{dataset.table: [column names, then every row sorted]} of each data table of the three
    sources' datasets, every column but dlt's own, as text (None -> "")."""
    out = {}
    for source in STORM_SOURCES:
        dataset = wh.dataset(source)
        for table in wh.tables(dataset):
            if table.startswith("_dlt"):
                continue
            columns = sorted(c for c in wh.columns(dataset, table) if not c.startswith("_dlt"))
            select = ", ".join(f'CAST("{c}" AS VARCHAR)' for c in columns)
            rows = wh.query(f"SELECT {select} FROM {wh.qualified(dataset, table)}")
            out[f"{dataset}.{table}"] = [tuple(columns)] + sorted(tuple("" if v is None else v for v in r)
                                                                  for r in rows)
    return out
