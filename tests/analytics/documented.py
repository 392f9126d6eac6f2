"""The vendors' documented payloads, served over HTTP on 127.0.0.1 (not from sandbox/).

- Zoom's guide "Understand Zoom Phone call logs": the Marketing Hotline call (call_id
  696165649876346057) as `GET /phone/call_logs` and `GET /phone/call_logs/{id}` answer it, word for
  word (dates moved to EXAMPLE_DAY). The legs are what the guide shows: the Marketing Queue leg
  ("Auto Recorded", with the recording) answered 12 s before it starts, Ji Won Lee "Answered by
  Other Member", Rosario Ramirez "Call connected".
- The same call from the call-history family, written from the published definition (enums,
  fields: call elements carry no `duration`, routing steps are `connected`), as the guide tells it.
- The published example responses of the definitions (tests/contract/spec.example), dates moved
  into the last week: the call log whose end is 690 s before its start and whose answer is four
  days after its end, and the call-history detail whose element was on hold longer than connected.
- A call whose call-history row says `non_recorded` while one of its legs was recorded (ad hoc).
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from typing import Any

from tests.common.fake_server import FakeClock, FakeServer, Reply, Request, token_handler
from tests.contract import spec

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
START_DATE = "2026-11-13"
EXAMPLE_DAY = "2026-11-17"
CALL_ID = "696165649876346057"
HISTORY_UUID = "20261117-6f2a7c1e-2c5d-4f0e-9a57-6961656498"
LEG_RECORDED_UUID = "20261118-0b7d6c2a-45f1-4e55-8c3e-adhocrecord"
CREDENTIALS = {"account_id": "documented", "client_id": "documented-id", "client_secret": "documented-secret"}
_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def shifted(value: Any, delta: dt.timedelta) -> Any:
    """`value` with every timestamp moved by `delta` (relative times kept to the second)."""
    if isinstance(value, dict):
        return {k: shifted(v, delta) for k, v in value.items()}
    if isinstance(value, list):
        return [shifted(v, delta) for v in value]
    if isinstance(value, str) and _TS.match(value):
        moved = dt.datetime.fromisoformat(value.replace("Z", "+00:00")) + delta
        return moved.strftime("%Y-%m-%dT%H:%M:%SZ")
    return value


def at(hms: str) -> str:
    return f"{EXAMPLE_DAY}T{hms}Z"


# ------------------------------------------------------------------ the guide, legacy family

SITE = {"id": "W454_mIgsdia4-Yn53334Hw", "name": "Headquarters"}
GUIDE_LOG = {
    "id": "dcasgfdd-gfb0-4ea7-8dc0-c96rer34d7", "call_type": "voip", "caller_number": "+16695551234",
    "caller_number_type": 2, "caller_location": "San Jose, CA", "callee_number": "150002", "callee_number_type": 1,
    "callee_name": "Marketing Hotline", "direction": "inbound", "duration": 12, "result": "Call connected",
    "date_time": at("23:11:44"), "path": "autoReceptionist", "site": SITE, "call_id": CALL_ID,
    "owner": {"type": "autoReceptionist", "id": "4KL1uortyet5644boSbtEw", "name": "Marketing Hotline",
              "extension_number": 150002},
    "answer_start_time": at("23:11:44"),
}
GUIDE_DETAIL = {
    "answer_start_time": at("23:11:44"), "call_id": CALL_ID, "call_type": "voip", "callee_name": "Marketing Hotline",
    "callee_number": "150002", "callee_number_type": 1, "caller_location": "San Jose, CA",
    "caller_number": "+16695551234", "caller_number_type": 2, "date_time": at("23:11:44"), "direction": "inbound",
    "duration": 12, "id": GUIDE_LOG["id"],
    "log_details": [
        {"answer_start_time": at("23:11:44"), "caller_location": "San Jose, CA", "date_time": at("23:11:56"),
         "duration": 12, "forward_to": {"extension_number": "151006", "id": "EzYX42345pQgfMA_U6UQ",
                                        "name": "Marketing Queue", "type": "callQueue"},
         "id": "4c6eree7-5b1e-4833-a672-b9234534b868", "path": "callQueue",
         "recording_id": "79b4147ad442354234239abd3633a5", "recording_type": "Automatic", "result": "Auto Recorded",
         "site": SITE},
        {"call_type": "voip", "caller_location": "San Jose, CA", "date_time": at("23:11:58"), "duration": 0,
         "forward_to": {"extension_number": "150001", "id": "XnK5466456xPIzSg", "name": "Ji Won Lee", "type": "user"},
         "id": "9456434-6656f-4645-b912-cc3b5356a1", "path": "extension", "result": "Answered by Other Member",
         "site": SITE},
        {"answer_start_time": at("23:12:11"), "call_type": "voip", "caller_location": "San Jose, CA",
         "date_time": at("23:12:09"), "duration": 12,
         "forward_to": {"extension_number": "151011", "id": "uK9clxm34534543lGCAOdA", "name": "Rosario Ramirez",
                        "type": "user"},
         "id": "7453147a-d60c-4211-ab01-6b4545633a5", "path": "extension", "result": "Call connected", "site": SITE},
    ],
    "path": "autoReceptionist", "result": "Call connected",
}


# ------------------------------------------------------------------ the same call, call-history family

def _party(side: str, name: str, ext_type: str | None, ext_id: str | None = None,
           number: str | None = None) -> dict[str, Any]:
    if ext_type is None:  # the outside caller
        return {f"{side}_name": name, f"{side}_did_number": number, f"{side}_number_type": "external_pstn"}
    return {f"{side}_name": name, f"{side}_ext_type": ext_type, f"{side}_ext_id": ext_id,
            f"{side}_ext_number": number, f"{side}_number_type": "zoom_pstn"}


CALLER = _party("caller", "+16695551234", None, number="+16695551234")
HOTLINE = ("Marketing Hotline", "auto_receptionist", "4KL1uortyet5644boSbtEw", "150002")
QUEUE = ("Marketing Queue", "call_queue", "EzYX42345pQgfMA_U6UQ", "151006")
JI_WON = ("Ji Won Lee", "user", "XnK5466456xPIzSg", "150001")
ROSARIO = ("Rosario Ramirez", "user", "uK9clxm34534543lGCAOdA", "151011")


def _element(n: int, uuid: str, call_id: str, callee: tuple, segment: int, node: int, event: str, result: str,
             start: str, end: str, answer: str | None = None, **extra: Any) -> dict[str, Any]:
    row = {"call_element_id": f"{uuid}-e{n}", "call_id": call_id, "connect_type": "external",
           "call_type": "general", "direction": "inbound", "hide_caller_id": False, "end_to_end": False,
           **CALLER, **_party("callee", *callee), "site_id": SITE["id"], "site_name": SITE["name"],
           "start_time": at(start), "end_time": at(end), "event": event, "result": result,
           "segment": segment, "node": node, "is_node": 1 if node else 0, "hold_time": 0, "waiting_time": 0}
    if answer:
        row["answer_time"] = at(answer)
    row.update(extra)
    return row


HISTORY_ROW = {
    "call_history_uuid": HISTORY_UUID, "call_id": CALL_ID, "direction": "inbound", "international": False,
    "start_time": at("23:11:44"), "answer_time": at("23:12:11"), "end_time": at("23:12:23"), "duration": 39,
    "connect_type": "external", "call_type": "general", "call_result": "answered", "hide_caller_id": False,
    "end_to_end": False, **CALLER, **_party("callee", *HOTLINE), "site_id": SITE["id"], "site_name": SITE["name"],
    "recording_status": "recorded",
}
HISTORY_ELEMENTS = [
    _element(0, HISTORY_UUID, CALL_ID, HOTLINE, 0, 0, "incoming", "connected", "23:11:44", "23:11:56", "23:11:44"),
    _element(1, HISTORY_UUID, CALL_ID, QUEUE, 1, 0, "forward", "connected", "23:11:56", "23:12:23", "23:11:56",
             operator_ext_type="auto_receptionist", operator_name="Marketing Hotline", press_key="1",
             recording_id="79b4147ad442354234239abd3633a5", recording_type="automatic"),
    _element(2, HISTORY_UUID, CALL_ID, JI_WON, 1, 1, "ring_to_member", "no_answer", "23:11:58", "23:12:09",
             result_reason="answered_by_other", operator_ext_type="call_queue", operator_name="Marketing Queue"),
    _element(3, HISTORY_UUID, CALL_ID, ROSARIO, 1, 2, "ring_to_member", "answered", "23:12:09", "23:12:23",
             "23:12:11", waiting_time=15, operator_ext_type="call_queue", operator_name="Marketing Queue"),
]
# a direct call to Ji Won Lee, who recorded it ad hoc: the call-history row says non_recorded
LEG_RECORDED_ID = "696165649876999001"
LEG_RECORDED_ROW = {**HISTORY_ROW, "call_history_uuid": LEG_RECORDED_UUID, "call_id": LEG_RECORDED_ID,
                    **_party("callee", *JI_WON), "start_time": at("14:00:00"), "answer_time": at("14:00:05"),
                    "end_time": at("14:03:05"), "duration": 185, "recording_status": "non_recorded"}
LEG_RECORDED_ELEMENTS = [
    _element(0, LEG_RECORDED_UUID, LEG_RECORDED_ID, JI_WON, 0, 0, "incoming", "answered", "14:00:00", "14:03:05",
             "14:00:05", hold_time=30, recording_id="5e1f0c0ffee0ad0c0000000000000001", recording_type="ad-hoc"),
]


# ------------------------------------------------------------------ the definitions' own examples


def _published() -> dict[str, Any]:
    logs = spec.example("/phone/call_logs")["call_logs"]
    log = shifted(logs[0], dt.datetime(2026, 11, 15, 16, 23, 34, tzinfo=dt.UTC)
                  - dt.datetime(2021, 10, 8, 16, 23, 34, tzinfo=dt.UTC))
    detail = spec.example("/phone/call_logs/{callLogId}")
    detail = shifted(detail, dt.datetime(2026, 11, 15, 16, 23, 34, tzinfo=dt.UTC)
                     - dt.datetime(2021, 10, 12, 22, 54, 31, tzinfo=dt.UTC))
    detail.update(id=log["id"], call_id=log["call_id"])
    history_delta = (dt.datetime(2026, 11, 16, 16, 12, 4, tzinfo=dt.UTC)
                     - dt.datetime(2021, 10, 8, 16, 12, 4, tzinfo=dt.UTC))
    row = shifted(spec.example("/phone/call_history")["call_history"][0], history_delta)
    path = shifted(spec.example("/phone/call_history/{callHistoryUuid}"), history_delta)
    path.pop("call_path", None)  # the deprecated array: the current one is call_elements
    return {"log": log, "log_detail": detail, "history": row, "history_detail": path}


PUBLISHED = _published()
PUBLISHED_LOG_ID = PUBLISHED["log"]["id"]
PUBLISHED_CALL_ID = PUBLISHED["log"]["call_id"]  # end 690 s before start, answered 4 days after the end
PUBLISHED_HISTORY_CALL_ID = PUBLISHED["history"]["call_id"]  # its element: 20 s hold in 11 s connected


# ------------------------------------------------------------------ the server


def _page(array: str, items: list[dict[str, Any]]):
    def handle(request: Request) -> Reply:
        wanted = (request.query.get("recording_status") or [None])[0]
        chosen = [i for i in items if wanted is None or i.get("recording_status", "recorded") == wanted]
        return Reply(200, {"from": (request.query.get("from") or [""])[0], "to": (request.query.get("to") or [""])[0],
                           "page_size": 300, "total_records": len(chosen), "next_page_token": "",
                           array: copy.deepcopy(chosen)})
    return handle


def serve() -> FakeServer:
    """A started server answering the documented payloads (stop it with `server.__exit__()`)."""
    server = FakeServer()
    server.route("POST", "/oauth/token", token_handler())
    server.route("GET", "/v2/phone/call_logs", _page("call_logs", [GUIDE_LOG, PUBLISHED["log"]]))
    server.route("GET", f"/v2/phone/call_logs/{GUIDE_LOG['id']}", Reply(200, GUIDE_DETAIL))
    server.route("GET", f"/v2/phone/call_logs/{PUBLISHED_LOG_ID}", Reply(200, PUBLISHED["log_detail"]))
    history = [HISTORY_ROW, LEG_RECORDED_ROW, PUBLISHED["history"]]
    server.route("GET", "/v2/phone/call_history", _page("call_history", history))
    details = [(HISTORY_ROW, HISTORY_ELEMENTS), (LEG_RECORDED_ROW, LEG_RECORDED_ELEMENTS)]
    for row, elements in details:
        summary = {k: v for k, v in row.items() if k not in ("duration", "call_result", "recording_status")}
        server.route("GET", f"/v2/phone/call_history/{row['call_history_uuid']}",
                     Reply(200, {**summary, "call_elements": elements}))
    server.route("GET", f"/v2/phone/call_history/{PUBLISHED['history']['call_history_uuid']}",
                 Reply(200, PUBLISHED["history_detail"]))
    return server.__enter__()


LEGACY = ["call_logs", "call_log_details"]
CURRENT = ["call_history", "call_history_details"]


def load(wh, server: FakeServer, families: str = "both") -> None:
    """Load the documented calls into `wh` with the real zoom_phone source ("both" or "legacy")."""
    from sources.common.config import build_zoom_client
    from sources.zoom_phone import zoom_phone

    clock = FakeClock(NOW)
    client = build_zoom_client(clock, base_url=server.url + "/v2", token_url=server.url + "/oauth/token",
                               **CREDENTIALS)
    resources = LEGACY + (CURRENT if families == "both" else [])
    try:
        wh.pipeline("zoom_phone").run(zoom_phone(resources=resources, start_date=START_DATE, client=client,
                                                 clock=clock), loader_file_format=wh.loader_file_format)
    finally:
        client.close()
