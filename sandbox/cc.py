"""Zoom Contact Center engagements, generated per day; every view of one engagement is rendered here.

One story per engagement, served by sandbox/ccapi.py as:
  voice calls      GET /contact_center/voice_calls and GET /accounts/{accountId}/contact_center/voice_calls
                   (`view_type=detail` adds `sub_types` and `voice_call_details[]`, one entry per call leg)
  dataset          GET /contact_center/analytics/dataset/historical/engagement: one row per engagement,
                   durations in milliseconds (as the definition says), counts
  log              GET /contact_center/analytics/log/historical/engagement: flows, events, dispositions, notes

Time line of an engagement, in seconds: it starts, spends `wait` not connected to an agent (IVR,
queue, ringing, leaving a voicemail), then `talk` connected to agents (holds included), then ends;
the agent then spends `wrap` on wrap-up. So, for every engagement, in the dataset (ms):
  duration        = (wait + talk) * 1000 = voice call total_duration * 1000
  hold_duration   <= talk * 1000; conversation_duration = (talk - hold) * 1000
  handle_duration = conversation_duration + hold_duration + wrap_up_duration
  wait (not a field) = duration - conversation_duration - hold_duration
An engagement no agent took (abandoned, voicemail, missed, declined) has no conversation, hold,
wrap-up or handle time; an abandoned one (or one sent to voicemail) has no agent at all and
`abandoned_count` 1 (voicemail: `voicemail_count` 1 in the log). A transferred engagement has two
agents, two call legs, transfer_initiated_count = transfer_completed_count = 1 and, for a warm
transfer, the consultation inside its hold time (warm_transfer_duration <= hold_duration).

Results are the definition's enum values. Three outcomes have their own internal names and are
served as: abandoned -> long_abandoned, voicemail -> overflowed_to_inbox, transferred -> completed.
With `quirk_unknown_enums`, about 6 % of engagements carry the internal (undocumented) name
instead, and the consumer's side of every call carries the undocumented number type
"external_number" (without the quirk that field is left out: its enum lists only contact-center
numbers).

`rates` has one entry per call leg (the leg's `rate` in the detail view); `charge` is the sum of
the legs' charges (rate x started minutes).

Late arrivals: an engagement normally appears 30 s to 5 min after it ends. With
`quirk_late_arrivals`, about 4% first appear in the voice calls while still unfinished
(`end_time` null, `total_duration` 0, `result` "in_progress", `recorded` false, no call legs)
shortly after they start, and are replaced by their final version 2 to 6 hours after they end;
the engagement_id and start_time never change. The analytics datasets list an engagement only
once it is closed (its final version), so a late one appears there hours later too.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import random
from typing import Any

from .clock import DAY, fmt_zoned
from .phone import time_of_day
from .world import K_ENGAGEMENT, DayCalls, Directory, cumulative, make_uuid, weighted_pick, zoom_id

INBOUND_RESULTS = [("completed", 56), ("abandoned", 7), ("short_abandoned", 5), ("long_abandoned", 3),
                   ("overflowed", 4), ("missed", 5), ("voicemail", 6), ("declined", 2), ("hang_up_calls", 4),
                   ("transferred", 8)]
OUTBOUND_RESULTS = [("completed", 74), ("missed", 14), ("declined", 5), ("hang_up_calls", 7)]
NO_AGENT = {"abandoned", "short_abandoned", "long_abandoned", "voicemail"}
ABANDONED = {"abandoned", "short_abandoned", "long_abandoned"}
IN_CUM = cumulative(INBOUND_RESULTS)
OUT_CUM = cumulative(OUTBOUND_RESULTS)
# internal outcome -> the documented result it is served as (the rest are served as they are)
SERVED_RESULT = {"abandoned": "long_abandoned", "voicemail": "overflowed_to_inbox", "transferred": "completed"}
QUIRK_SHARE = 0.06
EXTERNAL = "external_number"  # undocumented number type of the consumer's side (quirk_unknown_enums)
RATES = {"US": 125, "CA": 125}  # per minute, in 1/10000 dollars; elsewhere OTHER_RATE
OTHER_RATE = 450
DISPOSITIONS = ["Resolved", "Follow-up needed", "Billing question", "Sales lead", "Escalated"]
NOTES = ["Customer asked about invoice {n}.", "Promised a call back about order {n}.",
         "Reset the password of account {n}.", "Upsell: interested in plan {n}."]
CHANNEL = {"channel": "voice", "channel_source": "voice"}
TRANSCRIPTS = "/v2/contact_center/engagements/transcripts/download/"

# the routes (sandbox/ccapi.py): rate-limit label, (envelope keys, item key) for the missing_key fault,
# and the scopes (macro, granular) the definition names for each
VOICE_CALLS = "GET /contact_center/voice_calls"
ACCOUNT_VOICE_CALLS = "GET /accounts/{accountId}/contact_center/voice_calls"
DATASET = "GET /contact_center/analytics/dataset/historical/engagement"
LOG = "GET /contact_center/analytics/log/historical/engagement"
CC_LABELS = {VOICE_CALLS: "heavy", ACCOUNT_VOICE_CALLS: "heavy", DATASET: "heavy", LOG: "heavy"}
CC_ITEM_KEYS = {VOICE_CALLS: (("voice_calls",), "engagement_id"),
                ACCOUNT_VOICE_CALLS: (("voice_calls",), "engagement_id"),
                DATASET: (("engagements",), "engagement_id"), LOG: (("engagement_logs",), "engagement_id")}
CC_SCOPES = {
    VOICE_CALLS: ("contact_center_voice_call:read:admin", "contact_center:read:voice_call_log:admin"),
    ACCOUNT_VOICE_CALLS: ("contact_center_voice_call:master", "contact_center:read:voice_call_log:master"),
    DATASET: ("contact_center_report:read:admin", "contact_center:read:dataset_engagement:admin"),
    LOG: ("contact_center_report:read:admin", "contact_center:read:engagement_log:admin"),
}


class Engagement:
    __slots__ = ("day", "idx", "rs", "start", "end", "vis", "final_vis", "direction", "result", "queues",
                 "agents", "flows", "consumer", "center_number", "center_type", "types", "distributions",
                 "call_legs", "recorded", "monitored", "inbox", "late", "engagement_id",
                 "wait", "talk", "hold", "holds", "wrap", "transfer", "transfer_at", "consult", "quirk",
                 "disposition", "note")


def _id(*parts: Any) -> str:
    """A stable Zoom-style id (22 characters) for a sub-object of an engagement."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=16).digest()
    return base64.urlsafe_b64encode(digest).decode()[:22]


def _money(units: int) -> str:
    return f"${units / 10000:.4f}"


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
        self.teams = [(zoom_id(rng), name) for name in ("Tier 1 Support", "Tier 2 Support")]
        self.team_of = {a[0]: self.teams[i % len(self.teams)] for i, a in enumerate(self.agents)}
        self.disposition_ids = {name: _id("disposition", cfg.seed, name) for name in DISPOSITIONS}

    # ------------------------------------------------------------------ the stories
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
                elif res == "transferred":  # two agents, always
                    e.agents = (a1, a2) if a1 != a2 else (a1, agents[(agents.index(a1) + 1) % len(agents)])
                else:
                    e.agents = (a1,)
                e.distributions = ("acd",)
                e.types = ("external_call",) if res != "transferred" else ("external_call", "external_conference_call")
                e.call_legs = ("inbound",) if res != "transferred" else ("inbound", "outbound")
                if res == "short_abandoned":
                    e.wait, e.talk = randint(1, 9), 0
                elif res in ("abandoned", "long_abandoned", "missed", "declined"):
                    e.wait, e.talk = wait + (randint(60, 400) if res == "long_abandoned" else 0), 0
                elif res == "voicemail":
                    e.wait, e.talk = wait + randint(10, 60), 0
                elif res == "hang_up_calls":  # the consumer hung up right after an agent answered
                    dur = randint(2, 20)
                    e.wait = max(1, dur // 2)
                    e.talk = dur - e.wait
                else:
                    e.wait, e.talk = wait, talk
            else:
                e.flows = (self.flows[2],) if flow_pick < 0.5 else ()
                e.queues = (q1,) if flow_pick < 0.5 else ()
                e.agents = (a1,)
                e.distributions = ("non_acd",)
                e.types = ("external_call",) if flow_pick < 0.85 else ("external_callback_call",)
                e.call_legs = ("outbound",)
                if res == "completed":
                    e.wait, e.talk = 0, talk
                else:  # rang, nobody picked up
                    e.wait, e.talk = randint(5, 35), 0
            e.inbox = res == "voicemail"
            if res not in ("completed", "transferred", "overflowed"):
                e.recorded = False
            e.end = t0 + e.wait + e.talk
            e.late = bool(cfg.quirk_late_arrivals and late_draw < 0.04 and res in ("completed", "transferred"))
            if e.late:
                e.vis = t0 + first_delay
                e.final_vis = e.end + late_delay
            else:
                e.vis = e.end + vis_delay
                e.final_vis = e.vis
            self._handling(e)
            calls.append(e)
        return DayCalls(day, calls)

    @staticmethod
    def _handling(e: Engagement) -> None:
        """Holds, wrap-up, transfer, disposition and note: drawn from the engagement's own seed."""
        sub = random.Random(e.rs)
        e.quirk = sub.random() < QUIRK_SHARE
        e.holds = e.hold = e.wrap = e.consult = 0
        e.transfer = e.transfer_at = e.disposition = e.note = None
        if e.talk <= 0:
            return
        if sub.random() < 0.35:
            e.holds = sub.randint(1, 3)
            e.hold = min(e.talk // 2, sum(sub.randint(10, 90) for _ in range(e.holds)))
            if e.hold <= 0:
                e.holds = 0
        e.wrap = sub.randint(10, 120)
        if e.result == "transferred":
            e.transfer = "warm" if sub.random() < 0.6 else "direct"
            e.transfer_at = e.start + e.wait + max(1, int(e.talk * sub.uniform(0.3, 0.6)))
            if e.transfer == "warm":  # the consultation with the second agent: the consumer is on hold
                e.consult = max(1, min(sub.randint(10, 60), e.talk // 3))
                e.holds = max(e.holds, 1)
                e.hold = max(e.hold, e.consult)
        e.disposition = DISPOSITIONS[sub.randrange(len(DISPOSITIONS))]
        if sub.random() < 0.3:
            e.note = NOTES[sub.randrange(len(NOTES))].format(n=sub.randint(10000, 99999))

    # ------------------------------------------------------------------ shared pieces
    def served_result(self, e: Engagement) -> str:
        if e.quirk and self.cfg.quirk_unknown_enums:
            return e.result
        return SERVED_RESULT.get(e.result, e.result)

    def _consumer_type(self) -> str | None:
        return EXTERNAL if self.cfg.quirk_unknown_enums else None

    def _numbers(self, e: Engagement, inbound: bool) -> dict[str, Any]:
        """caller/callee numbers and types (the consumer's type only with quirk_unknown_enums)."""
        consumer = (e.consumer.number, self._consumer_type())
        center = (e.center_number, e.center_type)
        (caller, caller_type), (callee, callee_type) = (consumer, center) if inbound else (center, consumer)
        out: dict[str, Any] = {"caller_number": caller}
        if caller_type:
            out["caller_number_type"] = caller_type
        out["callee_number"] = callee
        if callee_type:
            out["callee_number_type"] = callee_type
        return out

    def sub_types(self, e: Engagement) -> list[str]:
        if e.transfer:
            return [f"external_{e.transfer}_transfer_call"]
        if e.direction == "outbound" and e.flows:
            return ["flow_initiated_outgoing_call"]
        return []

    def legs(self, e: Engagement) -> list[dict[str, Any]]:
        """The call legs (start, end, call_leg, type, agents, queue, flow, inbound numbers, rate units)."""
        rate = RATES.get(e.consumer.iso, OTHER_RATE)
        queue = e.queues[-1] if e.queues else None  # an overflowed call is answered in its last queue
        flow = e.flows[0] if e.flows else None
        first_end = e.transfer_at if e.transfer else e.end
        legs = [{"start": e.start, "end": first_end, "call_leg": e.call_legs[0], "type": e.types[0],
                 "agents": e.agents[:1], "queue": queue, "flow": flow, "inbound": e.direction == "inbound",
                 "rate": rate}]
        if e.transfer:  # the second agent's leg, to the consumer
            legs.append({"start": e.transfer_at, "end": e.end, "call_leg": e.call_legs[1], "type": e.types[1],
                         "agents": e.agents[1:2], "queue": queue, "flow": None, "inbound": False, "rate": rate})
        for leg in legs:
            leg["charge"] = rate * max(1, -(-(leg["end"] - leg["start"]) // 60))
        return legs

    # ------------------------------------------------------------------ voice calls
    def render(self, e: Engagement, as_of: float, zone: dt.tzinfo | None = None, utc_suffix: str = "Z",
               detail: bool = False) -> dict[str, Any]:
        """A voice call as listed; times in `zone` (the account route renders UTC as +00:00);
        `detail`: the account route's view_type=detail (sub_types and voice_call_details[])."""
        final = e.final_vis <= as_of
        consumer = e.consumer
        inbound = e.direction == "inbound"
        legs = self.legs(e)

        def ts(t: int) -> str:
            return fmt_zoned(t, zone, utc_suffix)

        row: dict[str, Any] = {
            "engagement_id": e.engagement_id,
            "direction": e.direction,
            "call_legs": list(e.call_legs),
            "distributions": list(e.distributions),
            "types": list(e.types),
        }
        if detail:
            row["sub_types"] = self.sub_types(e) if final else []
        row.update(self._numbers(e, inbound))
        row.update({
            "start_time": ts(e.start),
            "end_time": ts(e.end) if final else None,
            "total_duration": (e.end - e.start) if final else 0,
            "consumer_number": consumer.number,
            "consumer_display_name": consumer.name.title(),
            "queues": [{"queue_id": q[0], "cc_queue_id": q[0], "queue_name": q[1]} for q in e.queues],
            "agents": [{"user_id": a[0], "display_name": a[1]} for a in e.agents],
            "flows": [{"flow_id": f[0], "flow_name": f[1]} for f in e.flows],
            "country_name": consumer.country,
            "recorded": e.recorded if final else False,
            "monitored": e.monitored,
            "inbox": e.inbox,
            "result": self.served_result(e) if final else "in_progress",
            "caller_id": e.consumer.number if inbound else e.center_number,
            "calling_party": "consumer" if inbound else "agent",
            "charge": _money(sum(leg["charge"] for leg in legs)) if final else "$0.0000",
            "rates": [_money(leg["rate"]) for leg in legs],
            "charge_type": "per_minute",
        })
        if detail:
            row["voice_call_details"] = [self._leg(e, leg, ts, len(legs)) for leg in legs] if final else []
        return row

    def _leg(self, e: Engagement, leg: dict[str, Any], ts, n_legs: int) -> dict[str, Any]:
        consumer = e.consumer
        out: dict[str, Any] = {"engagement_id": e.engagement_id, "call_leg": leg["call_leg"],
                               "distribution": e.distributions[0], "type": leg["type"]}
        out.update(self._numbers(e, leg["inbound"]))
        out.update({"start_time": ts(leg["start"]), "end_time": ts(leg["end"]),
                    "total_duration": leg["end"] - leg["start"],
                    "consumer_number": consumer.number, "consumer_display_name": consumer.name.title()})
        if leg["queue"]:
            out["queue"] = {"cc_queue_id": leg["queue"][0], "queue_name": leg["queue"][1]}
        out["agents"] = [{"user_id": a[0], "display_name": a[1]} for a in leg["agents"]]
        if leg["flow"]:
            out["flow"] = {"flow_id": leg["flow"][0], "flow_name": leg["flow"][1]}
        out.update({
            "country_name": consumer.country, "recorded": e.recorded, "monitored": e.monitored, "inbox": e.inbox,
            "result": "completed" if n_legs > 1 else self.served_result(e),
            "caller_id": out["caller_number"], "calling_party": "consumer" if leg["inbound"] else "agent",
            "charge": _money(leg["charge"]), "rate": _money(leg["rate"]), "charge_type": "per_minute",
        })
        return out

    # ------------------------------------------------------------------ analytics
    def durations(self, e: Engagement) -> dict[str, int]:
        """The dataset's durations (milliseconds) and counts."""
        warm = e.transfer == "warm"
        talk_ms, hold_ms, wrap_ms = e.talk * 1000, e.hold * 1000, e.wrap * 1000
        transfers = 1 if e.transfer else 0
        return {
            "duration": (e.end - e.start) * 1000,
            "handle_duration": talk_ms + wrap_ms,
            "conversation_duration": talk_ms - hold_ms,
            "hold_count": e.holds,
            "hold_duration": hold_ms,
            "warm_transfer_initiated_count": int(warm),
            "warm_transfer_completed_count": int(warm),
            "warm_transfer_duration": e.consult * 1000,
            "direct_transfer_count": int(e.transfer == "direct"),
            "transfer_initiated_count": transfers,
            "transfer_completed_count": transfers,
            "warm_conference_count": 0,
            "warm_conference_duration": 0,
            "conference_count": 0,
            "conference_duration": 0,
        }

    def _people(self, e: Engagement) -> dict[str, list[dict[str, str]]]:
        teams = list(dict.fromkeys(self.team_of[a[0]] for a in e.agents))
        return {"queues": [{"queue_id": q[0], "queue_name": q[1]} for q in e.queues],
                "users": [{"user_id": a[0], "user_name": a[1]} for a in e.agents],
                "teams": [{"team_id": t[0], "team_name": t[1]} for t in teams]}

    def _ends(self, e: Engagement) -> tuple[str, str]:
        """(ani, dnis): the number the engagement came from, and the number dialled."""
        consumer, center = e.consumer.number, e.center_number
        return (consumer, center) if e.direction == "inbound" else (center, consumer)

    def dataset_row(self, e: Engagement, zone: dt.tzinfo | None) -> dict[str, Any]:
        ani, dnis = self._ends(e)
        row: dict[str, Any] = {
            "engagement_id": e.engagement_id, "direction": e.direction,
            "start_time": fmt_zoned(e.start, zone), "end_time": fmt_zoned(e.end, zone),
            "enter_channel": "voice", "enter_channel_source": "voice", "channels": [dict(CHANNEL)],
            "caller_id": ani, "dnis": dnis, "ani": ani,
            "consumer": {"consumer_name": e.consumer.name.title()},
            **self._people(e),
            **self.durations(e),
            "wrap_up_duration": e.wrap * 1000,
            "abandoned_count": int(e.result in ABANDONED),
        }
        return row

    def events(self, e: Engagement) -> list[str]:
        """Event names of the engagement log, in order (names invented here: the definition gives only
        the example "engagement.start")."""
        names = ["engagement.start"]
        if e.flows:
            names.append("flow.enter")
        names += ["queue.enter"] * len(e.queues)
        if e.result == "voicemail":
            names.append("voicemail.received")
        elif e.result in ABANDONED:
            names.append("consumer.abandon")
        elif e.result in ("missed", "declined"):
            names.append(f"agent.{e.result}")
        if e.talk > 0:
            names.append("agent.answer")
            names += ["consumer.hold", "consumer.unhold"] * e.holds
            if e.transfer:
                names += [f"agent.{e.transfer}_transfer", "agent.answer"]
        names.append("engagement.end")
        if e.wrap:
            names.append("agent.wrap_up.end")
        return names

    def log_row(self, e: Engagement, zone: dt.tzinfo | None) -> dict[str, Any]:
        ani, dnis = self._ends(e)
        row: dict[str, Any] = {
            "engagement_id": e.engagement_id, "direction": e.direction,
            "channels": [dict(CHANNEL)], "enter_channel": dict(CHANNEL),
            "start_time": fmt_zoned(e.start, zone), "end_time": fmt_zoned(e.end, zone),
            "consumer": {"consumer_name": e.consumer.name.title(), "consumer_number": e.consumer.number},
            **self._people(e),
            "flows": [{"flow_id": f[0], "flow_name": f[1]} for f in e.flows],
            "events": [{"event_id": _id(e.engagement_id, i), "event_name": name}
                       for i, name in enumerate(self.events(e))],
            "caller_id": ani, "ani_from": ani, "dnis_to": dnis,
            **self.durations(e),
            "blocked": False,
            "voicemail_count": int(e.result == "voicemail"),
            "dispositions": ([{"disposition_id": self.disposition_ids[e.disposition],
                               "disposition_name": e.disposition}] if e.disposition else []),
            "notes": ([{"note_id": _id(e.engagement_id, "note"), "note_content": e.note,
                        "user_id": e.agents[0][0]}] if e.note else []),
        }
        del row["handle_duration"], row["conversation_duration"]  # not in the log's definition
        if e.recorded:
            row["transcript_url"] = TRANSCRIPTS + e.engagement_id
        return row

    # -- filters -------------------------------------------------------------
    def matches(self, e: Engagement, f: dict[str, Any]) -> bool:
        """Voice-call filters (API names; queue_ids = cc_queue_ids, the deprecated name)."""
        if not f:
            return True
        if "direction" in f and e.direction != f["direction"]:
            return False
        if "types" in f and not set(f["types"]) & set(e.types):
            return False
        if "sub_types" in f and not set(f["sub_types"]) & set(self.sub_types(e)):
            return False
        if "distribution" in f and f["distribution"] not in e.distributions:
            return False
        if "queue_ids" in f:
            ids = f["queue_ids"]
            if not (("none" in ids and not e.queues) or any(q[0] in ids for q in e.queues)):
                return False
        if "user_ids" in f and not any(a[0] in f["user_ids"] for a in e.agents):
            return False
        if "team_ids" in f and not any(self.team_of[a[0]][0] in f["team_ids"] for a in e.agents):
            return False
        if "number_types" in f and not ({e.center_type, EXTERNAL} & set(f["number_types"])):
            return False
        if "country_iso_codes" in f and e.consumer.iso not in f["country_iso_codes"]:
            return False
        if "consumer_number" in f and e.consumer.number.lstrip("+") != f["consumer_number"].lstrip("+"):
            return False
        if "engagement_id" in f:
            ids = f["engagement_id"]
            if e.engagement_id not in ([ids] if isinstance(ids, str) else ids):
                return False
        if "flow_ids" in f and not any(x[0] in f["flow_ids"] for x in e.flows):
            return False
        if "channels" in f and "voice" not in f["channels"]:
            return False
        return True
