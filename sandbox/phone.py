"""Zoom Phone calls: one story per call, from which every view is rendered.

A `PhoneCall` is a compact record of what happened (who called whom, which
auto receptionist / queue / shared line routed it, who was rung, who answered,
how long). `legs()` expands it into the routing legs; the renderers derive:

* account call logs (`/phone/call_logs`): one item per call log; a transfer makes a
  second call log with the same `call_id`;
* call log details (`/phone/call_logs/{id}`): the log plus `log_details[]`;
* call history (`/phone/call_history`): one item per call, keyed by `call_history_uuid`;
* call elements (`/phone/call_history/{uuid}`): one per leg, ordered segment, node;
* user-centric rows (`/phone/users/{id}/call_logs/sync`): one per user taking part;
* the user call-history sync (`/phone/users/{id}/call_history/sync`): the user's own legs.

So the answering user is the same in every view: the leg with result
"Call connected" / "answered", the `accepted_by` of the user rows.

Flows (from "Understand Zoom Phone call logs"): 1 outbound, 2 direct inbound,
3 auto receptionist -> extension, 4 call queue -> rotating members, 5 auto
receptionist -> menu -> queue -> members, 6 shared line group, 7 missed ->
voicemail, 8 transfer (two call logs, one call_id).
"""

from __future__ import annotations

import math
import random
from bisect import bisect_left
from typing import Any

from .clock import DAY, fmt_ts
from .world import (
    HISTORY_EXT_TYPE,
    K_ELEMENT,
    K_HISTORY,
    K_LEG,
    K_LOG,
    K_REC,
    K_USERROW,
    K_VM,
    SYNC_EXT_TYPE,
    DayCalls,
    Directory,
    Entity,
    External,
    hex32,
    make_call_id,
    make_uuid,
)

OUT, DIRECT, AR_EXT, QUEUE, AR_QUEUE, SHARED, VOICEMAIL, TRANSFER = range(1, 9)
FLOWS = [OUT, DIRECT, AR_EXT, QUEUE, AR_QUEUE, SHARED, VOICEMAIL, TRANSFER]
FLOW_WEIGHTS = [30, 15, 10, 15, 12, 6, 7, 5]
FLOW_CUM = [sum(FLOW_WEIGHTS[: i + 1]) for i in range(len(FLOW_WEIGHTS))]

Q_SPACES, Q_MISSING, Q_ENUM, Q_LATE = 1, 2, 4, 8
MAX_SPAN = 6 * 3600          # no call lasts longer (talk is capped at 3 h, a transfer adds at most 1 h)

LOG_RESULT = {"answered": "Call connected", "other": "Answered by Other Member", "no_answer": "No Answer",
              "voicemail": "Voicemail", "cancel": "Call Cancel", "forwarded": "Forwarded"}
HISTORY_RESULT = {"answered": "answered", "no_answer": "no_answer", "cancel": "abandoned", "voicemail": "voicemail"}
# leg result -> (call element `result`, `result_reason`), values of the definition's enums. A routing
# step (auto receptionist, queue, shared line passing the call on) is "connected", as Zoom answers
# it; `result_reason` only says who else took the call.
ELEMENT_RESULT = {"answered": ("answered", None), "other": ("no_answer", "answered_by_other"),
                  "no_answer": ("no_answer", None), "voicemail": ("voicemail", None),
                  "cancel": ("abandoned", None), "forwarded": ("connected", None)}
# story events the definition names differently: the voicemail leg is a forward, a transfer a direct one
ELEMENT_EVENT = {"voicemail": "forward", "transfer": "direct_transfer"}
UNDOCUMENTED_REASON = "disconnect"  # quirk_unknown_enums: seen live on unanswered legs (API-NOTES)
LEG_PATH = {"callQueue": "callQueue", "autoReceptionist": "autoReceptionist", "sharedLineGroup": "sharedLineGroup"}
RESULT_RANK = {"answered": 4, "voicemail": 3, "no_answer": 2, "cancel": 1, "other": 0, "forwarded": 0}

FIXTURE = {
    "call_id": "696165649876346057",
    "call_log_id": "dcasgfdd-gfb0-4ea7-8dc0-c96rer34d7",
    "leg_ids": ["4c6eree7-5b1e-4833-a672-b9234534b868", "9456434-6656f-4645-b912-cc3b5356a1",
                "7453147a-d60c-4211-ab01-6b4545633a5"],
    "leg_results": ["Auto Recorded", "Answered by Other Member", "Call connected"],
    "recording_id": "79b4147ad442354234239abd3633a5",
    "auto_receptionist": {"id": "4KL1uortyet5644boSbtEw", "name": "Marketing Hotline", "extension_number": 150002},
    "call_queue": {"id": "EzYX42345pQgfMA_U6UQ", "name": "Marketing Queue", "extension_number": 151006},
    "missed_user": {"id": "XnK5466456xPIzSg", "name": "Ji Won Lee", "extension_number": 150001},
    "answered_user": {"id": "uK9clxm34534543lGCAOdA", "name": "Rosario Ramirez", "extension_number": 151011},
    "site": {"id": "W454_mIgsdia4-Yn53334Hw", "name": "Headquarters"},
    "caller_number": "+16695551234",
}
FIXTURE_DAYS_BEFORE_START = 3
FIXTURE_TIME_OF_DAY = 23 * 3600 + 11 * 60 + 44   # 23:11:44Z as in the doc

OPTIONAL_LOG = ("caller_did_number", "callee_did_number", "answer_start_time", "site", "recording_type",
                "hold_time", "waiting_time", "client_code", "caller_country_code", "rate", "charge")
OPTIONAL_LEG = ("caller_location", "site", "answer_start_time", "call_type", "hold_time")
# the call-log detail documents fewer fields than the list item (no owner, site, charge...)
LOG_DETAIL_FIELDS = frozenset((
    "id", "call_id", "call_type", "direction", "duration", "date_time", "path", "result", "department",
    "cost_center", "caller_billing_reference_id", "has_recording", "has_voicemail",
    *(f"{side}_{name}" for side in ("caller", "callee") for name in (
        "country_code", "country_iso_code", "did_number", "name", "number", "number_type", "number_source")),
))
GUIDE_DETAIL_FIELDS = frozenset(("answer_start_time", "caller_location"))  # shown by the guide (quirk)
OPTIONAL_HISTORY = ("caller_email", "callee_email", "department", "cost_center", "group_id",
                    "caller_country_code", "callee_country_code", "site_name")
# summary fields of the call-history list item that its detail does not document
LIST_ONLY = frozenset(("duration", "call_result", "recording_status", *(
    f"{side}_{name}" for side in ("caller", "callee") for name in ("number_type", "country_iso_code", "country_code"))))
# detail element fields the user sync's items do not have (they carry caller_/callee_ site and department)
DETAIL_ELEMENT_ONLY = frozenset(("press_key", "segment", "node", "is_node", "site_id", "site_name", "department",
                                 "cost_center", "waiting_time"))
OPTIONAL_ELEMENT = ("operator_name", "department", "cost_center", "hold_time", "waiting_time", "site_name")
OPTIONAL_USERROW = ("accepted_by", "charge", "rate", "site", "waiting_time", "hold_time", "client_code")


def site_country(site: int) -> tuple[str, str]:
    """(ISO code, calling code) of a company site: the two US sites, then London."""
    return ("US", "1") if site < 2 else ("GB", "44")


def drop_optional(row: dict[str, Any], sel: int, names: tuple[str, ...]) -> None:
    row.pop(names[sel % len(names)], None)
    if sel & 0x100:
        row.pop(names[(sel >> 4) % len(names)], None)


class PhoneCall:
    __slots__ = ("day", "idx", "rs", "start", "end", "vis", "flow", "user", "entry", "queue", "rung",
                 "outcome", "ring", "talk", "talk2", "hold", "greet", "recorded", "xfer", "ext", "quirks",
                 "qsel", "fixture")

    @property
    def users(self) -> tuple[int, ...]:
        """Indexes of the company users taking part, in the order they joined the call."""
        f = self.flow
        if f in (QUEUE, AR_QUEUE, SHARED):
            return self.rung
        if f == TRANSFER:
            return (self.user, self.xfer)
        return (self.user,)

    @property
    def n_logs(self) -> int:
        return 2 if self.flow == TRANSFER else 1

    @property
    def inbound(self) -> bool:
        return self.flow != OUT

    @property
    def call_id(self) -> str:
        return FIXTURE["call_id"] if self.fixture else make_call_id(self.rs, self.day, self.idx)

    def log_id(self, k: int) -> str:
        if self.fixture:
            return FIXTURE["call_log_id"]
        return make_uuid(self.rs, K_LOG, k, self.day, self.idx)

    @property
    def history_uuid(self) -> str:
        return make_uuid(self.rs, K_HISTORY, 0, self.day, self.idx)

    def user_row_id(self, row: int) -> str:
        return make_uuid(self.rs, K_USERROW, row, self.day, self.idx)


class Leg:
    __slots__ = ("n", "seg", "node", "event", "target", "start", "answer", "end", "result", "log", "operator",
                 "press_key", "is_node", "wait", "hold", "rec", "vm", "duration", "leg_id")

    def __init__(self, n, seg, node, event, target, start, answer, end, result, log=0, operator=None,
                 press_key=None, is_node=False, wait=0, hold=0, rec=False, vm=False, duration=None, leg_id=None):
        self.n = n
        self.seg = seg
        self.node = node
        self.event = event
        self.target = target
        self.start = start
        self.answer = answer
        self.end = end
        self.result = result
        self.log = log
        self.operator = operator
        self.press_key = press_key
        self.is_node = is_node
        self.wait = wait
        self.hold = hold
        self.rec = rec
        self.vm = vm
        self.duration = (end - answer if answer is not None else 0) if duration is None else duration
        self.leg_id = leg_id


class PhoneDayCalls(DayCalls):
    """A day of Zoom Phone calls; the worked-example fixture sits among them by start time."""

    __slots__ = ("fixture_pos", "n_regular")

    def __init__(self, day: int, calls: list[PhoneCall], fixture_pos: int, n_regular: int):
        super().__init__(day, calls)
        self.fixture_pos = fixture_pos
        self.n_regular = n_regular

    def get(self, idx: int) -> PhoneCall | None:
        pos = self.fixture_pos
        if pos >= 0:
            if idx == self.n_regular:
                return self.calls[pos]
            if idx >= pos:
                idx += 1
        if 0 <= idx < len(self.calls):
            c = self.calls[idx]
            return c if not c.fixture else None
        return None


def time_of_day(rng: random.Random) -> int:
    r = rng.random()
    if r < 0.75:   # North-American business hours, UTC
        return 13 * 3600 + int(r / 0.75 * (DAY - 13 * 3600))
    return int((r - 0.75) / 0.25 * DAY)


class PhoneWorld:
    def __init__(self, cfg, directory: Directory, first_day: int, start_day: int):
        self.cfg = cfg
        self.d = directory
        self.seed = cfg.seed
        self.first_day = first_day
        self.fixture_day = max(first_day, start_day - FIXTURE_DAYS_BEFORE_START)

    # ------------------------------------------------------------------ generation
    def generate(self, day: int) -> PhoneDayCalls:
        cfg = self.cfg
        d = self.d
        if day < self.first_day:
            return PhoneDayCalls(day, [], -1, 0)
        rng = random.Random(f"zoom-phone:{self.seed}:{day}")
        n = cfg.calls_per_day
        base = day * DAY
        starts = sorted(base + time_of_day(rng) for _ in range(n))
        users = d.users
        nu = len(users)
        externals = d.externals
        n_ext = len(externals)
        queues, ars, slgs = d.queues, d.ars, d.slgs
        rnd = rng.random

        def randint(a: int, b: int) -> int:
            return a + int(rnd() * (b - a + 1))

        calls: list[PhoneCall] = []
        for idx, t0 in enumerate(starts):
            c = PhoneCall()
            c.day = day
            c.idx = idx
            c.rs = rng.getrandbits(64)
            c.start = t0
            c.fixture = False
            r = rnd() * FLOW_CUM[-1]
            flow = FLOWS[bisect_left(FLOW_CUM, r)] if r > 0 else OUT
            c.flow = flow
            c.ext = externals[int(rnd() * n_ext)]
            c.user = int(rnd() * nu)
            c.entry = None
            c.queue = None
            c.rung = ()
            c.xfer = -1
            c.ring = randint(4, 24)
            c.talk = int(rng.expovariate(1 / 240)) + 5
            if rnd() < 0.01:
                c.talk += randint(3600, 5400)         # the odd call over an hour
            c.talk = min(c.talk, 3 * 3600)
            c.talk2 = min(int(rng.expovariate(1 / 180)) + 5, 3600)
            c.hold = randint(0, 60) if rnd() < 0.2 else 0
            c.greet = randint(6, 18)
            c.recorded = rnd() < 0.25
            o = rnd()
            quirk_draw = rnd()
            c.qsel = rng.getrandbits(9)
            late_draw = rnd()
            late_delay = randint(2 * 3600, 8 * 3600)
            vis_delay = randint(20, 180)
            if flow == OUT:
                c.outcome = "answered" if o < 0.85 else ("no_answer" if o < 0.95 else "cancel")
            elif flow in (DIRECT, TRANSFER):
                c.outcome = "answered"
                if flow == TRANSFER:
                    c.xfer = (c.user + 1 + int(rnd() * (nu - 1))) % nu
            elif flow == VOICEMAIL:
                c.outcome = "voicemail"
                c.talk = randint(8, 75)  # length of the voicemail
            elif flow == AR_EXT:
                c.entry = ars[1 + int(rnd() * (len(ars) - 1))]
                c.outcome = "answered" if o < 0.93 else "cancel"
            elif flow in (QUEUE, AR_QUEUE):
                if flow == AR_QUEUE:
                    c.entry = ars[0] if rnd() < 0.6 else ars[1]
                    q = queues[0] if c.entry is ars[0] else queues[int(rnd() * len(queues))]
                    c.queue = q
                else:
                    q = queues[int(rnd() * len(queues))]
                    c.entry = q
                members = q.members
                k = min(len(members) - 1, (0, 0, 1, 1, 1, 2)[int(rnd() * 6)])
                first = idx % len(members)
                c.outcome = "answered" if o < 0.92 else "cancel"
                m = k + 1 if c.outcome == "answered" else min(len(members), k + 1)
                c.rung = tuple(members[(first + j) % len(members)] for j in range(m))
                c.user = c.rung[-1] if c.outcome == "answered" else -1
                if q is queues[0]:
                    c.recorded = c.recorded or rnd() < 0.5
            elif flow == SHARED:
                s = slgs[0]
                c.entry = s
                members = s.members
                ans = members[int(rnd() * len(members))]
                c.rung = tuple(x for x in members if x != ans) + (ans,)
                c.user = ans
                c.outcome = "answered"
            if c.outcome != "answered":
                c.recorded = False
            q = 0
            if quirk_draw < 0.06:
                q |= Q_SPACES
            if 0.03 <= quirk_draw < 0.10:
                q |= Q_MISSING
            if 0.10 <= quirk_draw < 0.14:
                q |= Q_ENUM
            if late_draw < 0.03:
                q |= Q_LATE
            c.quirks = q
            c.end = self._end(c)
            c.vis = c.end + (late_delay if (q & Q_LATE and cfg.quirk_late_arrivals) else vis_delay)
            calls.append(c)
        fixture_pos = -1
        if day == self.fixture_day:
            fx = self._fixture(day, n)
            fixture_pos = bisect_left(starts, fx.start)
            # keep later regular calls at their index: the fixture sits at position fixture_pos
            calls.insert(fixture_pos, fx)
        return PhoneDayCalls(day, calls, fixture_pos, n)

    def _fixture(self, day: int, idx: int) -> PhoneCall:
        d = self.d
        c = PhoneCall()
        c.day = day
        c.idx = idx
        c.rs = 0x696165649876346057
        c.start = day * DAY + FIXTURE_TIME_OF_DAY
        c.flow = AR_QUEUE
        c.ext = d.fixture_caller
        c.entry = d.ars[0]
        c.queue = d.queues[0]
        c.rung = (0, 1)
        c.user = 1
        c.xfer = -1
        c.outcome = "answered"
        c.ring, c.talk, c.talk2, c.hold, c.greet = 11, 12, 0, 0, 12
        c.recorded = True
        c.quirks = 0
        c.qsel = 0
        c.fixture = True
        c.end = c.start + 39
        c.vis = c.end + 60
        return c

    @staticmethod
    def _end(c: PhoneCall) -> int:
        """End of the call, computed like legs() would (tests check both agree)."""
        f, t0, ring, talk = c.flow, c.start, c.ring, c.talk
        answered = c.outcome == "answered"
        if f == OUT:
            return t0 + ring + (talk if answered else 0)
        if f in (DIRECT, SHARED):
            return t0 + ring + talk
        if f == VOICEMAIL:
            return t0 + ring + 10 + talk
        if f == AR_EXT:
            return t0 + c.greet + ring + (talk if answered else 0)
        if f in (QUEUE, AR_QUEUE):
            g = t0 + (c.greet if f == AR_QUEUE else 0)
            n = len(c.rung)
            if answered:
                return g + 2 + (n - 1) * ring + min(ring, 8) + talk
            return g + 2 + n * ring
        # TRANSFER
        return t0 + ring + talk + min(ring, 10) + c.talk2

    # ------------------------------------------------------------------ legs
    def legs(self, c: PhoneCall) -> list[Leg]:
        d = self.d
        users = d.users
        t0 = c.start
        f = c.flow
        out: list[Leg] = []
        if c.fixture:
            ar, q = c.entry, c.queue
            ji, ro = users[0], users[1]
            ids = FIXTURE["leg_ids"]
            out.append(Leg(0, 0, 0, "incoming", ar, t0, t0, t0 + 12, "forwarded"))
            out.append(Leg(1, 1, 0, "forward", q, t0 + 12, t0, t0 + 24, "forwarded", operator=ar, press_key="1",
                           rec=True, duration=12, leg_id=ids[0]))
            out.append(Leg(2, 1, 1, "ring_to_member", ji, t0 + 14, None, t0 + 25, "other", operator=q,
                           is_node=True, leg_id=ids[1]))
            out.append(Leg(3, 1, 2, "ring_to_member", ro, t0 + 25, t0 + 27, t0 + 39, "answered", operator=q,
                           is_node=True, wait=27, leg_id=ids[2]))
            return out
        ring, talk = c.ring, c.talk
        if f == OUT:
            ans = t0 + ring if c.outcome == "answered" else None
            end = ans + talk if ans is not None else t0 + ring
            out.append(Leg(0, 0, 0, "outgoing", c.ext, t0, ans, end, c.outcome, hold=c.hold, rec=c.recorded))
        elif f == DIRECT:
            u = users[c.user]
            out.append(Leg(0, 0, 0, "incoming", u, t0, t0 + ring, t0 + ring + talk, "answered", hold=c.hold,
                           rec=c.recorded))
        elif f == VOICEMAIL:
            u = users[c.user]
            out.append(Leg(0, 0, 0, "incoming", u, t0, None, t0 + ring + 10, "no_answer"))
            vm_at = t0 + ring + 10
            out.append(Leg(1, 0, 1, "voicemail", u, vm_at, vm_at, vm_at + talk, "voicemail", is_node=True,
                           vm=True, operator=u))
        elif f == AR_EXT:
            ar = c.entry
            u = users[c.user]
            g = t0 + c.greet
            out.append(Leg(0, 0, 0, "incoming", ar, t0, t0, g, "forwarded"))
            if c.outcome == "answered":
                out.append(Leg(1, 1, 0, "forward", u, g, g + ring, g + ring + talk, "answered", operator=ar,
                               press_key=str(u.ext), hold=c.hold, rec=c.recorded))
            else:
                out.append(Leg(1, 1, 0, "forward", u, g, None, g + ring, "cancel", operator=ar,
                               press_key=str(u.ext)))
        elif f in (QUEUE, AR_QUEUE):
            if f == AR_QUEUE:
                ar = c.entry
                q = c.queue
                g = t0 + c.greet
                out.append(Leg(0, 0, 0, "incoming", ar, t0, t0, g, "forwarded"))
                seg = 1
                qi = Leg(1, 1, 0, "forward", q, g, None, g, "forwarded", operator=ar, press_key="1",
                         rec=c.recorded)
            else:
                q = c.entry
                g = t0
                seg = 0
                qi = Leg(0, 0, 0, "incoming", q, t0, None, t0, "forwarded", rec=c.recorded)
            out.append(qi)
            t = g + 2
            answered = c.outcome == "answered"
            for j, m in enumerate(c.rung):
                u = users[m]
                last = j == len(c.rung) - 1
                if last and answered:
                    a = t + min(ring, 8)
                    out.append(Leg(len(out), seg, j + 1, "ring_to_member", u, t, a, a + talk, "answered",
                                   operator=q, is_node=True, wait=a - g, hold=c.hold))
                    t = a + talk
                else:
                    out.append(Leg(len(out), seg, j + 1, "ring_to_member", u, t, None, t + ring,
                                   "other" if answered else "no_answer", operator=q, is_node=True))
                    t += ring
            qi.end = t
            if not answered:
                qi.result = "cancel"
                qi.wait = t - g
        elif f == SHARED:
            # the line rings every member at once: their legs share segment 0, node 1
            s = c.entry
            a = t0 + ring
            out.append(Leg(0, 0, 0, "incoming", s, t0, None, a, "forwarded"))
            for j, m in enumerate(c.rung):
                u = users[m]
                if j == len(c.rung) - 1:
                    out.append(Leg(len(out), 0, 1, "ring_to_member", u, t0, a, a + talk, "answered",
                                   operator=s, is_node=True, hold=c.hold, rec=c.recorded))
                else:
                    out.append(Leg(len(out), 0, 1, "ring_to_member", u, t0, None, a, "other", operator=s,
                                   is_node=True))
        elif f == TRANSFER:
            u1 = users[c.user]
            u2 = users[c.xfer]
            a = t0 + ring
            tx = a + talk
            # segments of a transferred call start at 1, as Zoom numbers them
            out.append(Leg(0, 1, 0, "incoming", u1, t0, a, tx, "answered", hold=c.hold))
            a2 = tx + min(ring, 10)
            out.append(Leg(1, 2, 0, "transfer", u2, tx, a2, a2 + c.talk2, "answered", log=1, operator=u1,
                           rec=c.recorded))
        return out

    # ------------------------------------------------------------------ lookups
    def owner(self, c: PhoneCall, k: int) -> Entity:
        if k == 1:
            return self.d.users[c.xfer]
        if c.entry is not None:
            return c.entry
        return self.d.users[c.user]

    def log_path(self, c: PhoneCall, k: int) -> str:
        if k == 1:
            return "transfer"
        if c.entry is not None:
            return c.entry.kind
        if c.flow == VOICEMAIL:
            return "voiceMail"
        return "pstn"

    @staticmethod
    def log_time(c: PhoneCall, k: int) -> tuple[int, int]:
        """(date_time, call_end_time) of call log k, without building the legs."""
        if c.flow != TRANSFER:
            return c.start, c.end
        tx = c.start + c.ring + c.talk
        return (c.start, tx) if k == 0 else (tx, c.end)

    def log_missed(self, c: PhoneCall, k: int) -> bool:
        return k == 0 and c.inbound and c.outcome != "answered"

    def log_charge(self, c: PhoneCall, k: int) -> tuple[str, str]:
        if c.flow == OUT and c.outcome == "answered" and k == 0:
            rate = 0.0255 if c.ext.iso in ("US", "CA") else 0.0650
            minutes = max(1, math.ceil(c.talk / 60))
            return f"${rate * minutes:.4f}", f"{rate:.4f}"
        return "$0.0000", "0.0000"

    # ------------------------------------------------------------------ renderers
    def _site_name(self, c: PhoneCall, e: Entity) -> str:
        name = self.d.sites[e.site][1]
        return name + " " if (c.quirks & Q_SPACES and self.cfg.quirk_trailing_spaces) else name

    def _ext_name(self, c: PhoneCall) -> str:
        name = c.ext.name
        return name + "  " if (c.quirks & Q_SPACES and self.cfg.quirk_trailing_spaces) else name

    def _quirk_missing(self, c: PhoneCall) -> bool:
        return bool(c.quirks & Q_MISSING) and self.cfg.quirk_missing_fields

    def call_log(self, c: PhoneCall, k: int, legs: list[Leg] | None = None) -> dict[str, Any]:
        """Item of GET /phone/call_logs (account level) for call log k of the call."""
        legs = legs if legs is not None else self.legs(c)
        mine = [x for x in legs if x.log == k]
        owner = self.owner(c, k)
        ext = c.ext
        date_time, end_time = self.log_time(c, k)
        answer = next((x.answer for x in mine if x.answer is not None), None)
        talk = sum(x.duration for x in mine if x.result in ("answered", "voicemail"))
        site = {"id": self.d.sites[owner.site][0], "name": self._site_name(c, owner)}
        row: dict[str, Any] = {"id": c.log_id(k), "call_id": c.call_id, "call_type": "voip"}
        site_iso, site_cc = site_country(owner.site)
        if c.inbound:
            row.update({
                "caller_number": ext.number, "caller_number_type": 2, "caller_name": self._ext_name(c),
                "caller_did_number": ext.number,
                "caller_country_code": ext.cc, "caller_country_iso_code": ext.iso,
                "caller_number_source": "external",
                "callee_number": str(owner.ext), "callee_number_type": 1, "callee_name": owner.name,
                "callee_did_number": owner.did, "callee_country_code": site_cc,
                "callee_country_iso_code": site_iso, "callee_number_source": "internal",
            })
        else:
            row.update({
                "caller_number": str(owner.ext), "caller_number_type": 1, "caller_name": owner.name,
                "caller_did_number": owner.did, "caller_country_code": site_cc,
                "caller_country_iso_code": site_iso, "caller_number_source": "internal",
                "callee_number": ext.number, "callee_number_type": 2, "callee_name": self._ext_name(c),
                "callee_did_number": ext.number,
                "callee_country_code": ext.cc, "callee_country_iso_code": ext.iso,
                "callee_number_source": "external",
            })
        if c.inbound and self.cfg.quirk_guide_fields:
            row["caller_location"] = ext.location
        charge, rate = self.log_charge(c, k)
        row.update({
            "direction": "inbound" if c.inbound else "outbound",
            "duration": talk,
            "result": LOG_RESULT[c.outcome] if k == 0 else "Call connected",
            "date_time": fmt_ts(date_time),
        })
        if answer is not None:
            row["answer_start_time"] = fmt_ts(answer)
        row["call_end_time"] = fmt_ts(end_time)
        row["path"] = self.log_path(c, k)
        row["site"] = site
        row["owner"] = {"type": owner.kind, "id": owner.id, "name": owner.name, "extension_number": owner.ext}
        if owner.kind == "user":
            row["user_id"] = owner.id
        rec_leg = next((x for x in mine if x.rec), None)
        if rec_leg is not None:
            row["recording_id"] = FIXTURE["recording_id"] if c.fixture else hex32(c.rs, K_REC, k)
            row["recording_type"] = "Automatic"
        if c.fixture:
            row["duration"] = 12
        else:
            row.update({"charge": charge, "rate": rate, "client_code": "",
                        "hold_time": sum(x.hold for x in mine),
                        "waiting_time": sum(x.wait for x in mine)})
        if self._quirk_missing(c):
            drop_optional(row, c.qsel, OPTIONAL_LOG)
        return row

    def log_detail_legs(self, c: PhoneCall, k: int, legs: list[Leg] | None = None) -> list[dict[str, Any]]:
        legs = legs if legs is not None else self.legs(c)
        out = []
        for x in legs:
            if x.log != k or (x.event == "incoming" and x.target.kind != "user"):
                continue
            t = x.target
            guide = self.cfg.quirk_guide_fields
            leg: dict[str, Any] = {"id": x.leg_id or make_uuid(c.rs, K_LEG, x.n, c.day, c.idx),
                                   "date_time": fmt_ts(x.start)}
            if guide:
                if x.answer is not None:
                    leg["answer_start_time"] = fmt_ts(x.answer)
                leg["call_type"] = "voip"
                if c.inbound:
                    leg["caller_location"] = c.ext.location
            leg["duration"] = x.duration
            if isinstance(t, Entity):
                leg["forward_to"] = {"extension_number": str(t.ext), "id": t.id, "name": t.name, "type": t.kind}
                leg["path"] = LEG_PATH.get(t.kind, "extension")
                if x.event == "voicemail":
                    leg["path"] = "voiceMail"
                elif x.event == "transfer":
                    leg["path"] = "transfer"
                site_e = t
            else:
                leg["path"] = "pstn"
                site_e = self.owner(c, k)
            if x.rec and guide:
                leg["recording_id"] = FIXTURE["recording_id"] if c.fixture else hex32(c.rs, K_REC, 0x80 | x.n)
                leg["recording_type"] = "Automatic"
            if x.result == "forwarded" and x.rec:
                leg["result"] = "Auto Recorded"
            else:
                leg["result"] = LOG_RESULT[x.result]
            leg["hold_time"] = x.hold
            leg["site"] = {"id": self.d.sites[site_e.site][0], "name": self._site_name(c, site_e)}
            if self._quirk_missing(c):
                drop_optional(leg, c.qsel >> 2, OPTIONAL_LEG)
            out.append(leg)
        return out

    def call_log_detail(self, c: PhoneCall, k: int) -> dict[str, Any]:
        """GET /phone/call_logs/{id}: the call log's documented detail fields plus `log_details[]`."""
        legs = self.legs(c)
        keep = LOG_DETAIL_FIELDS | (GUIDE_DETAIL_FIELDS if self.cfg.quirk_guide_fields else frozenset())
        row = {name: value for name, value in self.call_log(c, k, legs).items() if name in keep}
        row["log_details"] = self.log_detail_legs(c, k, legs)
        return row

    # -- call history
    def _party(self, prefix: str, p: Entity | External, c: PhoneCall) -> dict[str, Any]:
        if isinstance(p, External):
            return {f"{prefix}_did_number": p.number, f"{prefix}_name": self._ext_name(c),
                    f"{prefix}_number_type": "external_pstn", f"{prefix}_country_iso_code": p.iso,
                    f"{prefix}_country_code": p.cc}
        row = {f"{prefix}_ext_id": p.ext_id, f"{prefix}_name": p.name}
        if p.email:
            row[f"{prefix}_email"] = p.email
        iso, cc = site_country(p.site)
        row.update({f"{prefix}_did_number": p.did, f"{prefix}_ext_number": str(p.ext),
                    f"{prefix}_ext_type": HISTORY_EXT_TYPE[p.kind], f"{prefix}_number_type": "zoom_pstn",
                    f"{prefix}_country_iso_code": iso, f"{prefix}_country_code": cc})
        return row

    def _main_party(self, c: PhoneCall) -> Entity:
        if c.user >= 0:
            return self.d.users[c.user]
        return c.entry

    def call_history(self, c: PhoneCall, legs: list[Leg] | None = None, legacy: bool = False) -> dict[str, Any]:
        """Item of GET /phone/call_history (`legacy`: of its deprecated `call_logs[]`, keyed `id`)."""
        legs = legs if legs is not None else self.legs(c)
        first = legs[0]
        main = self._main_party(c)
        owner = self.owner(c, 0)
        row: dict[str, Any] = {"id" if legacy else "call_history_uuid": c.history_uuid, "call_id": c.call_id,
                               "connect_type": "external", "call_type": "general",
                               "direction": "inbound" if c.inbound else "outbound",
                               "international": c.ext.iso != site_country(owner.site)[0],
                               "hide_caller_id": False, "end_to_end": False}
        if c.inbound:
            row.update(self._party("caller", c.ext, c))
            row.update(self._party("callee", first.target, c))
        else:
            row.update(self._party("caller", owner, c))
            row.update(self._party("callee", c.ext, c))
        answer = next((x.answer for x in legs if x.answer is not None and x.result == "answered"), None)
        result = HISTORY_RESULT[c.outcome]
        if c.quirks & Q_ENUM and self.cfg.quirk_unknown_enums and c.outcome != "answered":
            result = "unconnected"
        row.update({"department": main.department, "cost_center": main.cost_center,
                    "site_id": self.d.sites[owner.site][0], "site_name": self._site_name(c, owner),
                    "group_id": f"grp-{main.department.lower()}",
                    "start_time": fmt_ts(c.start)})
        if answer is not None:
            row["answer_time"] = fmt_ts(answer)
        row.update({"end_time": fmt_ts(c.end), "duration": c.end - c.start, "call_result": result,
                    "recording_status": "recorded" if c.recorded else "non_recorded"})
        if self._quirk_missing(c):
            drop_optional(row, c.qsel >> 1, OPTIONAL_HISTORY)
        return row

    def _element(self, c: PhoneCall, x: Leg, owner: Entity, caller: dict[str, Any]) -> dict[str, Any]:
        """Leg x as a `call_elements[]` item of the call-history detail."""
        t = x.target
        row: dict[str, Any] = {"call_element_id": make_uuid(c.rs, K_ELEMENT, x.n, c.day, c.idx),
                               "call_id": c.call_id, "connect_type": "external", "call_type": "general",
                               "direction": "inbound" if c.inbound else "outbound", "hide_caller_id": False,
                               "end_to_end": False}
        row.update(caller)
        row.update(self._party("callee", t, c))
        site_e = t if isinstance(t, Entity) else owner
        if isinstance(t, Entity) and t.department:
            row["department"] = t.department
            row["cost_center"] = t.cost_center
        row["site_id"] = self.d.sites[site_e.site][0]
        row["site_name"] = self._site_name(c, site_e)
        row["start_time"] = fmt_ts(x.start)
        if x.answer is not None:
            row["answer_time"] = fmt_ts(x.answer)
        row["end_time"] = fmt_ts(x.end)
        result, reason = ELEMENT_RESULT[x.result]
        if c.quirks & Q_ENUM and self.cfg.quirk_unknown_enums and result in ("no_answer", "abandoned"):
            reason = UNDOCUMENTED_REASON
        row["event"] = ELEMENT_EVENT.get(x.event, x.event)
        row["result"] = result
        if reason:
            row["result_reason"] = reason
        if x.operator is not None:
            op = x.operator
            row.update({"operator_ext_number": str(op.ext), "operator_ext_id": op.ext_id,
                        "operator_ext_type": HISTORY_EXT_TYPE[op.kind], "operator_name": op.name})
        if x.press_key:
            row["press_key"] = x.press_key
        row.update({"segment": x.seg, "node": x.node, "is_node": int(x.is_node)})
        if x.rec:
            row["recording_id"] = FIXTURE["recording_id"] if c.fixture else hex32(c.rs, K_REC, 0x80 | x.n)
            row["recording_type"] = "automatic"
        row["hold_time"] = x.hold
        row["waiting_time"] = x.wait
        if x.vm:
            row["voicemail_id"] = hex32(c.rs, K_VM, x.n)
        if self._quirk_missing(c):
            drop_optional(row, c.qsel >> 3, OPTIONAL_ELEMENT)
        return row

    def call_elements(self, c: PhoneCall, legs: list[Leg] | None = None) -> list[dict[str, Any]]:
        """`call_elements[]` of GET /phone/call_history/{uuid}: one per leg, by segment then node."""
        legs = legs if legs is not None else self.legs(c)
        owner = self.owner(c, 0)
        caller = self._party("caller", c.ext if c.inbound else owner, c)
        return [self._element(c, x, owner, caller) for x in sorted(legs, key=lambda leg: (leg.seg, leg.node))]

    def call_history_detail(self, c: PhoneCall, legacy: bool) -> dict[str, Any]:
        """GET /phone/call_history/{uuid}: the call's documented summary fields plus its legs, as
        `call_elements[]` or (legacy shape) `call_path[]`, whose legs are keyed `id`."""
        legs = self.legs(c)
        row = {name: value for name, value in self.call_history(c, legs).items() if name not in LIST_ONLY}
        elements = self.call_elements(c, legs)
        if legacy:
            row["call_path"] = [{"id": e.pop("call_element_id"), **e} for e in elements]
        else:
            row["call_elements"] = elements
        return row

    # -- the user call-history sync: the user's own legs
    def user_legs(self, c: PhoneCall, user: int) -> list[int]:
        """Leg numbers (Leg.n) of the call that are users[user]'s: the legs that rang them, or the
        outbound call they placed."""
        if user not in c.users:
            return []
        if c.flow == OUT:
            return [0]
        u = self.d.users[user]
        return [x.n for x in self.legs(c) if x.target is u]

    def user_call_element(self, c: PhoneCall, n: int) -> dict[str, Any]:
        """Leg n as an item of `call_elements[]` of GET /phone/users/{id}/call_history/sync (its
        `call_logs[]` holds the same legs keyed `id`, with `call_path_id`: see as_user_call_log)."""
        legs = self.legs(c)
        x = legs[n]
        owner = self.owner(c, 0)
        detail = self._element(c, x, owner, self._party("caller", c.ext if c.inbound else owner, c))
        row: dict[str, Any] = {"call_element_id": detail.pop("call_element_id"), "call_history_uuid": c.history_uuid}
        row.update((name, value) for name, value in detail.items() if name not in DETAIL_ELEMENT_ONLY)
        for side, party in (("caller", c.ext if c.inbound else owner), ("callee", x.target)):
            if isinstance(party, Entity):
                row[f"{side}_site_id"] = self.d.sites[party.site][0]
                if party.department:
                    row[f"{side}_department"] = party.department
                    row[f"{side}_cost_center"] = party.cost_center
        row["talk_time"] = x.end - x.answer if x.answer is not None and x.result == "answered" else 0
        row["wait_time"] = x.wait
        return row

    # -- user-centric rows (user call-log sync)
    def _sync_party(self, e: Entity, with_type: bool = False) -> dict[str, Any]:
        row: dict[str, Any] = {"extension_number": str(e.ext)}
        if with_type:
            row["extension_type"] = SYNC_EXT_TYPE[e.kind]
        row.update({"location": e.location, "name": e.name, "number_type": 1, "phone_number": e.did})
        return row

    def user_row(self, c: PhoneCall, row_no: int, legs: list[Leg] | None = None) -> dict[str, Any]:
        """The call as seen by the user c.users[row_no] (GET /phone/users/{id}/call_logs/sync)."""
        legs = legs if legs is not None else self.legs(c)
        users = self.d.users
        u = users[c.users[row_no]]
        mine = [x for x in legs if x.target is u]
        k = 1 if (c.flow == TRANSFER and row_no == 1) else 0
        log_legs = [x for x in legs if x.log == k]
        if c.flow == OUT:
            best = legs[0]
            result = LOG_RESULT[c.outcome]
        else:
            best = max(mine, key=lambda leg: RESULT_RANK[leg.result])
            result = LOG_RESULT[best.result]
        ext = c.ext
        u_iso, u_cc = site_country(u.site)
        row: dict[str, Any] = {"id": c.user_row_id(row_no), "call_id": c.call_id, "user_id": u.id}
        answered_leg = next((x for x in log_legs if x.result == "answered" and isinstance(x.target, Entity)), None)
        if answered_leg is not None and c.inbound:
            row["accepted_by"] = self._sync_party(answered_leg.target)
        if best.answer is not None:
            row["answer_start_time"] = fmt_ts(best.answer)
        row["call_end_time"] = fmt_ts(best.end)
        if c.inbound:
            row.update({"callee_country_code": u_cc, "callee_country_iso_code": u_iso,
                        "callee_did_number": u.did, "callee_name": u.name, "callee_number": str(u.ext),
                        "callee_number_type": 1, "callee_number_source": "internal",
                        "caller_country_code": ext.cc, "caller_country_iso_code": ext.iso,
                        "caller_did_number": ext.number, "caller_name": self._ext_name(c),
                        "caller_number": ext.number, "caller_number_type": 2, "caller_number_source": "external"})
        else:
            row.update({"callee_country_code": ext.cc, "callee_country_iso_code": ext.iso,
                        "callee_did_number": ext.number, "callee_name": self._ext_name(c),
                        "callee_number": ext.number, "callee_number_type": 2, "callee_number_source": "external",
                        "caller_country_code": u_cc, "caller_country_iso_code": u_iso,
                        "caller_did_number": u.did, "caller_name": u.name, "caller_number": str(u.ext),
                        "caller_number_type": 1, "caller_number_source": "internal"})
        charge, rate = self.log_charge(c, k)
        row.update({"charge": charge, "client_code": "", "date_time": fmt_ts(best.start),
                    "direction": "inbound" if c.inbound else "outbound",
                    "duration": best.duration if best.result in ("answered", "voicemail") else 0})
        if best.operator is not None and best.operator is not u:
            row["forwarded_by"] = self._sync_party(best.operator, with_type=True)
        elif c.entry is not None and c.inbound:
            row["forwarded_by"] = self._sync_party(c.entry, with_type=True)
        if c.flow == TRANSFER and row_no == 0:
            row["forwarded_to"] = self._sync_party(users[c.xfer])
        row["has_recording"] = any(x.rec for x in mine) or (c.flow == OUT and c.recorded)
        row["has_voicemail"] = any(x.vm for x in mine)
        row["id"] = row.pop("id")  # keep the key where the doc has it (after has_voicemail)
        if c.flow == OUT:
            row["outgoing_by"] = self._sync_party(u)
        path = "pstn" if c.flow in (OUT, DIRECT) else (
            "voiceMail" if best.vm else ("transfer" if best.event == "transfer" else
                                        (c.entry.kind if c.entry is not None else "extension")))
        row["path"] = path
        row["rate"] = rate
        if row["has_recording"]:
            row["recording_type"] = "Automatic"
        row["result"] = result
        row["site"] = {"id": self.d.sites[u.site][0], "name": self._site_name(c, u)}
        row["hold_time"] = best.hold
        row["waiting_time"] = best.wait
        if self._quirk_missing(c):
            drop_optional(row, c.qsel >> 4, OPTIONAL_USERROW)
        return row


def as_user_call_log(element: dict[str, Any]) -> dict[str, Any]:
    """A user-sync `call_elements[]` item as its `call_logs[]` twin: keyed `id`, the call's uuid as
    `call_path_id` (the published example pairs them so)."""
    row = dict(element)
    return {"id": row.pop("call_element_id"), "call_path_id": row.pop("call_history_uuid"), **row}
