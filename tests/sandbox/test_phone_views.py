"""The same call through call_logs / log_details, call_history / call_elements and the user syncs."""

from collections import Counter

from sandbox.clock import fmt_date
from sandbox.phone import AR_QUEUE, TRANSFER

from .conftest import fetch_all, zoom_client


def test_worked_example_is_served_with_its_ids(sb, zoom):
    mh = sb.truth.marketing_hotline
    assert mh["call_id"] == "696165649876346057"
    assert mh["call_log_id"] == "dcasgfdd-gfb0-4ea7-8dc0-c96rer34d7"
    assert mh["date_time"] == "2026-11-17T23:11:44Z"  # three days before the clock start, 23:11:44 as in the doc
    listed = zoom.get("/phone/call_logs", params={"from": "2026-11-17", "to": "2026-11-17", "page_size": 300})
    row = next(x for x in listed.json()["call_logs"] if x["id"] == mh["call_log_id"])
    assert row["call_id"] == "696165649876346057"
    assert row["callee_name"] == "Marketing Hotline" and row["callee_number"] == "150002"
    assert row["owner"] == {"type": "autoReceptionist", "id": "4KL1uortyet5644boSbtEw", "name": "Marketing Hotline",
                            "extension_number": 150002}
    assert row["path"] == "autoReceptionist" and row["result"] == "Call connected" and row["duration"] == 12
    assert row["caller_number"] == "+16695551234" and row["caller_location"] == "San Jose, CA"
    assert row["site"] == {"id": "W454_mIgsdia4-Yn53334Hw", "name": "Headquarters"}
    for key in (mh["call_id"], mh["call_log_id"]):  # by call_id (as in the doc) or by call log id
        detail = zoom.get(f"/phone/call_logs/{key}").json()
        legs = detail["log_details"]
        assert [x["id"] for x in legs] == ["4c6eree7-5b1e-4833-a672-b9234534b868",
                                            "9456434-6656f-4645-b912-cc3b5356a1",
                                            "7453147a-d60c-4211-ab01-6b4545633a5"]
        assert [x["result"] for x in legs] == ["Auto Recorded", "Answered by Other Member", "Call connected"]
        assert [x["forward_to"]["name"] for x in legs] == ["Marketing Queue", "Ji Won Lee", "Rosario Ramirez"]
        assert [x["forward_to"]["extension_number"] for x in legs] == ["151006", "150001", "151011"]
        assert [x["date_time"][11:] for x in legs] == ["23:11:56Z", "23:11:58Z", "23:12:09Z"]
        assert legs[0]["recording_id"] == "79b4147ad442354234239abd3633a5"
        assert legs[2]["answer_start_time"].endswith("23:12:11Z") and "answer_start_time" not in legs[1]
    history = zoom.get(f"/phone/call_history/{mh['call_history_uuid']}").json()
    answered = [e for e in history["call_elements"] if e["result"] == "answered"]
    assert [e["callee_name"] for e in answered] == ["Rosario Ramirez"]
    rosario = zoom.get(f"/phone/users/{mh['answered_user_id']}/call_logs/sync", params={"count": 250}).json()
    ji = zoom.get(f"/phone/users/{mh['missed_user_id']}/call_logs/sync", params={"count": 250}).json()
    r_row = next(x for x in rosario["call_logs"] if x["call_id"] == mh["call_id"])
    j_row = next(x for x in ji["call_logs"] if x["call_id"] == mh["call_id"])
    assert r_row["result"] == "Call connected" and j_row["result"] == "Answered by Other Member"
    assert j_row["accepted_by"]["name"] == "Rosario Ramirez"


def _find(sb, predicate):
    for day in range(sb.start_day - 1, sb.first_day, -1):
        for c in sb.phone_days.get(day).calls:
            if predicate(c):
                return c
    raise AssertionError("no such call")


def test_one_call_is_consistent_across_the_four_views(sb, zoom):
    users = sb.directory.users
    c = _find(sb, lambda c: c.flow == AR_QUEUE and not c.fixture and c.outcome == "answered" and len(c.rung) >= 2)
    answerer, missed = users[c.rung[-1]], users[c.rung[0]]
    log = zoom.get(f"/phone/call_logs/{c.log_id(0)}").json()
    assert log["call_id"] == c.call_id and log["path"] == "autoReceptionist"
    connected = [x for x in log["log_details"] if x["result"] == "Call connected"]
    assert [x["forward_to"]["id"] for x in connected] == [answerer.id]
    assert log["log_details"][0]["forward_to"]["type"] == "callQueue"
    history = zoom.get(f"/phone/call_history/{c.history_uuid}").json()
    assert history["call_id"] == c.call_id
    assert next(x for x in sb.truth.call_history() if x["call_id"] == c.call_id)["call_result"] == "answered"
    elements = history["call_elements"]
    assert [(e["segment"], e["node"]) for e in elements] == sorted((e["segment"], e["node"]) for e in elements)
    assert [e["callee_ext_number"] for e in elements if e["result"] == "answered"] == [str(answerer.ext)]
    assert {e["callee_ext_number"] for e in elements if e.get("callee_ext_type") == "user"} == {
        str(users[i].ext) for i in c.rung}
    rows = {}
    for u in (answerer, missed):
        logs = sb.truth.user_call_logs(u.id)
        rows[u.id] = next(x for x in logs if x["call_id"] == c.call_id)
        hist = sb.truth.user_call_elements(u.id)
        assert any(h["call_history_uuid"] == c.history_uuid for h in hist)
    assert rows[answerer.id]["result"] == "Call connected"
    assert rows[missed.id]["result"] == "Answered by Other Member"
    assert rows[missed.id]["accepted_by"]["extension_number"] == str(answerer.ext)
    # and the truth lists agree with the API
    legs = [x for x in sb.truth.call_log_legs() if x["call_log_id"] == c.log_id(0)]
    assert [x["id"] for x in legs] == [x["id"] for x in log["log_details"]]
    truth_elements = [e for e in sb.truth.call_elements() if e["call_history_uuid"] == c.history_uuid]
    assert truth_elements == [{**e, "call_history_uuid": c.history_uuid} for e in elements]


def test_transfer_has_two_call_logs_with_one_call_id(sb, zoom):
    c = _find(sb, lambda c: c.flow == TRANSFER)
    day = c.start
    items, _ = fetch_all(zoom, "/phone/call_logs", "call_logs", {"from": fmt_date(day), "to": fmt_date(day + 86400)})
    mine = [x for x in items if x["call_id"] == c.call_id]
    assert len(mine) == 2 and mine[0]["id"] != mine[1]["id"]
    assert mine[1]["path"] == "transfer"
    assert mine[0]["owner"]["id"] != mine[1]["owner"]["id"]
    assert zoom.get(f"/phone/call_logs/{c.call_id}").status_code == 404  # ambiguous call_id
    assert zoom.get(f"/phone/call_logs/{mine[1]['id']}").json()["log_details"][0]["path"] == "transfer"
    history = zoom.get(f"/phone/call_history/{c.call_id}").json()
    assert [e["event"] for e in history["call_elements"]] == ["incoming", "direct_transfer"]
    assert [e["segment"] for e in history["call_elements"]] == [1, 2]  # Zoom numbers these from 1
    counts = Counter(x["call_id"] for x in sb.truth.call_history())
    assert counts[c.call_id] == 1


def test_unknown_ids_answer_404(zoom):
    for path in ("/phone/call_logs/nope", "/phone/call_logs/00000000-0000-4000-8000-051160000000",
                 "/phone/call_history/nope", "/phone/call_logs/7000000002075800000"):
        r = zoom.get(path)
        assert r.status_code == 404, path
        assert r.json()["code"] == 1001


def test_users_list_and_unlicensed_users(sb, zoom):
    users, pages = fetch_all(zoom, "/phone/users", "users", {"page_size": 3})
    assert len(users) == 8 == pages[0]["total_records"]  # 6 phone users + 2 without a licence
    assert set(pages[0]) == {"next_page_token", "page_size", "total_records", "users"}
    assert users == sb.truth.users()
    names = {u["name"] for u in users}
    assert {"Ji Won Lee", "Rosario Ramirez"} <= names
    ji = next(u for u in users if u["name"] == "Ji Won Lee")
    assert ji["extension_number"] == 150001 and ji["site"]["name"] == "Headquarters"
    unlicensed = [u for u in users if not u["calling_plans"]]
    codes = []
    for u in unlicensed:
        for route in ("call_logs", "call_history"):
            r = zoom.get(f"/phone/users/{u['id']}/{route}/sync")
            codes.append((r.status_code, r.json()["code"]))
    assert sorted(set(codes)) == [(400, 3161), (404, 1001)]
    assert zoom.get(f"/phone/users/{unlicensed[1]['id']}/call_logs/sync").json()["message"].startswith(
        "User does not exist: ")


def test_call_history_recording_status_filter(sb, zoom):
    params = {"from": "2026-10-20", "to": "2026-11-19", "page_size": 300}
    default, _ = fetch_all(zoom, "/phone/call_history", "call_history", params)
    rec, _ = fetch_all(zoom, "/phone/call_history", "call_history", {**params, "recording_status": "recorded"})
    non, _ = fetch_all(zoom, "/phone/call_history", "call_history", {**params, "recording_status": "non_recorded"})
    assert default == rec and rec and non  # the definition's default is `recorded`
    assert {x["recording_status"] for x in rec} == {"recorded"}
    assert {x["recording_status"] for x in non} == {"non_recorded"}
    truth = sb.truth.call_history("2026-10-20", "2026-11-20")
    assert len(rec) + len(non) == len(truth)


def test_legacy_call_history_shape(make_sb):
    sb = make_sb(legacy_call_history_shape=True)
    with zoom_client(sb) as zoom:
        body = zoom.get("/phone/call_history", params={"from": "2026-11-10", "to": "2026-11-19"}).json()
        assert "call_logs" in body and "call_history" not in body
        uuid = body["call_logs"][0]["id"]  # the deprecated array is keyed `id`
        detail = zoom.get(f"/phone/call_history/{uuid}").json()
        assert "call_path" in detail and "call_elements" not in detail
        assert all("call_element_id" not in e and e["id"] for e in detail["call_path"])


def test_quirks_are_present_and_the_key_never_missing(make_sb):
    sb = make_sb(calls_per_day=60, days=40)
    logs, history, elements = sb.truth.call_logs(), sb.truth.call_history(), sb.truth.call_elements()
    assert all("id" in x for x in logs) and all("call_history_uuid" in x for x in history)
    assert all("call_element_id" in x for x in elements)
    assert any(x["call_result"] == "unconnected" for x in history)
    assert any(x.get("result_reason") == "disconnect" for x in elements)
    assert any(x.get("site_name", "").endswith(" ") for x in history)
    assert any(x.get("caller_name", "x").endswith(" ") or x.get("callee_name", "x").endswith(" ") for x in logs)
    full = max(len(x) for x in logs)
    assert any(len(x) < full - 1 and x["direction"] == "outbound" for x in logs)
    legs = sb.truth.call_log_legs()
    assert all(len(x["call_id"]) >= 18 and x["call_id"].isdigit() for x in logs)
    assert legs and all("call_log_id" in x and "id" in x for x in legs)
    sb2 = make_sb(calls_per_day=60, days=40, quirk_unknown_enums=False, quirk_trailing_spaces=False,
                  quirk_missing_fields=False)
    history2 = sb2.truth.call_history()
    assert not any(x["call_result"] == "unconnected" for x in history2)
    assert not any(x.get("site_name", "").endswith(" ") for x in history2)
    assert [x["call_history_uuid"] for x in history2] == [x["call_history_uuid"] for x in history]
