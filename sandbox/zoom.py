"""Zoom routes: S2S OAuth, rate limits, window rules, page tokens, Phone and Contact Center.

Rules as served (all on the sandbox clock):

* Windows (`/phone/call_logs`, `/phone/call_history`, `/contact_center/voice_calls`):
  `from`/`to` as yyyy-mm-dd or yyyy-MM-ddTHH:mm:ssZ (an ISO offset is accepted too).
  `from` is inclusive; a datetime `to` is inclusive to the second; a date-only `to`
  includes that whole day. Without `from` (or with an empty one) the last 24 h are
  served (`to` is then ignored). A `from` without `to` runs to now. A window longer
  than one calendar month is silently cut to [from, from + 1 month) and the cut `to`
  is echoed in the envelope (in the format `to` was given). A `from` before the
  start of the UTC day six calendar months before now answers
  400 {"code": 300, "message": "...last 6 months..."} (we chose the error over an
  empty answer). `to` before `from` or an unparsable date: 400 code 300.
* Items are filtered on start time (`time_type=startTime`, default) or end time
  (`endTime`; `start_time`/`end_time` are accepted too) and ordered by that time,
  ascending. Only calls already visible at the first page's time are listed; that
  instant travels in the page token, so paging a window is stable while late calls
  keep arriving (they show up when the window is read again).
* Page tokens (~53 characters: some definitions allow at most 100) carry a digest of the query
  (kept here, the last 100,000), the offset, the first-page time and the issue time, signed. With a token, the query it carries is used (other parameters are ignored). After `page_token_ttl_s` they answer 400 code 300 "The next page token is
  invalid or expired.". With `quirk_empty_last_page`, an exactly full last page still
  carries a token, which leads to an empty page with an empty token.
* `recording_status` on `/phone/call_history`: `recorded` / `non_recorded`; without it only
  recorded calls are returned (the definition's default `recorded`).
* `type=missed` on `/phone/call_logs`: inbound call logs nobody answered.
* `/phone/call_logs/{id}` accepts a call log id, or a call_id when that call has a
  single call log (a transferred call_id has two logs: 404 code 1001).
  `/phone/call_history/{callHistoryUuid}` also accepts the call_id.
* User syncs (`/phone/users/{userId}/call_logs/sync`, `/call_history/sync`):
  FSync = the user's newest `count` rows (newest first) + a token; BSync with a token
  = the next `count` older rows (newest first, empty when none is left); ISync with a
  token = up to `count` rows that became visible after the token was issued, oldest
  (by visibility) first. A missing token makes BSync/ISync behave as FSync. `count`
  defaults to 30 and is capped at 250. Tokens do not expire (the `expired_sync_token`
  fault answers 404 code 300). The call-log sync answers `call_logs[]` (one row per
  call the user took part in); the call-history sync the user's legs twice, as
  `call_logs[]` (keyed `id`, with `call_path_id`) and `call_elements[]` (keyed
  `call_element_id`, with `call_history_uuid`).
"""

from __future__ import annotations

import base64
import collections
import hashlib
import json
import math
import struct
from typing import Any

from .cc import CC_ITEM_KEYS, CC_LABELS
from .clock import DAY, BadTime, add_months, day_of, fmt_date, fmt_ts, http_date, parse_api_time
from .phone import as_user_call_log
from .server import ApiError, Response
from .world import K_HISTORY

LABELS = {
    "GET /phone/users": "medium",
    "GET /phone/call_logs": "heavy",
    "GET /phone/call_logs/{id}": "light",
    "GET /phone/users/{userId}/call_logs/sync": "medium",
    "GET /phone/call_history": "heavy",
    "GET /phone/call_history/{callHistoryUuid}": "light",
    "GET /phone/users/{userId}/call_history/sync": "medium",
    **CC_LABELS,
}
# route -> (envelope keys that may hold the items, item key); no envelope: the answer is the item
ITEM_KEYS = {
    "GET /phone/users": (("users",), "id"),
    "GET /phone/call_logs": (("call_logs",), "id"),
    "GET /phone/call_logs/{id}": ((), "id"),
    "GET /phone/users/{userId}/call_logs/sync": (("call_logs",), "id"),
    "GET /phone/call_history": (("call_history",), "call_history_uuid"),
    "GET /phone/call_history/{callHistoryUuid}": ((), "call_history_uuid"),
    "GET /phone/users/{userId}/call_history/sync": (("call_elements",), "call_element_id"),
    **CC_ITEM_KEYS,
}

SCOPE = ("phone:read:admin phone_call_log:read:admin phone:read:list_call_logs:admin "
         "contact_center_voice_call:read:admin")
EXPIRED_PAGE_TOKEN = {"code": 300, "message": "The next page token is invalid or expired."}
MAX_KEY = 1 << 62
PAGE_QUERIES_KEPT = 100_000


def err(status: int, code: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response(status, {"code": code, "message": message}, headers)


def qpage_size(req, default: int, maximum: int) -> int:
    raw = req.arg("page_size")
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(err(400, 300, "Invalid field: page_size.")) from None
    if value < 1:
        return default
    return min(value, maximum)


def multi(req, name: str) -> list[str]:
    """Repeated and/or comma-separated values."""
    out: list[str] = []
    for v in req.query.get(name, []):
        out.extend(x.strip() for x in v.split(",") if x.strip())
    return out


class ZoomApi:
    def __init__(self, sb):
        self.sb = sb
        self.cfg = sb.config
        self.tokens: dict[str, float] = {}
        self.minted = 0
        self.qps: dict[str, collections.deque] = {k: collections.deque() for k in ("light", "medium", "heavy")}
        self.heavy_day = -1
        self.heavy_count = 0
        self._secret = hashlib.sha256(f"sandbox-page-token:{self.cfg.seed}".encode()).digest()[:16]
        self._query_cache: collections.OrderedDict = collections.OrderedDict()
        self._page_queries: collections.OrderedDict = collections.OrderedDict()  # page tokens' queries

    # ------------------------------------------------------------------ auth
    def token(self, req, now: float) -> Response:
        params = req.form()
        grant = (params.get("grant_type") or [""])[0]
        account = (params.get("account_id") or [""])[0]
        auth = req.headers.get("authorization", "")
        client_ok = False
        if auth[:6].lower() == "basic ":
            try:
                cid, _, secret = base64.b64decode(auth[6:].strip()).decode("utf-8").partition(":")
                client_ok = cid == self.cfg.zoom_client_id and secret == self.cfg.zoom_client_secret
            except (ValueError, UnicodeDecodeError):
                client_ok = False
        if not client_ok:
            return Response(401, {"reason": "Invalid client_id or client_secret", "error": "invalid_client"})
        if grant != "account_credentials":
            return Response(400, {"reason": "Unsupported grant type", "error": "unsupported_grant_type"})
        if account != self.cfg.zoom_account_id:
            return Response(400, {"reason": "Invalid request : Account ID is invalid", "error": "invalid_request"})
        self.minted += 1
        digest = hashlib.sha256(f"zoom-token:{self.cfg.seed}:{self.minted}".encode()).hexdigest()
        token = f"eyJzYW5kYm94Ijoiem9vbSJ9.{digest[:40]}.{digest[40:]}"
        for t, exp in list(self.tokens.items()):
            if exp <= now:
                del self.tokens[t]
        self.tokens[token] = now + self.cfg.token_ttl_s
        return Response(200, {"access_token": token, "token_type": "bearer", "expires_in": self.cfg.token_ttl_s,
                              "scope": SCOPE, "api_url": self.sb.url})

    def authenticate(self, req, now: float) -> Response | None:
        auth = req.headers.get("authorization", "")
        if auth[:7].lower() == "bearer ":
            exp = self.tokens.get(auth[7:].strip())
            if exp is not None and exp > now:
                return None
        return err(401, 124, "Invalid access token.")

    # ------------------------------------------------------------------ rate limits
    def rate_limit(self, template: str, now: float) -> Response | None:
        if not self.cfg.enforce_rate_limits:
            return None
        label = LABELS[template]
        if label == "heavy":
            day = int(now // DAY)
            if day != self.heavy_day:
                self.heavy_day, self.heavy_count = day, 0
            if self.heavy_count >= self.cfg.zoom_heavy_daily:
                return self.daily_limited(now)
        limit = self.cfg.zoom_rate_limits[label]
        dq = self.qps[label]
        edge = now - 1.0
        while dq and dq[0] <= edge:
            dq.popleft()
        if len(dq) >= limit:
            return self.qps_limited(label, now)
        dq.append(now)
        if label == "heavy":
            self.heavy_count += 1
        return None

    def qps_limited(self, label: str, now: float) -> Response:
        return err(429, 429, "You have reached the maximum per-second rate limit for this API. Try again later.",
                   {"X-RateLimit-Type": "QPS", "X-RateLimit-Category": label.capitalize(),
                    "X-RateLimit-Limit": str(self.cfg.zoom_rate_limits[label]), "X-RateLimit-Remaining": "0",
                    "Retry-After": "1"})

    def daily_limited(self, now: float) -> Response:
        midnight = (int(now) // DAY + 1) * DAY
        return err(429, 429, "You have reached the maximum daily rate limit for this API. "
                             "Refer to the rate limits documentation for more information.",
                   {"X-RateLimit-Type": "Daily-limit", "X-RateLimit-Category": "Heavy",
                    "X-RateLimit-Limit": str(self.cfg.zoom_heavy_daily), "X-RateLimit-Remaining": "0",
                    "Retry-After": http_date(midnight)})

    # ------------------------------------------------------------------ tokens
    def _sign(self, raw: bytes) -> str:
        return hashlib.blake2b(raw, key=self._secret, digest_size=6).hexdigest()

    def encode_token(self, payload: dict[str, Any]) -> str:
        raw = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=") + "." + self._sign(raw)

    def page_token(self, route: str, q: dict[str, Any], offset: int, as_of: float, size: int, now: float) -> str:
        """A next_page_token of ~53 characters (some routes' definitions allow at most 100): the query
        stays here under its digest (a bounded table: a token whose query was dropped has expired)."""
        qid = hashlib.blake2b(json.dumps([route, q], sort_keys=True).encode(), digest_size=8).digest()
        self._page_queries[qid] = (route, q)
        self._page_queries.move_to_end(qid)
        while len(self._page_queries) > PAGE_QUERIES_KEPT:
            self._page_queries.popitem(last=False)
        raw = qid + struct.pack(">IddH", offset, as_of, now, size)
        return base64.urlsafe_b64encode(raw).decode().rstrip("=") + "." + self._sign(raw)

    def read_page_token(self, text: str, route: str) -> tuple[dict[str, Any], int, float, int, float] | None:
        """-> (query, offset, as_of, size, issued) of a page token of `route`; None if unknown."""
        try:
            body, _, sig = text.strip().rpartition(".")
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (ValueError, TypeError):
            return None
        if len(raw) != 30 or self._sign(raw) != sig or self._page_queries.get(raw[:8], ("",))[0] != route:
            return None
        offset, as_of, issued, size = struct.unpack(">IddH", raw[8:])
        return self._page_queries[raw[:8]][1], offset, as_of, size, issued

    def decode_token(self, text: str) -> dict[str, Any] | None:
        try:
            body, _, sig = text.strip().rpartition(".")
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            if self._sign(raw) != sig:
                return None
            payload = json.loads(raw)
            return payload if isinstance(payload, dict) else None
        except (ValueError, TypeError):
            return None

    # ------------------------------------------------------------------ windows
    def window(self, req, now: float, names: tuple[str, str] = ("from", "to"), zone=None) -> dict[str, Any]:
        """The [lo, hi] of the `from`/`to` parameters (other `names` on some routes); a date or a
        time without a zone is read in `zone` (default UTC)."""
        f = (req.arg(names[0]) or "").strip()
        t = (req.arg(names[1]) or "").strip()
        if not f:
            lo = int(now) - DAY
            hi = int(now)
            return {"lo": lo, "hi": hi, "from": fmt_ts(lo), "to": fmt_ts(hi)}
        try:
            lo, _f_date = parse_api_time(f, zone)
        except BadTime:
            raise ApiError(err(400, 300, f"Invalid parameter: {names[0]} ({f}).")) from None
        if t:
            try:
                hi, t_date = parse_api_time(t, zone)
            except BadTime:
                raise ApiError(err(400, 300, f"Invalid parameter: {names[1]} ({t}).")) from None
            if t_date:
                hi += DAY - 1
            to_echo = t
        else:
            hi, t_date = int(now), False
            to_echo = fmt_ts(hi)
        if hi < lo:
            raise ApiError(err(400, 300, "The 'to' date must be later than or equal to the 'from' date."))
        oldest = day_of(add_months(int(now), -6)) * DAY
        if lo < oldest:
            raise ApiError(err(400, 300, f"Only data from the last 6 months can be queried: 'from' must not be "
                                         f"earlier than {fmt_date(oldest)}."))
        limit = add_months(lo, 1) - 1
        if hi > limit:
            hi = limit
            to_echo = fmt_date(hi) if t_date else fmt_ts(hi)
        return {"lo": lo, "hi": hi, "from": f, "to": to_echo}

    def _time_type(self, req) -> str:
        v = (req.arg("time_type") or "startTime").strip()
        if v in ("endTime", "end_time", "end"):
            return "end"
        if v in ("startTime", "start_time", "start", ""):
            return "start"
        raise ApiError(err(400, 300, f"Invalid field: time_type ({v})."))

    # ------------------------------------------------------------------ generic paged list
    def paged(self, req, now: float, route: str, parse, compute, render, envelope_key: str,
              default_size: int, max_size: int, body=None) -> Response:
        """One page of `compute(q, as_of)`. `body(q, page_items, as_of, next_token, size, total)`, when
        given, renders the page and builds the whole answer (the Contact Center routes, sandbox/ccapi.py)."""
        tok = (req.arg("next_page_token") or "").strip()
        if tok:
            p = self.read_page_token(tok, route)
            if p is None or now - p[4] > self.cfg.page_token_ttl_s:
                raise ApiError(err(400, EXPIRED_PAGE_TOKEN["code"], EXPIRED_PAGE_TOKEN["message"]))
            q, offset, as_of, size, _ = p
        else:
            q = parse(req, now)
            offset, as_of = 0, now
            size = qpage_size(req, default_size, max_size)
        key = (route, json.dumps(q, sort_keys=True), as_of)
        items = self._query_cache.get(key)
        if items is None:
            items = compute(q, as_of)
            self._query_cache[key] = items
            # bounded by entries and by the calls they keep alive
            while len(self._query_cache) > 1 and (len(self._query_cache) > 8 or sum(
                    len(v) for v in self._query_cache.values()) > 400_000):
                self._query_cache.popitem(last=False)
        else:
            self._query_cache.move_to_end(key)
        total = len(items)
        served = self.truncated(items, q)
        page_items = served[offset: offset + size]
        end = offset + size
        if end < len(served) or (self.cfg.quirk_empty_last_page and end == len(served)):  # a full last page
            next_token = self.page_token(route, q, end, as_of, size, now)
        else:
            next_token = ""
        if body is not None:
            return Response(200, body(q, page_items, as_of, next_token, size, total))
        page = [render(x, as_of) for x in page_items]
        if route == "GET /phone/users":
            answer = {"next_page_token": next_token, "page_size": size, "total_records": total, envelope_key: page}
        else:
            answer = {"from": q["w"]["from"], "to": q["w"]["to"], "page_count": math.ceil(total / size) if total else 0,
                    "page_size": size, "total_records": total, "next_page_token": next_token, envelope_key: page}
        return Response(200, answer)

    def truncated(self, items: list, q: dict[str, Any]) -> list:
        """`quirk_truncated_window`: a window longer than a day that holds `truncated_day` is answered
        without every second call of that day; total_records still counts them."""
        day = self.cfg.truncated_day
        w = q.get("w") if isinstance(q, dict) else None
        if not (self.cfg.quirk_truncated_window and day and w and w["hi"] - w["lo"] + 1 > DAY):
            return items
        first = day_of(parse_api_time(str(day))[0])
        out, seen = [], 0
        for item in items:
            call = item[0] if isinstance(item, tuple) else item
            start = getattr(call, "start", None)
            if start is not None and day_of(start) == first:
                seen += 1
                if seen % 2 == 0:
                    continue
            out.append(item)
        return out

    # ------------------------------------------------------------------ users
    def list_users(self, req, now) -> Response:
        sb = self.sb

        def parse(req, now):
            return {}

        def compute(q, as_of):
            return sb.user_entities()

        return self.paged(req, now, "GET /phone/users", parse, compute, lambda u, a: sb.render_user(u),
                          "users", 30, 100)

    def user_or_error(self, user_id: str):
        d = self.sb.directory
        u = d.by_user_id.get(user_id)
        if u is not None:
            return u
        for x in d.unlicensed:
            if x.id == user_id:
                if x.licensed == "no_license":
                    raise ApiError(err(400, 3161, "User does not have a Zoom Phone license."))
                break
        raise ApiError(err(404, 1001, f"User does not exist: {user_id}."))

    # ------------------------------------------------------------------ call logs
    def list_call_logs(self, req, now) -> Response:
        sb = self.sb

        def parse(req, now):
            q: dict[str, Any] = {"w": self.window(req, now), "tt": self._time_type(req)}
            typ = (req.arg("type") or "all").strip() or "all"
            if typ not in ("all", "missed"):
                raise ApiError(err(400, 300, f"Invalid field: type ({typ})."))
            q["type"] = typ
            for name in ("path", "site_id"):
                v = (req.arg(name) or "").strip()
                if v:
                    q[name] = v
            if (req.arg("charged_call_logs") or "").lower() == "true":
                q["charged"] = True
            return q

        def compute(q, as_of):
            return sb.query_call_logs(q["w"]["lo"], q["w"]["hi"], q, as_of)

        return self.paged(req, now, "GET /phone/call_logs", parse, compute,
                          lambda x, a: sb.phone.call_log(x[0], x[1]), "call_logs", 30, 300)

    def call_log_detail(self, req, now, log_id: str) -> Response:
        found = self.sb.find_call_log(log_id, now)
        if found is None:
            raise ApiError(err(404, 1001, f"Call log does not exist: {log_id}."))
        return Response(200, self.sb.phone.call_log_detail(*found))

    # ------------------------------------------------------------------ call history
    def list_call_history(self, req, now) -> Response:
        sb = self.sb
        legacy = self.cfg.legacy_call_history_shape

        def parse(req, now):
            q: dict[str, Any] = {"w": self.window(req, now), "tt": self._time_type(req)}
            rs = (req.arg("recording_status") or "").strip() or "recorded"  # the published default
            if rs not in ("recorded", "non_recorded"):
                raise ApiError(err(400, 300, f"Invalid field: recording_status ({rs})."))
            q["recording_status"] = rs
            for name in ("direction", "site_id", "connect_type"):
                v = (req.arg(name) or "").strip()
                if v:
                    q[name] = v
            return q

        def compute(q, as_of):
            return sb.query_call_history(q["w"]["lo"], q["w"]["hi"], q, as_of)

        return self.paged(req, now, "GET /phone/call_history", parse, compute,
                          lambda c, a: sb.phone.call_history(c, legacy=legacy), "call_logs" if legacy else "call_history",
                          30, 300)

    def call_history_detail(self, req, now, uuid: str) -> Response:
        c = self.sb.find_call(uuid, now, K_HISTORY)
        if c is None:
            raise ApiError(err(404, 1001, f"Call history does not exist: {uuid}."))
        return Response(200, self.sb.phone.call_history_detail(c, self.cfg.legacy_call_history_shape))

    # ------------------------------------------------------------------ user syncs
    def user_sync(self, req, now, user_id: str, kind: str) -> Response:
        sb = self.sb
        u = self.user_or_error(user_id)
        sync_type = (req.arg("sync_type") or "FSync").strip() or "FSync"
        if sync_type not in ("FSync", "ISync", "BSync"):
            raise ApiError(err(400, 300, f"Invalid field: sync_type ({sync_type})."))
        try:
            count = int(req.arg("count") or 30)
        except ValueError:
            raise ApiError(err(400, 300, "Invalid field: count.")) from None
        count = max(1, min(count, 250))
        raw = (req.arg("sync_token") or "").strip()
        token = None
        if raw:
            token = self.decode_token(raw)
            if token is None or token.get("u") != u.id or token.get("k") != kind:
                raise ApiError(err(400, 300, "Invalid sync_token."))
        if token is None or sync_type == "FSync":
            rows = sb.user_rows_before(u.index, kind, None, count, now)
            token = {"u": u.id, "k": kind, "b": list(rows[-1][0]) if rows else [0, 0, 0, 0], "i": [now, MAX_KEY, 0, 0]}
        elif sync_type == "BSync":
            cursor = tuple(token["b"]) if token.get("b") else None
            rows = sb.user_rows_before(u.index, kind, cursor, count, now) if cursor else []
            if rows:
                token["b"] = list(rows[-1][0])
        else:  # ISync
            mark = tuple(token["i"])
            rows = sb.user_rows_after(u.index, kind, mark, count, now)
            token["i"] = list(rows[-1][1]) if len(rows) == count else [now, MAX_KEY, 0, 0]
        items = [r[2]() for r in rows]
        if kind == "logs":
            return Response(200, {"call_logs": items, "sync_token": self.encode_token(token)})
        return Response(200, {"call_logs": [as_user_call_log(x) for x in items], "call_elements": items,
                              "sync_token": self.encode_token(token)})
