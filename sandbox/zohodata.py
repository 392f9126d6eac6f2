"""Zoho Voice call logs, generated per day, plus the two rows of the vendor doc."""

from __future__ import annotations

import random
from typing import Any

from .clock import DAY
from .phone import time_of_day
from .world import K_ZOHO, DayCalls, Directory, cumulative, make_uuid, weighted_pick

# The two sample rows of zoho-voice-call-logs.txt, always served with these exact values.
FIXTURE_ROWS: list[dict[str, Any]] = [
    {
        "answer_time": "1764831299000", "sip_hangup_disposition": "send_bye", "agent_number": "John",
        "number_id": "198000002125031", "isBlocked": False, "did_number": "+1 2342316236",
        "destination_name": "Telnyx", "hangup_cause_displayname": "Successful call", "duration": "00:54",
        "caller_id_number": "+1 7208914892", "zsoid": "862937118", "department": "zohotest",
        "call_type": "incoming", "caller_id_name": "Zoho", "destination_number": "+1 2342316236",
        "call_recording_transcription_status": "not_initiated", "end_time": "1764831353000",
        "is_test_call": False, "user_number": "+1 7208914892", "disconnected_by": "agent",
        "start_time": "1764831298000",
        "hangup_cause_description": "Call was accepted by the user and got connected successfully.",
        "bridged_agent": {"agent": "John", "domain": "voice.zoho.com", "time": "1764831302000",
                          "uuid": "62d0b713-caaf-455d-8579-a7ff950502fb", "user_agent": "web"},
        "voice_credits": {"voice": 0, "free_minutes": 1, "total": 0}, "voicemail_read_by": False,
        "service": 58399000000003016, "logid": "c3d87e71-70bc-4ebd-a1d1-b625b2d0848f",
        "hangup_cause": "NORMAL_CLEARING",
    },
    {
        "answer_time": "1764831273000", "sip_hangup_disposition": "send_bye", "agent_number": "John",
        "number_id": "198000002125031", "isBlocked": False, "did_number": "+1 2342316236",
        "hangup_cause_displayname": "Successful call", "duration": "00:16",
        "caller_id_number": "+1 2342316236", "zsoid": "862937118", "department": "zohotest",
        "call_type": "outgoing", "caller_id_name": "Telnyx", "destination_number": "+1 3026012351",
        "call_recording_transcription_status": "not_initiated", "end_time": "1764831289000",
        "is_test_call": False, "user_number": "+1 3026012351", "disconnected_by": "agent",
        "start_time": "1764831272000",
        "hangup_cause_description": "Call was accepted by the user and got connected successfully.",
        "voice_credits": {"voice": 0, "free_minutes": 1, "total": 0}, "voicemail_read_by": False,
        "service": 58399000000003016, "logid": "ce723535-bdf2-4fd3-b9bd-870e9d12988c",
        "hangup_cause": "NORMAL_CLEARING",
    },
]

AGENTS = [("John", "198000000310001"), ("Priya", "198000000310002"), ("Marco", "198000000310003"),
          ("Aiko", "198000000310004"), ("Femi", "198000000310005"), ("Lena", "198000000310006")]
DEPARTMENTS = [("zohotest", "612000000000101"), ("Support", "612000000000102"), ("Sales", "612000000000103")]
NUMBERS = [("198000002125031", "+1 2342316236"), ("198000002125044", "+1 4155550143"),
           ("198000002125052", "+44 2071838750")]
GROUPS = ["612000000000201", "612000000000202", "612000000000203"]
CALL_TYPES = [("incoming", 45), ("outgoing", 33), ("missed", 13), ("bridged", 6), ("forward", 3)]
TYPE_CUM = cumulative(CALL_TYPES)
CARRIERS = ["Telnyx", "Twilio", "Plivo"]
SERVICE = 58399000000003016
ZSOID = "862937118"
ADDED_IDX_BASE = 0xF00000


def _fixture_attrs(row: dict[str, Any]) -> dict[str, Any]:
    return {"call_type": row["call_type"], "agent": "198000000310001", "department": "612000000000101",
            "group": GROUPS[0], "number": row["number_id"], "voicemail": False, "recording": False}


def zoho_duration(seconds: int) -> str:
    if seconds >= 3600:
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def spaced(number: str) -> str:
    """'+17208914892' -> '+1 7208914892' (Zoho puts a space after the country code)."""
    for cc in ("+1", "+44", "+49", "+52"):
        if number.startswith(cc):
            return f"{cc} {number[len(cc):]}"
    return number


class ZCall:
    __slots__ = ("day", "idx", "rs", "start", "order", "vis", "attrs", "row", "params")

    # `row` is a ready dict (fixtures, added rows); otherwise `params` drive render()


class ZohoWorld:
    def __init__(self, cfg, directory: Directory, first_day: int):
        self.cfg = cfg
        self.d = directory
        self.first_day = first_day
        self.fixtures: list[ZCall] = []
        for row in FIXTURE_ROWS:
            z = ZCall()
            z.day = int(row["start_time"]) // 1000 // DAY
            z.idx = -1
            z.rs = 0
            z.start = int(row["start_time"]) // 1000
            z.order = -1
            z.vis = 0          # always visible
            z.attrs = _fixture_attrs(row)
            z.row = row
            z.params = None
            self.fixtures.append(z)
        self.added: list[ZCall] = []

    def generate(self, day: int) -> DayCalls:
        cfg = self.cfg
        if day < self.first_day:
            return DayCalls(day, [])
        rng = random.Random(f"zoho-voice:{cfg.seed}:{day}")
        n = cfg.zoho_calls_per_day
        starts = sorted(day * DAY + time_of_day(rng) for _ in range(n))
        rnd = rng.random

        def randint(a: int, b: int) -> int:
            return a + int(rnd() * (b - a + 1))

        exts = self.d.externals
        calls = []
        for idx, t0 in enumerate(starts):
            z = ZCall()
            z.day, z.idx, z.start, z.order = day, idx, t0, idx
            z.rs = rng.getrandbits(64)
            call_type = weighted_pick(TYPE_CUM, rnd())
            agent = int(rnd() * len(AGENTS))
            dept = int(rnd() * len(DEPARTMENTS))
            number = int(rnd() * len(NUMBERS))
            group = int(rnd() * len(GROUPS))
            customer = exts[int(rnd() * len(exts))]
            ring = randint(2, 20)
            talk = int(rng.expovariate(1 / 200)) + 3
            if rnd() < 0.01:
                talk += randint(3600, 5000)
            voicemail = call_type == "missed" and rnd() < 0.4
            recording = call_type in ("incoming", "outgoing", "bridged") and rnd() < 0.3
            late = rnd() < 0.02
            vis_delay = randint(10, 90)
            late_delay = randint(3600, 3 * 3600)
            carrier = CARRIERS[int(rnd() * len(CARRIERS))]
            ua = "web" if rnd() < 0.7 else "mobile"
            disconnect_by_agent = rnd() < 0.5
            answered = call_type != "missed"
            end = t0 + ring + (talk if answered else 0) + (randint(5, 40) if voicemail else 0)
            z.params = (call_type, agent, dept, number, customer, ring, talk, voicemail, recording, carrier, ua,
                        disconnect_by_agent, end)
            z.attrs = {"call_type": call_type, "agent": AGENTS[agent][1], "department": DEPARTMENTS[dept][1],
                       "group": GROUPS[group], "number": NUMBERS[number][0], "voicemail": voicemail,
                       "recording": recording}
            z.vis = end + (late_delay if (late and cfg.quirk_late_arrivals) else vis_delay)
            z.row = None
            calls.append(z)
        return DayCalls(day, calls)

    def add_rows(self, now: float, count: int) -> None:
        """Zoho `zoho_rows_added_per_page`: new calls that start right now (shift offsets)."""
        t = int(now)
        for _ in range(count):
            seq = len(self.added)
            rs = (self.cfg.seed * 1_000_003 + seq) & ((1 << 64) - 1)
            number_id, did = NUMBERS[seq % len(NUMBERS)]
            customer = self.d.externals[(seq * 7) % len(self.d.externals)]
            z = ZCall()
            z.day, z.idx, z.rs = t // DAY, ADDED_IDX_BASE + seq, rs
            z.start = t
            z.order = ADDED_IDX_BASE + seq
            z.vis = t
            z.params = None
            z.attrs = {"call_type": "missed", "agent": AGENTS[0][1], "department": DEPARTMENTS[0][1],
                       "group": GROUPS[0], "number": number_id, "voicemail": False, "recording": False}
            ms = str(t * 1000)
            z.row = {
                "sip_hangup_disposition": "recv_cancel", "agent_number": AGENTS[0][0], "number_id": number_id,
                "isBlocked": False, "did_number": did, "hangup_cause_displayname": "No answer",
                "duration": "00:00", "caller_id_number": spaced(customer.number), "zsoid": ZSOID,
                "department": DEPARTMENTS[0][0], "call_type": "missed", "caller_id_name": customer.name.title(),
                "destination_number": did, "call_recording_transcription_status": "not_initiated",
                "end_time": ms, "is_test_call": False, "user_number": spaced(customer.number),
                "disconnected_by": "customer", "start_time": ms,
                "hangup_cause_description": "Call was not answered.",
                "voice_credits": {"voice": 0, "free_minutes": 0, "total": 0}, "voicemail_read_by": False,
                "service": SERVICE, "logid": make_uuid(rs, K_ZOHO, 1, z.day, z.idx),
                "hangup_cause": "NO_ANSWER",
            }
            self.added.append(z)

    def render(self, z: ZCall) -> dict[str, Any]:
        if z.row is not None:
            return dict(z.row)
        (call_type, agent, dept, number, customer, ring, talk, voicemail, recording, carrier, ua,
         by_agent, end) = z.params
        t0 = z.start
        agent_name = AGENTS[agent][0]
        number_id, did = NUMBERS[number]
        cust = spaced(customer.number)
        answered = call_type != "missed"
        ans = t0 + ring
        row: dict[str, Any] = {}
        if answered:
            row["answer_time"] = str(ans * 1000)
        row["sip_hangup_disposition"] = ("send_bye" if by_agent else "recv_bye") if answered else "recv_cancel"
        row.update({"agent_number": agent_name, "number_id": number_id, "isBlocked": False, "did_number": did})
        if call_type in ("incoming", "bridged", "forward"):
            row["destination_name"] = carrier
        row["hangup_cause_displayname"] = "Successful call" if answered else "No answer"
        row["duration"] = zoho_duration(talk if answered else 0)
        outgoing = call_type == "outgoing"
        row.update({
            "caller_id_number": did if outgoing else cust, "zsoid": ZSOID, "department": DEPARTMENTS[dept][0],
            "call_type": call_type, "caller_id_name": carrier if outgoing else customer.name.title(),
            "destination_number": cust if outgoing else (spaced(self.d.externals[(z.idx * 31) % 1500].number)
                                                         if call_type == "forward" else did),
            "call_recording_transcription_status": "completed" if recording else "not_initiated",
            "end_time": str(end * 1000), "is_test_call": False, "user_number": cust,
            "disconnected_by": ("agent" if by_agent else "customer") if answered else "customer",
            "start_time": str(t0 * 1000),
            "hangup_cause_description": ("Call was accepted by the user and got connected successfully."
                                         if answered else "Call was not answered by the agent."),
        })
        if call_type in ("incoming", "bridged"):
            row["bridged_agent"] = {"agent": agent_name, "domain": "voice.zoho.com", "time": str((ans + 3) * 1000),
                                    "uuid": make_uuid(z.rs, K_ZOHO, 2, z.day, z.idx), "user_agent": ua}
        minutes = max(1, -(-talk // 60)) if answered else 0
        row["voice_credits"] = {"voice": minutes if outgoing else 0, "free_minutes": 0 if outgoing else minutes,
                                "total": minutes if outgoing else 0}
        row["voicemail_read_by"] = False
        row["service"] = SERVICE
        row["logid"] = make_uuid(z.rs, K_ZOHO, 0, z.day, z.idx)
        row["hangup_cause"] = "NORMAL_CLEARING" if answered else "NO_ANSWER"
        return row

    @staticmethod
    def matches(z: ZCall, f: dict[str, Any]) -> bool:
        if not f:
            return True
        a = z.attrs
        if "callType" in f and a["call_type"] != f["callType"]:
            return False
        if "departmentId" in f and a["department"] not in f["departmentId"]:
            return False
        if "groupIds" in f and a["group"] not in f["groupIds"]:
            return False
        if "numberIds" in f and a["number"] not in f["numberIds"]:
            return False
        if "agent" in f and a["agent"] != f["agent"]:
            return False
        vm, rec = f.get("isVoiceMail"), f.get("isRecording")
        if vm and rec:
            return a["voicemail"] or a["recording"]
        if vm and not a["voicemail"]:
            return False
        if rec and not a["recording"]:
            return False
        return True
