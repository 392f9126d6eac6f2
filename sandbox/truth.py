"""Ground truth: what the APIs would serve right now (sb.clock.now()), visible calls only.

Every method returns the items exactly as the API renders them (quirks included),
without paging or the six-month / one-month limits. `start`/`end` are datetimes
(or ISO strings) and select by start time, start inclusive, end exclusive.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from zoneinfo import ZoneInfo

from .clock import fmt_ts, parse_instant
from .phone import FIXTURE, as_user_call_log

FAR = 1 << 40
LIST_FILTERS = ("types", "sub_types", "number_types", "country_iso_codes", "queue_ids", "user_ids", "team_ids",
                "engagement_id", "flow_ids", "channels")


def _lo(value) -> int:
    return -FAR if value is None else int(math.ceil(parse_instant(value).timestamp()))


def _hi(value) -> int:
    """Exclusive end -> inclusive last second."""
    return FAR if value is None else int(math.ceil(parse_instant(value).timestamp())) - 1


class Truth:
    def __init__(self, sb):
        self.sb = sb

    def _now(self) -> float:
        return self.sb.clock.timestamp()

    # ------------------------------------------------------------------ Zoom Phone
    def users(self) -> list[dict[str, Any]]:
        with self.sb.lock:
            return [self.sb.render_user(u) for u in self.sb.user_entities()]

    def _logs(self, start, end) -> list:
        return self.sb.query_call_logs(_lo(start), _hi(end), {}, self._now())

    def call_logs(self, start: dt.datetime | str | None = None, end: dt.datetime | str | None = None):
        with self.sb.lock:
            return [self.sb.phone.call_log(c, k) for c, k in self._logs(start, end)]

    def call_log_legs(self) -> list[dict[str, Any]]:
        """Every leg (log_details item) of every visible call log, with its `call_log_id`."""
        out = []
        with self.sb.lock:
            for c, k in self._logs(None, None):
                log_id = c.log_id(k)
                for leg in self.sb.phone.log_detail_legs(c, k):
                    out.append({"call_log_id": log_id, **leg})
        return out

    def _calls(self, start, end) -> list:
        return self.sb.query_call_history(_lo(start), _hi(end), {}, self._now())

    def call_history(self, start: dt.datetime | str | None = None, end: dt.datetime | str | None = None):
        with self.sb.lock:
            return [self.sb.phone.call_history(c) for c in self._calls(start, end)]

    def call_elements(self) -> list[dict[str, Any]]:
        """Every call element of every visible call, each with its call's `call_history_uuid` added."""
        out = []
        with self.sb.lock:
            for c in self._calls(None, None):
                out.extend({**e, "call_history_uuid": c.history_uuid} for e in self.sb.phone.call_elements(c))
        return out

    def _user_rows(self, user_id: str, kind: str) -> list[dict[str, Any]]:
        u = self.sb.directory.by_user_id.get(user_id)
        if u is None:
            return []
        with self.sb.lock:
            return [r[2]() for r in self.sb.user_rows_before(u.index, kind, None, FAR, self._now())]

    def user_call_logs(self, user_id: str) -> list[dict[str, Any]]:
        """The user's visible call-log rows, newest first (the order of FSync/BSync)."""
        return self._user_rows(user_id, "logs")

    def user_call_elements(self, user_id: str) -> list[dict[str, Any]]:
        """The user's legs as `call_elements[]` items of their call-history sync, newest call first."""
        return self._user_rows(user_id, "history")

    def user_call_history(self, user_id: str) -> list[dict[str, Any]]:
        """The same legs as `call_logs[]` items of the call-history sync (keyed `id`)."""
        return [as_user_call_log(x) for x in self._user_rows(user_id, "history")]

    # ------------------------------------------------------------------ Contact Center
    @staticmethod
    def _cc_filters(filters: dict[str, Any]) -> dict[str, Any]:
        """API filter names -> the sandbox's (cc_queue_ids/queue_id -> queue_ids, user_id -> user_ids, ...);
        list filters take a list or a comma-separated string."""
        aliases = {"cc_queue_ids": "queue_ids", "queue_id": "queue_ids", "user_id": "user_ids",
                   "team_id": "team_ids", "channel": "channels"}
        f: dict[str, Any] = {}
        for k, v in filters.items():
            if v is None:
                continue
            k = aliases.get(k, k)
            if k in LIST_FILTERS:
                vals = [v] if isinstance(v, str) else list(v)
                f[k] = sorted({x.strip() for s in vals for x in s.split(",") if x.strip()} | set(f.get(k, ())))
            else:
                f[k] = v
        return f

    def voice_calls(self, start: dt.datetime | str | None = None, end: dt.datetime | str | None = None,
                    view_type: str | None = None, **filters: Any) -> list[dict[str, Any]]:
        """Visible engagements (as served now: unfinished ones still "in_progress"), by start time.

        view_type None: as GET /contact_center/voice_calls renders them (times in "Z"); "summary" or
        "detail": as the account route does (times "+00:00"; detail with sub_types and
        voice_call_details). filters: direction, distribution, consumer_number, engagement_id (str);
        types, sub_types, number_types, country_iso_codes, cc_queue_ids (or queue_ids), user_ids,
        team_ids (str or list).
        """
        f = self._cc_filters(filters)
        sb = self.sb
        with sb.lock:
            now = self._now()
            calls = sb.query_voice_calls(_lo(start), _hi(end), f, now)
            if view_type is None:
                return [sb.cc.render(e, now) for e in calls]
            return [sb.cc.render(e, now, None, "+00:00", view_type == "detail") for e in calls]

    def _closed(self, start, end, timezone: str | None, filters: dict[str, Any], render) -> list[dict[str, Any]]:
        zone = None if timezone in (None, "", "UTC") else ZoneInfo(timezone)
        sb = self.sb
        with sb.lock:
            found = sb.cc_api.closed_engagements(_lo(start), _hi(end), self._cc_filters(filters), self._now())
            return [render(e, zone) for e in found]

    def engagements(self, start: dt.datetime | str | None = None, end: dt.datetime | str | None = None,
                    timezone: str | None = None, **filters: Any) -> list[dict[str, Any]]:
        """The engagement dataset (GET /contact_center/analytics/dataset/historical/engagement) as served
        now: closed engagements by start time, times in `timezone` (default UTC). filters: the API's
        (engagement_id, direction, queue_id, user_id, team_id, channel)."""
        return self._closed(start, end, timezone, filters, self.sb.cc.dataset_row)

    def engagement_logs(self, start: dt.datetime | str | None = None, end: dt.datetime | str | None = None,
                        timezone: str | None = None, **filters: Any) -> list[dict[str, Any]]:
        """The engagement log (GET /contact_center/analytics/log/historical/engagement) as served now."""
        return self._closed(start, end, timezone, filters, self.sb.cc.log_row)

    # ------------------------------------------------------------------ Zoho
    def zoho_logs(self, start: dt.datetime | str | None = None, end: dt.datetime | str | None = None):
        """Visible Zoho Voice logs, newest first, including the two doc fixtures and added rows."""
        sb = self.sb
        with sb.lock:
            lo = None if start is None else _lo(start)
            hi = None if end is None else _hi(end) + 1
            return [sb.zoho.render(z) for z in sb.query_zoho(lo, hi, {}, self._now())]

    # ------------------------------------------------------------------ the worked example
    @property
    def marketing_hotline(self) -> dict[str, Any]:
        """Ids of the worked example of "Understand Zoom Phone call logs" (a few days before start)."""
        sb = self.sb
        with sb.lock:
            c = sb.fixture_call()
            users = sb.directory.users
            elements = [e["call_element_id"] for e in sb.phone.call_elements(c)]
            return {
                "call_id": FIXTURE["call_id"],
                "call_log_id": FIXTURE["call_log_id"],
                "log_detail_ids": list(FIXTURE["leg_ids"]),
                "log_detail_results": list(FIXTURE["leg_results"]),
                "call_history_uuid": c.history_uuid,
                "call_element_ids": elements,
                "date_time": fmt_ts(c.start),
                "visible_at": fmt_ts(c.vis),
                "auto_receptionist_id": FIXTURE["auto_receptionist"]["id"],
                "call_queue_id": FIXTURE["call_queue"]["id"],
                "missed_user_id": users[0].id,
                "answered_user_id": users[1].id,
                "site_id": FIXTURE["site"]["id"],
                "recording_id": FIXTURE["recording_id"],
                "caller_number": FIXTURE["caller_number"],
            }

    # ------------------------------------------------------------------ admin route helper
    def summary(self, name: str, q: dict[str, str]) -> dict[str, Any]:
        start, end = q.get("start"), q.get("end")
        if name == "users":
            items = self.users()
        elif name == "call_logs":
            items = self.call_logs(start, end)
        elif name == "call_log_legs":
            items = self.call_log_legs()
        elif name == "call_history":
            items = self.call_history(start, end)
        elif name == "call_elements":
            items = self.call_elements()
        elif name == "user_call_logs":
            items = self.user_call_logs(q.get("user_id", ""))
        elif name == "user_call_history":
            items = self.user_call_history(q.get("user_id", ""))
        elif name == "user_call_elements":
            items = self.user_call_elements(q.get("user_id", ""))
        elif name in ("voice_calls", "engagements", "engagement_logs"):
            filters = {k: v for k, v in q.items() if k not in ("start", "end", "count_only")}
            items = getattr(self, name)(start, end, **filters)
        elif name == "zoho_logs":
            items = self.zoho_logs(start, end)
        elif name == "marketing_hotline":
            return self.marketing_hotline
        else:
            raise ValueError(f"unknown truth {name!r}; expected one of users, call_logs, call_log_legs, call_history, "
                             "call_elements, user_call_logs, user_call_history, user_call_elements, voice_calls, "
                             "engagements, engagement_logs, zoho_logs, marketing_hotline")
        out: dict[str, Any] = {"count": len(items)}
        if q.get("count_only", "").lower() not in ("1", "true", "yes"):
            out["items"] = items
        return out
