"""Zoom Contact Center routes (the engagements themselves are generated in cc.py).

Window rules, page tokens, rate limits and authentication are Zoom's, as in zoom.py.
"""

from __future__ import annotations

from typing import Any

from .server import ApiError, Response
from .zoom import err, multi


class ContactCenterApi:
    def __init__(self, sb):
        self.sb = sb
        self.zoom = sb.zoom_api
        self.cc = sb.cc

    def list_voice_calls(self, req, now) -> Response:
        sb, cc, zoom = self.sb, self.cc, self.zoom

        def parse(req, now):
            q: dict[str, Any] = {"w": zoom.window(req, now)}
            f: dict[str, Any] = {}
            for name in ("direction", "distribution", "consumer_number", "engagement_id"):
                v = (req.arg(name) or "").strip()
                if v:
                    f[name] = v
            for name in ("types", "number_types", "country_iso_codes"):
                vals = multi(req, name)
                if vals:
                    f[name] = sorted(set(vals))
            for name, known, code, what in (("queue_ids", cc.queue_ids, 1201, "Queue"),
                                            ("user_ids", cc.agent_ids | set(sb.directory.by_user_id), 1001, "User")):
                vals = multi(req, name)
                if not vals:
                    continue
                if len(vals) > 20:
                    raise ApiError(err(400, 300, f"You can query up to 20 {name}."))
                for v in vals:
                    if v not in known and not (name == "queue_ids" and v == "none"):
                        raise ApiError(err(404, code, f"{what} does not exist: {v}."))
                f[name] = sorted(set(vals))
            q["f"] = f
            return q

        def compute(q, as_of):
            return sb.query_voice_calls(q["w"]["lo"], q["w"]["hi"], q["f"], as_of)

        def body(q, items, as_of, token, size, total):
            return {"next_page_token": token, "page_size": size, "total_records": total,
                    "from": q["w"]["from"], "to": q["w"]["to"], "voice_calls": [cc.render(e, as_of) for e in items]}

        return zoom.paged(req, now, "GET /contact_center/voice_calls", parse, compute, None, "voice_calls", 10, 100,
                          body=body)
