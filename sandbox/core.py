"""Sandbox: the worlds, the vendor routes, faults, accounting, and the HTTP server."""

from __future__ import annotations

import collections
import datetime
import math
import random
import threading
from typing import Any

from .cc import ContactCenter
from .ccapi import ContactCenterApi
from .clock import SimClock, day_of, fmt_ts, http_date
from .config import SandboxConfig
from .phone import FIXTURE, MAX_SPAN, OUT, PhoneWorld
from .server import DROP, ApiError, HttpServer, Request, Response
from .world import K_HISTORY, K_LOG, DayCache, Directory, parse_call_id, parse_uuid
from .zoho import ZohoApi, zerr
from .zohodata import ZohoWorld
from .zoom import EXPIRED_PAGE_TOKEN, LABELS, ZoomApi, err
from .zoom import ITEM_KEYS as ZOOM_ITEM_KEYS

RETYPED_FIELD = "vendor_score"  # undeclared everywhere; faults field_number / field_text set it
RETYPED_FIELD_FAULTS = ("field_number", "field_text")
FAULT_KINDS = ("malformed", "500", "503", "429", "429_daily", "drop", "expired_page_token", "missing_key",
               "zoho_lockout", "leg_removed", "retired", "missing_scope", "expired_sync_token",
               *RETYPED_FIELD_FAULTS)
# Zoom answers of the Zoom Phone faults "retired" (an endpoint Zoom switched off), "missing_scope"
# (the app lacks a scope) and "expired_sync_token" (a user sync's token is no longer valid)
RETIRED = (404, 404, "This API is no longer available: Zoom retired it. Use the call history APIs.")
MISSING_SCOPE = (400, 4711, "Invalid access token, does not contain scopes:[phone:read:list_call_logs:admin].")
EXPIRED_SYNC_TOKEN = (404, 300, "The sync token is invalid or expired.")
LEG_ARRAYS = ("log_details", "call_elements", "call_path")
ZOHO_LOGS = "GET /rest/json/zv/logs"
ZOOM_TOKEN = "POST /oauth/token"
ZOHO_TOKEN = "POST /oauth/v2/token"
ITEM_KEYS = {**ZOOM_ITEM_KEYS, ZOHO_LOGS: (("logs",), "logid")}
ADMIN_ROUTES = ("GET /_sandbox/stats, GET /_sandbox/config, GET /_sandbox/truth/<name>, POST /_sandbox/advance, "
                "POST /_sandbox/fault, POST /_sandbox/reset_stats, POST /_sandbox/clear_faults")


def normalize_route(route: str | None) -> tuple[str | None, str]:
    """'GET /v2/phone/call_logs/{callLogId}' -> ('GET', '/phone/call_logs/{}'); '*' matches everything."""
    if route is None or route.strip() in ("", "*"):
        return None, "*"
    route = route.strip()
    method, _, path = route.partition(" ")
    if not path:
        method, path = None, route
    else:
        method = method.upper()
    path = path.split("?")[0].rstrip("/") or "/"
    if path.startswith("/v2/"):
        path = path[3:]
    parts = ["{}" if (p.startswith("{") and p.endswith("}")) else p for p in path.split("/")]
    return method, "/".join(parts)


class Fault:
    __slots__ = ("method", "path", "kind", "count", "after")

    def __init__(self, route: str | None, kind: str, count: int, after: int):
        self.method, self.path = normalize_route(route)
        self.kind = kind
        self.count = count
        self.after = after

    def matches(self, method: str, norm_path: str) -> bool:
        if self.path == "*":
            return True
        return (self.method is None or self.method == method) and self.path == norm_path


class Sandbox:
    """Local stand-in for the Zoom Phone / Contact Center and Zoho Voice APIs.

    with Sandbox(SandboxConfig(seed=7, start="2026-11-20T12:00:00Z")) as sb:
        sb.zoom_base_url, sb.env(), sb.truth.call_logs(), sb.clock.advance(days=1) ...
    """

    def __init__(self, config: SandboxConfig | None = None, **overrides: Any):
        if config is None:
            config = SandboxConfig(**overrides)
        elif overrides:
            config = config.replace(**overrides)
        self.config = config
        self.clock = SimClock(config.start, config.frozen)
        self.lock = threading.RLock()
        self.start_day = day_of(self.clock.timestamp())
        self.first_day = self.start_day - config.days
        self.directory = Directory(config.seed, config.users)
        self.phone = PhoneWorld(config, self.directory, self.first_day, self.start_day)
        self.cc = ContactCenter(config, self.directory, self.first_day)
        self.zoho = ZohoWorld(config, self.directory, self.first_day)
        share = max(10_000, config.max_cached_calls)
        self.phone_days = DayCache(self.phone.generate, share)
        self.cc_days = DayCache(self.cc.generate, max(5_000, share // 4))
        self.zoho_days = DayCache(self.zoho.generate, max(5_000, share // 4))
        self.zoom_api = ZoomApi(self)
        self.zoho_api = ZohoApi(self)
        self.cc_api = ContactCenterApi(self)
        self._zoho_cache: collections.OrderedDict = collections.OrderedDict()
        self._fault_rng = random.Random(f"faults:{config.seed}")
        self._jitter_rng = random.Random(f"jitter:{config.seed}")
        self._faults: list[Fault] = []
        self._token_uses: dict[str, int] = {}  # access token -> data requests made with it (token_expires_after)
        self.requests: collections.Counter[str] = collections.Counter()
        self.faults_served: collections.Counter[str] = collections.Counter()  # fault kind -> answers it made
        self.request_log: list[tuple] = []
        self._server: HttpServer | None = None
        self.url = ""
        from .truth import Truth

        self.truth = Truth(self)

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> Sandbox:
        if self._server is None:
            server = HttpServer(self._app, self.config.host, self.config.port)
            server.start()
            self._server = server
            self.url = f"http://{self.config.host}:{server.port}"
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    close = stop

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._server.port if self._server else 0

    # ------------------------------------------------------------------ public helpers
    @property
    def zoom_base_url(self) -> str:
        return self.url + "/v2"

    @property
    def zoom_token_url(self) -> str:
        return self.url + "/oauth/token"

    @property
    def zoho_base_url(self) -> str:
        return self.url

    @property
    def zoho_token_url(self) -> str:
        return self.url + "/oauth/v2/token"

    @property
    def zoom_credentials(self) -> dict[str, str]:
        c = self.config
        return {"account_id": c.zoom_account_id, "client_id": c.zoom_client_id, "client_secret": c.zoom_client_secret}

    @property
    def zoho_credentials(self) -> dict[str, str]:
        c = self.config
        return {"client_id": c.zoho_client_id, "client_secret": c.zoho_client_secret,
                "refresh_token": c.zoho_refresh_token}

    def env(self) -> dict[str, str]:
        z, h = self.zoom_credentials, self.zoho_credentials
        return {
            "SOURCES__ZOOM__BASE_URL": self.zoom_base_url,
            "SOURCES__ZOOM__TOKEN_URL": self.zoom_token_url,
            "SOURCES__ZOOM__ACCOUNT_ID": z["account_id"],
            "SOURCES__ZOOM__CLIENT_ID": z["client_id"],
            "SOURCES__ZOOM__CLIENT_SECRET": z["client_secret"],
            "SOURCES__ZOHO_VOICE__BASE_URL": self.zoho_base_url,
            "SOURCES__ZOHO_VOICE__TOKEN_URL": self.zoho_token_url,
            "SOURCES__ZOHO_VOICE__CLIENT_ID": h["client_id"],
            "SOURCES__ZOHO_VOICE__CLIENT_SECRET": h["client_secret"],
            "SOURCES__ZOHO_VOICE__REFRESH_TOKEN": h["refresh_token"],
        }

    def reset_stats(self) -> None:
        with self.lock:
            self.requests.clear()
            self.request_log.clear()
            self.faults_served.clear()

    def inject_fault(self, route: str | None, kind: str, count: int = 1, after: int = 0) -> None:
        """Make the next `count` requests matching `route` (after skipping `after` of them) fail with `kind`.

        route: "GET /phone/call_logs", "GET /phone/call_logs/{id}", "GET /rest/json/zv/logs",
        "POST /oauth/token", ... (a "/v2" prefix and any {placeholder} name are accepted; "*" = any route).
        "expired_page_token" only counts requests that carry a next_page_token, "expired_sync_token"
        (404 code 300) those that carry a sync_token; "retired" answers 404 (an endpoint Zoom switched
        off), "missing_scope" 400 code 4711 (the app lacks a scope); "missing_key" only
        counts answers that have at least one item; "leg_removed" (a detail route) only counts
        answers with two or more legs, and drops the last one.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(FAULT_KINDS)}")
        if count < 1 or after < 0:
            raise ValueError(f"inject_fault: count must be >= 1 and after >= 0 (got count={count}, after={after})")
        with self.lock:
            self._faults.append(Fault(route, kind, int(count), int(after)))

    def clear_faults(self) -> None:
        with self.lock:
            self._faults.clear()

    # ------------------------------------------------------------------ routing
    def _match(self, method: str, path: str) -> tuple[str | None, str, Any, tuple]:
        """-> (template, provider, handler, args). template None: unknown route."""
        p = path.rstrip("/")
        seg = p.split("/")
        zoom, zoho = self.zoom_api, self.zoho_api
        if len(seg) >= 3 and seg[1] == "v2":
            s = seg[2:]
            if s[0] == "phone" and len(s) >= 2:
                if s[1] == "call_logs":
                    if len(s) == 2:
                        return "GET /phone/call_logs", "zoom", zoom.list_call_logs, ()
                    if len(s) == 3:
                        return "GET /phone/call_logs/{id}", "zoom", zoom.call_log_detail, (s[2],)
                elif s[1] == "call_history":
                    if len(s) == 2:
                        return "GET /phone/call_history", "zoom", zoom.list_call_history, ()
                    if len(s) == 3:
                        return "GET /phone/call_history/{callHistoryUuid}", "zoom", zoom.call_history_detail, (s[2],)
                elif s[1] == "users":
                    if len(s) == 2:
                        return "GET /phone/users", "zoom", zoom.list_users, ()
                    if len(s) == 5 and s[4] == "sync" and s[3] in ("call_logs", "call_history"):
                        kind = "logs" if s[3] == "call_logs" else "history"
                        return (f"GET /phone/users/{{userId}}/{s[3]}/sync", "zoom", zoom.user_sync, (s[2], kind))
            elif s[0] in ("contact_center", "accounts"):
                return self.cc_api.route(s)
            return None, "zoom", None, ()
        if p == "/oauth/token":
            return ZOOM_TOKEN, "zoom-token", zoom.token, ()
        if p == "/oauth/v2/token":
            return ZOHO_TOKEN, "zoho-token", zoho.token, ()
        if p == "/rest/json/zv/logs":
            return ZOHO_LOGS, "zoho", zoho.logs, ()
        if p.startswith("/_sandbox"):
            return p, "admin", None, ()
        return None, "other", None, ()

    def _app(self, req: Request) -> tuple[float, Any]:
        template, provider, handler, args = self._match(req.method, req.path)
        if provider == "admin":
            return 0.0, self._admin(req, template)
        cfg = self.config
        delay = 0.0
        if cfg.latency_ms or cfg.jitter_ms:
            with self.lock:
                jitter = self._jitter_rng.uniform(0, cfg.jitter_ms) if cfg.jitter_ms else 0.0
            delay = (cfg.latency_ms + jitter) / 1000.0

        def run():
            with self.lock:
                now = self.clock.timestamp()
                resp = self._handle(req, template, provider, handler, args, now)
                self._record(req, template, resp, now)
                return resp

        if delay <= 0:
            return 0.0, run()
        return delay, run

    def _record(self, req: Request, template: str | None, resp: Any, now: float) -> None:
        name = template or f"{req.method} {req.path}"
        self.requests[name] += 1
        query = {k: (v[0] if len(v) == 1 else list(v)) for k, v in req.query.items()}
        status = 0 if resp is DROP else resp.status
        self.request_log.append((datetime.datetime.fromtimestamp(now, datetime.UTC), req.method, name, query, status))
        limit = self.config.request_log_max
        if len(self.request_log) > limit + limit // 10:
            del self.request_log[: len(self.request_log) - limit]

    def _take_fault(self, method: str, template: str, req: Request) -> Fault | None:
        if not self._faults:
            return None
        _, norm = normalize_route(template)
        has_token = bool((req.arg("next_page_token") or "").strip())
        has_sync_token = bool((req.arg("sync_token") or "").strip())
        chosen = None
        for f in self._faults:
            if not f.matches(method, norm):
                continue
            if (f.kind == "expired_page_token" and not has_token) or (
                    f.kind == "expired_sync_token" and not has_sync_token):
                continue
            if f.after > 0:
                f.after -= 1
                continue
            if chosen is None:
                chosen = f
        if chosen is not None:
            chosen.count -= 1
            if chosen.count <= 0:
                self._faults.remove(chosen)
        return chosen

    def _handle(self, req: Request, template, provider, handler, args, now: float):
        if template is None:
            if provider == "zoom":
                return err(404, 404, f"No route for {req.method} {req.path}.")
            return Response(404, {"code": 404, "message": f"No route for {req.method} {req.path}."})
        method = template.split(" ", 1)[0]
        if req.method != method:
            return Response(405, {"code": 405, "message": f"Method {req.method} not allowed."}, {"Allow": method})
        data_route = provider in ("zoom", "zoho")
        zoho = provider in ("zoho", "zoho-token")
        if data_route and self.config.token_expires_after:
            self._use_token(req, zoho)
        fault = self._take_fault(req.method, template, req)
        kind = fault.kind if fault else None
        random_fault = kind is None and data_route
        if random_fault:
            kind = self._random_fault()
        if kind and kind not in ANSWER_FAULTS and kind != "malformed":  # those two count when applied
            self.faults_served[kind] += 1
        if kind == "drop":
            return DROP
        if kind in ("500", "503"):
            status = int(kind)
            text = "Internal Server Error" if status == 500 else "Service Unavailable"
            return zerr(status, "INTERNAL_ERROR", text) if zoho else err(status, status, text)
        if kind == "429":
            if zoho:
                resp = zerr(429, "TOO_MANY_REQUESTS", "Too many requests.", {"Retry-After": "1"})
            else:
                resp = self.zoom_api.qps_limited(LABELS.get(template, "light"), now)
            if random_fault:
                self._set_retry_after(resp, now, zoho)
            return resp
        if kind == "429_daily":
            if zoho:
                return self.zoho_api.lockout(now)
            return self.zoom_api.daily_limited(now)
        if kind == "expired_page_token":
            return err(400, EXPIRED_PAGE_TOKEN["code"], EXPIRED_PAGE_TOKEN["message"])
        if kind in ("retired", "missing_scope", "expired_sync_token"):
            return err(*{"retired": RETIRED, "missing_scope": MISSING_SCOPE,
                         "expired_sync_token": EXPIRED_SYNC_TOKEN}[kind])
        if kind == "zoho_lockout":
            return self.zoho_api.lockout(now)
        try:
            if provider == "zoom":
                denied = self.zoom_api.authenticate(req, now) or self.zoom_api.rate_limit(template, now)
                resp = denied or handler(req, now, *args)
            elif provider == "zoho":
                denied = self.zoho_api.authenticate(req, now) or self.zoho_api.throttle(now)
                resp = denied or handler(req, now)
            else:
                resp = handler(req, now)
        except ApiError as exc:
            resp = exc.response
        if kind in ANSWER_FAULTS:
            if ANSWER_FAULTS[kind](resp, template):
                self.faults_served[kind] += 1
            else:  # nothing to break in this answer (no item, fewer than two legs): keep it for the next one
                self._faults.insert(0, Fault(template, kind, 1, 0))
        if kind == "malformed" and resp.status == 200:
            self.faults_served[kind] += 1
            body = resp.encode()
            resp = Response(200, body=body[: max(1, len(body) // 2)], headers=resp.headers)
        return resp

    def _use_token(self, req: Request, zoho: bool) -> None:
        """token_expires_after: the access token's next data request after that many finds it
        expired (the vendor's own 401), as if its lifetime had ended."""
        token = req.headers.get("authorization", "").partition(" ")[2].strip()
        if not token:
            return
        uses = self._token_uses[token] = self._token_uses.get(token, 0) + 1
        if uses > self.config.token_expires_after and (self.zoho_api if zoho else self.zoom_api).tokens.pop(token, None):
            self.faults_served["token_expired"] += 1

    def _set_retry_after(self, resp: Response, now: float, zoho: bool) -> None:
        """The Retry-After of a random 429 in the configured form (error_429_retry_after)."""
        form = self.config.error_429_retry_after
        if form == "mixed":
            form = self._fault_rng.choice(("seconds", "date") if zoho else ("seconds", "date", "none"))
        if form == "date":
            resp.headers["Retry-After"] = http_date(math.ceil(now) + 1)
        elif form == "none" and not zoho:
            resp.headers.pop("Retry-After", None)
        else:
            resp.headers["Retry-After"] = "1"

    def _random_fault(self) -> str | None:
        cfg = self.config
        total = cfg.drop_rate + cfg.error_5xx_rate + cfg.error_429_rate + cfg.malformed_rate
        if total <= 0:
            return None
        r = self._fault_rng.random()
        if r < cfg.drop_rate:
            return "drop"
        r -= cfg.drop_rate
        if r < cfg.error_5xx_rate:
            return "500" if self._fault_rng.random() < 0.5 else "503"
        r -= cfg.error_5xx_rate
        if r < cfg.error_429_rate:
            return "429"
        r -= cfg.error_429_rate
        if r < cfg.malformed_rate:
            return "malformed"
        return None

    # ------------------------------------------------------------------ admin routes
    def _admin(self, req: Request, path: str) -> Response:
        with self.lock:
            try:
                return self._admin_inner(req, path)
            except (ValueError, TypeError) as exc:
                return Response(400, {"error": str(exc)})

    def _admin_inner(self, req: Request, path: str) -> Response:
        q = {k: v[0] for k, v in req.query.items() if v}
        if path == "/_sandbox/stats":
            statuses = collections.Counter(str(entry[4]) for entry in self.request_log)
            return Response(200, {"requests": dict(sorted(self.requests.items())),
                                  "total": sum(self.requests.values()),
                                  "faults": dict(sorted(self.faults_served.items())),
                                  "statuses": dict(sorted(statuses.items())),
                                  "now": fmt_ts(self.clock.timestamp()),
                                  "env": self.env(), "memory": self.memory_stats()})
        if path == "/_sandbox/advance" and req.method == "POST":
            self.clock.advance(days=float(q.get("days", 0)), hours=float(q.get("hours", 0)),
                               seconds=float(q.get("seconds", 0)), minutes=float(q.get("minutes", 0)))
            return Response(200, {"now": fmt_ts(self.clock.timestamp())})
        if path == "/_sandbox/fault" and req.method == "POST":
            self.inject_fault(q.get("route"), q.get("kind", ""), int(q.get("count", 1)), int(q.get("after", 0)))
            return Response(200, {"ok": True})
        if path == "/_sandbox/reset_stats" and req.method == "POST":
            self.reset_stats()
            return Response(200, {"ok": True})
        if path == "/_sandbox/clear_faults" and req.method == "POST":
            self.clear_faults()
            return Response(200, {"ok": True})
        if path == "/_sandbox/config":
            data = {k: (v if isinstance(v, int | float | str | bool | dict | type(None)) else str(v))
                    for k, v in vars(self.config).items()}
            data["now"] = fmt_ts(self.clock.timestamp())
            return Response(200, data)
        if path.startswith("/_sandbox/truth/"):
            name = path.rsplit("/", 1)[1]
            return Response(200, self.truth.summary(name, q))
        return Response(404, {"error": f"unknown admin route {req.method} {path}; routes: {ADMIN_ROUTES}"})

    # ------------------------------------------------------------------ queries (lock held)
    def _days(self, cache: DayCache, lo: int, hi: int, as_of: float):
        """The generated days of `cache` from lo's day to hi's, none after as_of's."""
        for day in range(max(self.first_day, day_of(lo)), min(day_of(hi), day_of(as_of)) + 1):
            yield cache.get(day)

    def query_call_logs(self, lo: int, hi: int, q: dict[str, Any], as_of: float) -> list[tuple]:
        """Visible call logs whose date_time (or end) is in [lo, hi]; -> [(call, k)], API order."""
        end_type = q.get("tt") == "end"
        missed = q.get("type") == "missed"
        path = q.get("path")
        site = q.get("site_id")
        charged = q.get("charged")
        phone = self.phone
        sites = self.directory.sites
        log_time = phone.log_time
        out = []
        for dc in self._days(self.phone_days, lo - MAX_SPAN, hi, as_of):
            for c in dc.between(lo - MAX_SPAN, hi + 1):
                if c.vis > as_of:
                    continue
                for k in range(c.n_logs):
                    times = log_time(c, k)
                    t = times[1] if end_type else times[0]
                    if t < lo or t > hi:
                        continue
                    if missed and not phone.log_missed(c, k):
                        continue
                    if path and phone.log_path(c, k) != path:
                        continue
                    if site and sites[phone.owner(c, k).site][0] != site:
                        continue
                    if charged and not (c.flow == OUT and c.outcome == "answered" and k == 0):
                        continue
                    out.append((t, c.day, c.idx, k, c))
        out.sort(key=lambda x: x[:4])
        return [(x[4], x[3]) for x in out]

    def query_call_history(self, lo: int, hi: int, q: dict[str, Any], as_of: float) -> list:
        end_type = q.get("tt") == "end"
        rec = q.get("recording_status")
        direction = q.get("direction")
        site = q.get("site_id")
        connect = q.get("connect_type")
        sites = self.directory.sites
        phone = self.phone
        out = []
        for dc in self._days(self.phone_days, lo - MAX_SPAN, hi, as_of):
            for c in dc.between(lo - MAX_SPAN if end_type else lo, hi + 1):
                if c.vis > as_of:
                    continue
                t = c.end if end_type else c.start
                if t < lo or t > hi:
                    continue
                if rec and (rec == "recorded") != c.recorded:
                    continue
                if direction and direction != ("inbound" if c.inbound else "outbound"):
                    continue
                if site and sites[phone.owner(c, 0).site][0] != site:
                    continue
                if connect and connect != "external":
                    continue
                out.append((t, c.day, c.idx, c))
        out.sort(key=lambda x: x[:3])
        return [x[3] for x in out]

    def query_voice_calls(self, lo: int, hi: int, f: dict[str, Any], as_of: float) -> list:
        cc = self.cc
        out = []
        for dc in self._days(self.cc_days, lo, hi, as_of):
            for e in dc.between(lo, hi + 1):
                if e.vis <= as_of and cc.matches(e, f):
                    out.append(e)
        return out

    def invalidate_zoho(self) -> None:
        self._zoho_cache.clear()

    def query_zoho(self, lo: int | None, hi: int | None, f: dict[str, Any], now: float) -> list:
        """Visible Zoho logs with lo <= start < hi, newest first."""
        key = (lo, hi, tuple(sorted((k, str(v)) for k, v in f.items())), now)
        hit = self._zoho_cache.get(key)
        if hit is not None:
            return hit
        zw = self.zoho
        lo_t = lo if lo is not None else -(1 << 62)
        hi_t = hi if hi is not None else (1 << 62)
        out = []
        for dc in self._days(self.zoho_days, lo_t, hi_t, now):
            for z in dc.between(lo_t, hi_t):
                if z.vis <= now and zw.matches(z, f):
                    out.append(z)
        for z in zw.fixtures + zw.added:
            if lo_t <= z.start < hi_t and z.vis <= now and zw.matches(z, f):
                out.append(z)
        out.sort(key=lambda z: (z.start, z.order), reverse=True)
        self._zoho_cache[key] = out
        while len(self._zoho_cache) > 8:
            self._zoho_cache.popitem(last=False)
        return out

    # -- detail lookups
    def _call_at(self, day: int, idx: int, now: float):
        if day < self.first_day or day > day_of(now):
            return None
        c = self.phone_days.get(day).get(idx)
        if c is None or c.vis > now:
            return None
        return c

    def fixture_call(self):
        dc = self.phone_days.get(self.phone.fixture_day)
        return dc.calls[dc.fixture_pos] if dc.fixture_pos >= 0 else None

    def find_call_log(self, text: str, now: float):
        if text in (FIXTURE["call_log_id"], FIXTURE["call_id"]):
            c = self.fixture_call()
            return (c, 0) if c is not None and c.vis <= now else None
        p = parse_uuid(text)
        if p is not None:
            kind, sub, day, idx = p
            if kind != K_LOG:
                return None
            c = self._call_at(day, idx, now)
            if c is not None and sub < c.n_logs and c.log_id(sub) == text:
                return c, sub
            return None
        p2 = parse_call_id(text)
        if p2 is not None:
            c = self._call_at(p2[0], p2[1], now)
            if c is not None and c.n_logs == 1 and c.call_id == text:
                return c, 0
        return None

    def find_call(self, text: str, now: float, kind_wanted: int = K_HISTORY):
        if text == FIXTURE["call_id"]:
            c = self.fixture_call()
            return c if c is not None and c.vis <= now else None
        p = parse_uuid(text)
        if p is not None:
            kind, _sub, day, idx = p
            if kind != kind_wanted:
                return None
            c = self._call_at(day, idx, now)
            return c if c is not None and c.history_uuid == text else None
        p2 = parse_call_id(text)
        if p2 is not None:
            c = self._call_at(p2[0], p2[1], now)
            return c if c is not None and c.call_id == text else None
        return None

    # -- users
    def user_entities(self) -> list:
        users = list(self.directory.users)
        a, b = self.directory.unlicensed
        users.insert(min(3, len(users)), a)
        users.append(b)
        return users

    def render_user(self, u) -> dict[str, Any]:
        site = self.directory.sites[u.site]
        if u.licensed == "ok":
            return {"id": u.id, "phone_user_id": u.ext_id, "name": u.name, "email": u.email,
                    "extension_id": u.ext_id, "extension_number": u.ext,
                    "phone_numbers": [{"id": f"pn-{u.ext_id[:12]}", "number": u.did}],
                    "site": {"id": site[0], "name": site[1]}, "status": "activate",
                    "calling_plans": [{"type": 200, "name": "US/CA Unlimited Calling Plan"}],
                    "department": u.department, "cost_center": u.cost_center}
        return {"id": u.id, "name": u.name, "email": u.email, "phone_numbers": [],
                "site": {"id": site[0], "name": site[1]},
                "status": "activate" if u.licensed == "no_license" else "deactivate", "calling_plans": [],
                "department": u.department, "cost_center": u.cost_center}

    # -- user-centric rows for the syncs
    def _user_rows_of(self, c, uidx: int, kind: str) -> list[int]:
        """The user's rows of call c: call-log rows (their places in c.users) or legs (Leg.n)."""
        if kind == "history":
            return self.phone.user_legs(c, uidx)
        return [i for i, x in enumerate(c.users) if x == uidx]

    def _thunk(self, c, row: int, kind: str):
        phone = self.phone
        if kind == "history":
            return lambda: phone.user_call_element(c, row)
        return lambda: phone.user_row(c, row)

    def user_rows_before(self, uidx: int, kind: str, cursor: tuple | None, count: int, now: float) -> list:
        """The user's visible rows older than `cursor` (start, day, idx, row), newest first."""
        out: list = []
        day = day_of(now) if cursor is None else min(day_of(now), day_of(cursor[0]))
        while day >= self.first_day and len(out) < count:
            found = []
            for c in self.phone_days.get(day).calls:
                if c.vis > now:
                    continue
                for row in self._user_rows_of(c, uidx, kind):
                    key = (c.start, c.day, c.idx, row)
                    if cursor is not None and key >= tuple(cursor):
                        continue
                    found.append((key, (c.vis, c.day, c.idx, row), self._thunk(c, row, kind)))
            found.sort(key=lambda x: x[0], reverse=True)
            out.extend(found[: count - len(out)])
            day -= 1
        return out

    def user_rows_after(self, uidx: int, kind: str, mark: tuple, count: int, now: float) -> list:
        """The user's rows that became visible after `mark` (vis, day, idx, row), by visibility."""
        mark = tuple(mark)
        first = max(self.first_day, day_of(mark[0] - MAX_SPAN) - 1)
        found = []
        for day in range(first, day_of(now) + 1):
            for c in self.phone_days.get(day).calls:
                if c.vis > now or c.vis < mark[0]:
                    continue
                for row in self._user_rows_of(c, uidx, kind):
                    vkey = (c.vis, c.day, c.idx, row)
                    if vkey > mark:
                        found.append(((c.start, c.day, c.idx, row), vkey, self._thunk(c, row, kind)))
        found.sort(key=lambda x: x[1])
        return found[:count]

    # ------------------------------------------------------------------ misc
    def memory_stats(self) -> dict[str, int]:
        return {"phone_calls_cached": self.phone_days.cached_items, "phone_days_generated": self.phone_days.generated,
                "cc_cached": self.cc_days.cached_items, "zoho_cached": self.zoho_days.cached_items}



def _drop_item_key(resp: Response, template: str) -> bool:
    """The "missing_key" fault: the middle item of a list answer (or a detail answer itself) loses
    its key. False when the answer has no item."""
    envelopes, key = ITEM_KEYS.get(template, (None, None))
    body = resp.obj
    if key is None or resp.status != 200 or not isinstance(body, dict):
        return False
    items = [body] if not envelopes else next((body[name] for name in envelopes if name in body), None)
    if not items:
        return False
    items[len(items) // 2].pop(key, None)
    return True


def _drop_last_leg(resp: Response, template: str) -> bool:
    """The "leg_removed" fault: a detail answer loses its last leg, as when the vendor rewrites a
    call's routing after it was first loaded. False when the answer has fewer than two legs."""
    body = resp.obj
    if resp.status != 200 or not isinstance(body, dict):
        return False
    for name in LEG_ARRAYS:
        legs = body.get(name)
        if isinstance(legs, list) and len(legs) >= 2:
            legs.pop()
            return True
    return False


def _add_field(value: Any):
    """The "field_number" / "field_text" faults: every item of the answer gets the undeclared
    field `vendor_score`, a number or a text, as when a vendor changes a field's type."""

    def add(resp: Response, template: str) -> bool:
        envelopes, _ = ITEM_KEYS.get(template, (None, None))
        body = resp.obj
        if resp.status != 200 or not isinstance(body, dict):
            return False
        items = [body] if not envelopes else next((body[name] for name in envelopes if name in body), None)
        for item in items or []:
            item[RETYPED_FIELD] = value
        return bool(items)

    return add


# faults that change a successful answer; each returns False when the answer has nothing to change
ANSWER_FAULTS = {"missing_key": _drop_item_key, "leg_removed": _drop_last_leg,
                 "field_number": _add_field(7), "field_text": _add_field("high")}
