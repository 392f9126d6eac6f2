"""Zoom Contact Center routes (the engagements and how each view renders them: cc.py).

All four are Heavy, take Zoom's window rules (zoom.py: one month, six-month look-back, last
24 h without `from`) and stateless 15-minute page tokens:

* `GET /contact_center/voice_calls`: page_size 10/100; filters direction, distribution,
  consumer_number, engagement_id, types, number_types, country_iso_codes, team_ids, user_ids
  and cc_queue_ids (or the deprecated queue_ids; up to 20 ids each, unknown ids 404 code
  1201/1001). Times in UTC ("Z").
* `GET /accounts/{accountId}/contact_center/voice_calls`: the same for the app's account
  (another accountId: 404 code 2001), plus `view_type` summary (default) | detail and the
  `sub_types` filter. Times carry the offset of `from` ("-08:00"), else "+00:00".
* `GET /contact_center/analytics/dataset/historical/engagement`: `from`/`to` on start time,
  page_size 30/100, `timezone` (IANA name, default UTC): a `from`/`to` without a zone is read
  in it and the answer's times are rendered in it ("Z" for UTC). Filters engagement_id,
  direction, queue_id, user_id, team_id, channel (arrays). Closed engagements only.
* `GET /contact_center/analytics/log/historical/engagement`: `start_time_from`/`start_time_to`
  (or `end_time_from`/`end_time_to`: by end time), page_size 30/100, `timezone` as above,
  filters engagement_id, direction, queue_ids, user_ids, team_ids, flow_ids, channels.

Scopes: a macro scope listed in `SandboxConfig.zoom_missing_scopes` is one the app lacks: the
routes that need it answer `zoom_missing_scope_status` (401 or 403) with Zoom's code 4711
"Invalid access token, does not contain scopes:[<macro>, <granular>]."
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .cc import ACCOUNT_VOICE_CALLS, CC_SCOPES, DATASET, LOG, VOICE_CALLS
from .clock import day_of, offset_of
from .server import ApiError, Response
from .zoom import err, multi

MAX_IDS = 20
UTC_NAMES = ("", "UTC")


class ContactCenterApi:
    def __init__(self, sb):
        self.sb = sb
        self.cfg = sb.config
        self.zoom = sb.zoom_api
        self.cc = sb.cc

    # ------------------------------------------------------------------ shared checks
    def check_scope(self, route: str) -> None:
        macro, granular = CC_SCOPES[route]
        if macro in self.cfg.zoom_missing_scopes:
            raise ApiError(err(self.cfg.zoom_missing_scope_status, 4711,
                               f"Invalid access token, does not contain scopes:[{macro}, {granular}]."))

    def _ids(self, req, names: tuple[str, ...], known: set[str] | None = None, code: int = 0,
             what: str = "") -> list[str]:
        """Ids of one filter given under any of `names`, at most 20 per name; unknown ones -> 404."""
        out: list[str] = []
        for name in names:
            vals = multi(req, name)
            if len(vals) > MAX_IDS:
                raise ApiError(err(400, 300, f"You can query up to {MAX_IDS} {name}."))
            out += vals
        if known is not None:
            for v in out:
                if v not in known and v != "none":
                    raise ApiError(err(404, code, f"{what} does not exist: {v}."))
        return sorted(set(out))

    def _zone(self, req) -> tuple[str, dt.tzinfo | None]:
        name = (req.arg("timezone") or "").strip()
        if name in UTC_NAMES:
            return "UTC", None
        try:
            return name, ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ApiError(err(400, 300, f"Invalid field: timezone ({name}).")) from None

    # ------------------------------------------------------------------ voice calls
    def list_voice_calls(self, req, now) -> Response:
        return self._voice_calls(req, now, VOICE_CALLS)

    def account_voice_calls(self, req, now, account_id: str) -> Response:
        if account_id != self.cfg.zoom_account_id:
            raise ApiError(err(404, 2001, f"Account does not exist: {account_id}."))
        return self._voice_calls(req, now, ACCOUNT_VOICE_CALLS)

    def _voice_calls(self, req, now, route: str) -> Response:
        self.check_scope(route)
        sb, cc, zoom = self.sb, self.cc, self.zoom
        account = route == ACCOUNT_VOICE_CALLS

        def parse(req, now):
            q: dict[str, Any] = {"w": zoom.window(req, now)}
            f: dict[str, Any] = {}
            for name in ("direction", "distribution", "consumer_number", "engagement_id"):
                v = (req.arg(name) or "").strip()
                if v:
                    f[name] = v
            for name in ("types", "number_types", "country_iso_codes", "team_ids") + (("sub_types",) if account else ()):
                vals = multi(req, name)
                if vals:
                    f[name] = sorted(set(vals))
            queues = self._ids(req, ("cc_queue_ids", "queue_ids"), cc.queue_ids, 1201, "Queue")
            users = self._ids(req, ("user_ids",), cc.agent_ids | set(sb.directory.by_user_id), 1001, "User")
            if queues:
                f["queue_ids"] = queues
            if users:
                f["user_ids"] = users
            q["f"] = f
            if account:
                view = (req.arg("view_type") or "summary").strip() or "summary"
                if view not in ("summary", "detail"):
                    raise ApiError(err(400, 300, f"Invalid field: view_type ({view})."))
                q["detail"] = view == "detail"
                zone = offset_of(req.arg("from"))
                q["off"] = int(zone.utcoffset(None).total_seconds()) if zone else 0
            return q

        def compute(q, as_of):
            return sb.query_voice_calls(q["w"]["lo"], q["w"]["hi"], q["f"], as_of)

        def body(q, items, as_of, token, size, total):
            if account:
                zone = dt.timezone(dt.timedelta(seconds=q["off"])) if q["off"] else None
                calls = [cc.render(e, as_of, zone, "+00:00", q["detail"]) for e in items]
            else:
                calls = [cc.render(e, as_of) for e in items]
            return {"next_page_token": token, "page_size": size, "total_records": total,
                    "from": q["w"]["from"], "to": q["w"]["to"], "voice_calls": calls}

        return zoom.paged(req, now, route, parse, compute, None, "voice_calls", 10, 100, body=body)

    # ------------------------------------------------------------------ analytics
    def closed_engagements(self, lo: int, hi: int, f: dict[str, Any], as_of: float, by_end: bool = False) -> list:
        """Closed (final, visible) engagements whose start (or end) is in [lo, hi], in that order."""
        out = []
        first = max(self.sb.first_day, day_of(lo) - (1 if by_end else 0))
        for day in range(first, min(day_of(hi), day_of(as_of)) + 1):
            for e in self.sb.cc_days.get(day).calls:
                t = e.end if by_end else e.start
                if lo <= t <= hi and e.final_vis <= as_of and self.cc.matches(e, f):
                    out.append((t, e.day, e.idx, e))
        out.sort(key=lambda x: x[:3])
        return [x[3] for x in out]

    def _analytics(self, req, now, route: str, names: dict[str, str], windows: tuple[tuple[str, str], ...],
                   render, envelope: tuple[str, ...], items_key: str) -> Response:
        self.check_scope(route)
        zoom = self.zoom

        def parse(req, now):
            tz_name, zone = self._zone(req)
            lo_name, hi_name = next(((a, b) for a, b in windows if (req.arg(a) or "").strip()), windows[0])
            q: dict[str, Any] = {"w": zoom.window(req, now, (lo_name, hi_name), zone), "tz": tz_name,
                                 "end": lo_name.startswith("end")}
            f: dict[str, Any] = {}
            v = (req.arg("direction") or "").strip()
            if v:
                f["direction"] = v
            for api_name, key in names.items():
                vals = self._ids(req, (api_name,))
                if vals:
                    f[key] = vals
            q["f"] = f
            return q

        def compute(q, as_of):
            return self.closed_engagements(q["w"]["lo"], q["w"]["hi"], q["f"], as_of, q["end"])

        def body(q, items, as_of, token, size, total):
            zone = None if q["tz"] == "UTC" else ZoneInfo(q["tz"])
            out: dict[str, Any] = {"next_page_token": token, "page_size": size, "total_records": total,
                                   "timezone": q["tz"]}
            if "from" in envelope:
                out.update({"from": q["w"]["from"], "to": q["w"]["to"]})
            out[items_key] = [render(e, zone) for e in items]
            return out

        return zoom.paged(req, now, route, parse, compute, None, items_key, 30, 100, body=body)

    def engagement_dataset(self, req, now) -> Response:
        return self._analytics(
            req, now, DATASET,
            {"engagement_id": "engagement_id", "queue_id": "queue_ids", "user_id": "user_ids",
             "team_id": "team_ids", "channel": "channels"},
            (("from", "to"),), self.cc.dataset_row, ("from", "to"), "engagements")

    def engagement_log(self, req, now) -> Response:
        return self._analytics(
            req, now, LOG,
            {"engagement_id": "engagement_id", "queue_ids": "queue_ids", "user_ids": "user_ids",
             "team_ids": "team_ids", "flow_ids": "flow_ids", "channels": "channels"},
            (("start_time_from", "start_time_to"), ("end_time_from", "end_time_to")), self.cc.log_row, (),
            "engagement_logs")

    def route(self, s: list[str]) -> tuple[str | None, str, Any, tuple]:
        """Path segments after /v2 -> (template, "zoom", handler, args) as Sandbox._match gives them."""
        if s == ["contact_center", "voice_calls"]:
            return VOICE_CALLS, "zoom", self.list_voice_calls, ()
        if len(s) == 4 and s[0] == "accounts" and s[2:] == ["contact_center", "voice_calls"]:
            return ACCOUNT_VOICE_CALLS, "zoom", self.account_voice_calls, (s[1],)
        if s == ["contact_center", "analytics", "dataset", "historical", "engagement"]:
            return DATASET, "zoom", self.engagement_dataset, ()
        if s == ["contact_center", "analytics", "log", "historical", "engagement"]:
            return LOG, "zoom", self.engagement_log, ()
        return None, "zoom", None, ()
