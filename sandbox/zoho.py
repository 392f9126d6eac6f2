"""Zoho routes: refresh-token OAuth and GET /rest/json/zv/logs.

Rules as served (sandbox clock):

* `POST /oauth/v2/token` (grant_type=refresh_token, client_id, client_secret,
  refresh_token; query or form): {"access_token", "api_domain", "token_type": "Bearer",
  "expires_in"}. Wrong credentials: HTTP 200 {"error": "invalid_code"}. More than
  `zoho_token_mints_per_10min` (10) successful mints per refresh token in a rolling
  10 minutes: HTTP 200 {"error": "Access Denied", "error_description": ...}.
* `GET /rest/json/zv/logs` needs `Authorization: Zoho-oauthtoken <token>` (else 401
  {"status":"ERROR","code":"INVALID_OAUTHTOKEN",...}).
  - Throttle: the request that would be the (zoho_per_minute + 1)-th in any rolling
    60 s starts a lock-out of `zoho_lockout_s`; it and every logs request until the
    lock ends answer 429 {"status":"ERROR","code":"TOO_MANY_REQUESTS",...} with
    Retry-After in seconds. Requests during the lock do not extend it.
  - `from` = 0-based offset (default 0), `size` default 10, capped at 100.
  - `fromDate` inclusive, `toDate` exclusive; both accept epoch milliseconds (digits),
    yyyy-MM-dd, yyyy-MM-dd HH:mm[:ss] and ISO 8601 (yyyy-MM-ddTHH:mm:ssZ). A date or a time
    without a zone is read in the org's zone (`zoho_timezone`, default UTC). A date-only
    `toDate` includes that whole day. Without them every visible log is listed. Empty
    parameter values are ignored. A format listed in `zoho_ignored_date_formats` ("epoch_ms",
    "date", "datetime") is ignored, as some account might: every visible log is listed.
  - Filters: callType, departmentId / groupIds / numberIds (comma-separated ids),
    agent (agent id), isVoiceMail / isRecording (true = only those; both true = either).
    Also accepted: userNumber, isAllCountry, feedback, contact_name, campaignId.
    Any other parameter: HTTP 200 {"code":"ZVT010","message":"Extra parameter found.","status":"ERROR"}.
  - Rows newest first (start_time descending). An offset at or past the end
    (including an empty result) answers HTTP 204 with no body.
  - `zoho_rows_added_per_page` > 0: after each page served, that many new calls
    starting "now" are added (they sort first and shift every offset by that much).
"""

from __future__ import annotations

import collections
import hashlib
import math
import re
from typing import Any
from zoneinfo import ZoneInfo

from .clock import DAY, BadTime, parse_api_time
from .server import ApiError, Response

KNOWN_PARAMS = {"from", "size", "fromDate", "toDate", "numberIds", "userNumber", "agent", "callType", "feedback",
                "contact_name", "isAllCountry", "isVoiceMail", "isRecording", "departmentId", "groupIds",
                "campaignId"}
CALL_TYPES = {"incoming", "outgoing", "missed", "bridged", "forward"}


LOCAL_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?$")


def date_kind(text: str) -> str:
    """"epoch_ms", "date" or "datetime": the form a fromDate/toDate value is written in."""
    text = text.strip()
    if text.isdigit():
        return "epoch_ms"
    return "date" if len(text) == 10 else "datetime"


def _iso(text: str) -> str:
    """yyyy-MM-dd HH:mm -> yyyy-MM-ddTHH:mm (a space there is not a URL-decoded '+' offset)."""
    text = text.strip()
    return text.replace(" ", "T") if LOCAL_TIME.match(text) else text


def zerr(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response(status, {"code": code, "message": message, "status": "ERROR"}, headers)


class ZohoApi:
    def __init__(self, sb):
        self.sb = sb
        self.cfg = sb.config
        self.tokens: dict[str, float] = {}
        self.mints: dict[str, collections.deque] = collections.defaultdict(collections.deque)
        self.minted = 0
        self.window: collections.deque = collections.deque()
        self.locked_until = 0.0

    # ------------------------------------------------------------------ oauth
    def token(self, req, now: float) -> Response:
        p = {k: (v[0] if v else "") for k, v in req.form().items()}
        cfg = self.cfg
        if p.get("grant_type") != "refresh_token":
            return Response(200, {"error": "unsupported_grant_type"})
        if (p.get("client_id") != cfg.zoho_client_id or p.get("client_secret") != cfg.zoho_client_secret
                or p.get("refresh_token") != cfg.zoho_refresh_token):
            return Response(200, {"error": "invalid_code"})
        rt = p["refresh_token"]
        dq = self.mints[rt]
        while dq and dq[0] <= now - 600:
            dq.popleft()
        if cfg.enforce_rate_limits and len(dq) >= cfg.zoho_token_mints_per_10min:
            return Response(200, {"error": "Access Denied", "error_description":
                                  "You have made too many requests continuously. Please try again after some time."})
        dq.append(now)
        self.minted += 1
        digest = hashlib.sha256(f"zoho-token:{cfg.seed}:{self.minted}".encode()).hexdigest()
        token = f"1000.{digest[:32]}.{digest[32:]}"
        for t, exp in list(self.tokens.items()):
            if exp <= now:
                del self.tokens[t]
        self.tokens[token] = now + cfg.token_ttl_s
        return Response(200, {"access_token": token, "api_domain": self.sb.url, "token_type": "Bearer",
                              "expires_in": cfg.token_ttl_s})

    def authenticate(self, req, now: float) -> Response | None:
        auth = req.headers.get("authorization", "")
        if auth[:16].lower() == "zoho-oauthtoken ":
            exp = self.tokens.get(auth[16:].strip())
            if exp is not None and exp > now:
                return None
        return zerr(401, "INVALID_OAUTHTOKEN", "Invalid OAuth access token.")

    # ------------------------------------------------------------------ throttle
    def lockout(self, now: float) -> Response:
        if self.locked_until <= now:
            self.locked_until = now + self.cfg.zoho_lockout_s
        return self.locked_response(now)

    def locked_response(self, now: float) -> Response:
        wait = max(1, math.ceil(self.locked_until - now))
        minutes = max(1, round(self.cfg.zoho_lockout_s / 60))
        return zerr(429, "TOO_MANY_REQUESTS", f"Too many requests. Locked for {minutes} minutes.",
                    {"Retry-After": str(wait)})

    def throttle(self, now: float) -> Response | None:
        if not self.cfg.enforce_rate_limits:
            return None
        if now < self.locked_until:
            return self.locked_response(now)
        dq = self.window
        while dq and dq[0] <= now - 60:
            dq.popleft()
        if len(dq) >= self.cfg.zoho_per_minute:
            dq.clear()
            return self.lockout(now)
        dq.append(now)
        return None

    # ------------------------------------------------------------------ logs
    def parse(self, req) -> dict[str, Any]:
        q: dict[str, Any] = {}
        for name, values in req.query.items():
            if name not in KNOWN_PARAMS:
                raise ApiError(zerr(200, "ZVT010", "Extra parameter found."))
            v = values[0].strip() if values else ""
            if v == "":
                continue
            q[name] = v

        def bad(name: str) -> ApiError:
            return ApiError(zerr(400, "ZVT011", f"Invalid value for the parameter {name}."))

        out: dict[str, Any] = {"f": {}}
        try:
            out["from"] = int(q.get("from", 0))
            size = int(q.get("size", 10))
        except ValueError:
            raise bad("from/size") from None
        if out["from"] < 0:
            raise bad("from")
        out["size"] = 10 if size < 1 else min(size, 100)
        lo, hi = None, None
        zone = ZoneInfo(self.cfg.zoho_timezone)
        ignored = self.cfg.zoho_ignored_date_formats
        if "fromDate" in q and date_kind(q["fromDate"]) not in ignored:
            try:
                lo, _ = parse_api_time(_iso(q["fromDate"]), zone)
            except BadTime:
                raise bad("fromDate") from None
        if "toDate" in q and date_kind(q["toDate"]) not in ignored:
            try:
                hi, date_only = parse_api_time(_iso(q["toDate"]), zone)
            except BadTime:
                raise bad("toDate") from None
            if date_only:
                hi += DAY
        out["lo"], out["hi"] = lo, hi
        f = out["f"]
        if "callType" in q:
            if q["callType"] not in CALL_TYPES:
                raise bad("callType")
            f["callType"] = q["callType"]
        for name in ("departmentId", "groupIds", "numberIds"):
            if name in q:
                f[name] = sorted({x.strip() for x in q[name].split(",") if x.strip()})
        if "agent" in q:
            f["agent"] = q["agent"]
        for name in ("isVoiceMail", "isRecording"):
            if name in q:
                if q[name].lower() not in ("true", "false"):
                    raise bad(name)
                if q[name].lower() == "true":
                    f[name] = True
        return out

    def logs(self, req, now: float) -> Response:
        q = self.parse(req)
        rows = self.sb.query_zoho(q["lo"], q["hi"], q["f"], now)
        total = len(rows)
        start = q["from"]
        if start >= total:
            return Response(204, None)
        page = [self.sb.zoho.render(z) for z in rows[start: start + q["size"]]]
        if self.cfg.zoho_rows_added_per_page > 0:
            self.sb.zoho.add_rows(now, self.cfg.zoho_rows_added_per_page)
            self.sb.invalidate_zoho()
        return Response(200, {"meta": {"total": total}, "logs": page, "status": "200"})
