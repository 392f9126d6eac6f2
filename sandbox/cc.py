"""Zoom Contact Center voice calls (engagements), generated per day.

Late arrivals: an engagement normally appears 30 s to 5 min after it ends. With
`quirk_late_arrivals`, about 4% first appear while still unfinished
(`end_time` null, `total_duration` 0, `result` "in_progress", `recorded` false)
shortly after they start, and are replaced by their final version 2 to 6 hours
after they end; the engagement_id and start_time never change.
"""

from __future__ import annotations

import random
from typing import Any

from .clock import DAY, fmt_ts
from .phone import time_of_day
from .world import K_ENGAGEMENT, DayCalls, Directory, cumulative, make_uuid, weighted_pick, zoom_id

INBOUND_RESULTS = [("completed", 56), ("abandoned", 7), ("short_abandoned", 5), ("long_abandoned", 3),
                   ("overflowed", 4), ("missed", 5), ("voicemail", 6), ("declined", 2), ("hang_up_calls", 4),
                   ("transferred", 8)]
OUTBOUND_RESULTS = [("completed", 74), ("missed", 14), ("declined", 5), ("hang_up_calls", 7)]
NO_AGENT = {"abandoned", "short_abandoned", "long_abandoned", "voicemail"}
IN_CUM = cumulative(INBOUND_RESULTS)
# the routes (sandbox/ccapi.py): rate-limit label, and (envelope keys, item key) for the missing_key fault
CC_LABELS = {"GET /contact_center/voice_calls": "heavy"}
CC_ITEM_KEYS = {"GET /contact_center/voice_calls": (("voice_calls",), "engagement_id")}
OUT_CUM = cumulative(OUTBOUND_RESULTS)


class Engagement:
    __slots__ = ("day", "idx", "rs", "start", "end", "vis", "final_vis", "direction", "result", "queues",
                 "agents", "flows", "consumer", "center_number", "center_type", "types", "distributions",
                 "call_legs", "recorded", "monitored", "inbox", "late", "engagement_id")


class ContactCenter:
    def __init__(self, cfg, directory: Directory, first_day: int):
        self.cfg = cfg
        self.d = directory
        self.first_day = first_day
        rng = random.Random(f"contact-center:{cfg.seed}")
        names = ["CC Billing Queue", "CC Technical Support", "CC Sales Inbound", "CC Spanish Line"]
        names = names[: cfg.cc_queues] + [f"CC Queue {i + 1}" for i in range(len(names), cfg.cc_queues)]
        self.queues = [(zoom_id(rng), name) for name in names]
        self.flows = [(zoom_id(rng), name) for name in ("Main IVR Flow", "After Hours Flow", "Outbound Dialer Flow")]
        users = directory.users
        self.agents = [(u.id, u.name) for u in users[: max(2, min(len(users), 8))]]
        self.numbers = [("+1" + str(rng.randint(2012000000, 9899999999)), "virtual_service_number"),
                        ("+1" + str(rng.randint(2012000000, 9899999999)), "virtual_service_number"),
                        ("+1" + str(rng.randint(2012000000, 9899999999)), "byoc_number")]
        self.queue_ids = {q[0] for q in self.queues}
        self.agent_ids = {a[0] for a in self.agents}

    def generate(self, day: int) -> DayCalls:
        cfg = self.cfg
        if day < self.first_day:
            return DayCalls(day, [])
        rng = random.Random(f"contact-center:{cfg.seed}:{day}")
        n = cfg.cc_calls_per_day
        starts = sorted(day * DAY + time_of_day(rng) for _ in range(n))
        rnd = rng.random

        def randint(a: int, b: int) -> int:
            return a + int(rnd() * (b - a + 1))

        exts = self.d.externals
        agents = self.agents
        queues = self.queues
        calls = []
        for idx, t0 in enumerate(starts):
            e = Engagement()
            e.day, e.idx, e.start = day, idx, t0
            e.rs = rng.getrandbits(64)
            e.engagement_id = make_uuid(e.rs, K_ENGAGEMENT, 0, day, idx)
            e.direction = "inbound" if rnd() < 0.8 else "outbound"
            e.result = weighted_pick(IN_CUM if e.direction == "inbound" else OUT_CUM, rnd())
            e.consumer = exts[int(rnd() * len(exts))]
            num = self.numbers[int(rnd() * len(self.numbers))]
            e.center_number, e.center_type = num
            q1 = queues[int(rnd() * len(queues))]
            q2 = queues[int(rnd() * len(queues))]
            a1 = agents[int(rnd() * len(agents))]
            a2 = agents[int(rnd() * len(agents))]
            wait = randint(3, 90)
            talk = int(rng.expovariate(1 / 300)) + 10
            e.recorded = rnd() < 0.7
            e.monitored = rnd() < 0.1
            late_draw = rnd()
            first_delay = randint(30, 120)
            late_delay = randint(2 * 3600, 6 * 3600)
            vis_delay = randint(30, 300)
            flow_pick = rnd()
            res = e.result
            if e.direction == "inbound":
                e.flows = (self.flows[0] if flow_pick < 0.8 else self.flows[1],)
                e.queues = (q1,) if res != "overflowed" else ((q1, q2) if q1 != q2 else (q1, queues[(queues.index(q1) + 1) % len(queues)]))
                if res in NO_AGENT:
                    e.agents = ()
                elif res == "transferred":
                    e.agents = (a1, a2) if a1 != a2 else (a1,)
                else:
                    e.agents = (a1,)
                e.distributions = ("acd",)
                e.types = ("external_call",) if res != "transferred" else ("external_call", "external_conference_call")
                e.call_legs = ("inbound",) if res != "transferred" else ("inbound", "outbound")
                if res == "short_abandoned":
                    dur = randint(1, 9)
                elif res in ("abandoned", "long_abandoned", "missed", "declined"):
                    dur = wait + (randint(60, 400) if res == "long_abandoned" else 0)
                elif res == "voicemail":
                    dur = wait + randint(10, 60)
                elif res == "hang_up_calls":
                    dur = randint(2, 20)
                else:
                    dur = wait + talk
            else:
                e.flows = (self.flows[2],) if flow_pick < 0.5 else ()
                e.queues = (q1,) if flow_pick < 0.5 else ()
                e.agents = (a1,)
                e.distributions = ("non_acd",)
                e.types = ("external_call",) if flow_pick < 0.85 else ("external_callback_call",)
                e.call_legs = ("outbound",)
                dur = talk if res == "completed" else randint(5, 35)
            e.inbox = res == "voicemail"
            if res not in ("completed", "transferred", "overflowed"):
                e.recorded = False
            e.end = t0 + dur
            e.late = bool(cfg.quirk_late_arrivals and late_draw < 0.04 and res in ("completed", "transferred"))
            if e.late:
                e.vis = t0 + first_delay
                e.final_vis = e.end + late_delay
            else:
                e.vis = e.end + vis_delay
                e.final_vis = e.vis
            calls.append(e)
        return DayCalls(day, calls)

    def render(self, e: Engagement, as_of: float) -> dict[str, Any]:
        final = e.final_vis <= as_of
        consumer = e.consumer
        inbound = e.direction == "inbound"
        if inbound:
            caller_number, caller_type = consumer.number, "external_number"
            callee_number, callee_type = e.center_number, e.center_type
        else:
            caller_number, caller_type = e.center_number, e.center_type
            callee_number, callee_type = consumer.number, "external_number"
        minutes = max(1, -(-(e.end - e.start) // 60))
        rate = 0.0125 if consumer.iso in ("US", "CA") else 0.045
        row: dict[str, Any] = {
            "engagement_id": e.engagement_id,
            "direction": e.direction,
            "call_legs": list(e.call_legs),
            "distributions": list(e.distributions),
            "types": list(e.types),
            "caller_number": caller_number,
            "caller_number_type": caller_type,
            "callee_number": callee_number,
            "callee_number_type": callee_type,
            "start_time": fmt_ts(e.start),
            "end_time": fmt_ts(e.end) if final else None,
            "total_duration": (e.end - e.start) if final else 0,
            "consumer_number": consumer.number,
            "consumer_display_name": consumer.name.title(),
            "queues": [{"queue_id": q[0], "queue_name": q[1]} for q in e.queues],
            "agents": [{"user_id": a[0], "display_name": a[1]} for a in e.agents],
            "flows": [{"flow_id": f[0], "flow_name": f[1]} for f in e.flows],
            "country_name": consumer.country,
            "recorded": e.recorded if final else False,
            "monitored": e.monitored,
            "inbox": e.inbox,
            "result": e.result if final else "in_progress",
            "caller_id": caller_number,
            "calling_party": "consumer" if inbound else "agent",
            "charge": f"${rate * minutes:.2f}" if final else "$0.00",
            "rates": [f"${rate:.4f}"],
            "charge_type": "per_minute",
        }
        return row

    # -- filters -------------------------------------------------------------
    def matches(self, e: Engagement, f: dict[str, Any]) -> bool:
        if not f:
            return True
        if "direction" in f and e.direction != f["direction"]:
            return False
        if "types" in f and not set(f["types"]) & set(e.types):
            return False
        if "distribution" in f and f["distribution"] not in e.distributions:
            return False
        if "queue_ids" in f:
            ids = f["queue_ids"]
            if not (("none" in ids and not e.queues) or any(q[0] in ids for q in e.queues)):
                return False
        if "user_ids" in f and not any(a[0] in f["user_ids"] for a in e.agents):
            return False
        if "number_types" in f and not ({e.center_type, "external_number"} & set(f["number_types"])):
            return False
        if "country_iso_codes" in f and e.consumer.iso not in f["country_iso_codes"]:
            return False
        if "consumer_number" in f and e.consumer.number.lstrip("+") != f["consumer_number"].lstrip("+"):
            return False
        if "engagement_id" in f and e.engagement_id != f["engagement_id"]:
            return False
        return True
