"""User call-log / call-history sync: FSync, BSync, ISync with a visibility watermark."""

from collections import Counter

from sandbox import Sandbox, SandboxConfig
from sandbox.clock import fmt_ts
from sandbox.phone import Q_LATE

from .conftest import SMALL, zoom_client


def _sync(zoom, user_id, kind="call_logs", **params):
    r = zoom.get(f"/phone/users/{user_id}/{kind}/sync", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def test_fsync_then_bsync_walks_back_through_everything(sb, zoom):
    user = sb.directory.users[2].id
    truth = sb.truth.user_call_logs(user)
    first = _sync(zoom, user, sync_type="FSync", count=25)
    assert [x["id"] for x in first["call_logs"]] == [x["id"] for x in truth[:25]]
    seen = list(first["call_logs"])
    token = first["sync_token"]
    while True:
        page = _sync(zoom, user, sync_type="BSync", count=40, sync_token=token)
        token = page["sync_token"]
        if not page["call_logs"]:
            break
        seen.extend(page["call_logs"])
    assert [x["id"] for x in seen] == [x["id"] for x in truth]
    assert len({x["id"] for x in seen}) == len(seen) > 100
    assert all(x["user_id"] == user for x in seen)
    dates = [x["date_time"] for x in seen]
    assert dates[0] > dates[-1]


def test_isync_returns_only_what_became_visible_since(sb, zoom):
    user = sb.directory.users[1].id
    first = _sync(zoom, user, count=5)
    assert _sync(zoom, user, sync_type="ISync", sync_token=first["sync_token"])["call_logs"] == []
    before = {x["id"] for x in sb.truth.user_call_logs(user)}
    sb.clock.advance(days=2)
    after = sb.truth.user_call_logs(user)
    new = [x["id"] for x in after if x["id"] not in before]
    assert new
    got, token = [], first["sync_token"]
    while True:
        page = _sync(zoom, user, sync_type="ISync", count=3, sync_token=token)
        token = page["sync_token"]
        if not page["call_logs"]:
            break
        got.extend(x["id"] for x in page["call_logs"])
    assert sorted(got) == sorted(new)
    assert _sync(zoom, user, sync_type="ISync", sync_token=token)["call_logs"] == []


def test_isync_catches_a_late_arrival_older_than_the_newest_row():
    probe = Sandbox(SandboxConfig(**SMALL))
    late = next(c for day in range(probe.start_day - 2, probe.first_day, -1)
                for c in probe.phone_days.get(day).calls if c.quirks & Q_LATE and c.vis - c.end > 3 * 3600)
    user = probe.directory.users[late.users[0]].id
    # a sandbox whose clock starts just after the late call ended (it is not visible yet)
    sb = Sandbox(SandboxConfig(**{**SMALL, "start": fmt_ts(late.end + 60), "enforce_rate_limits": False})).start()
    try:
        with zoom_client(sb) as zoom:
            first = _sync(zoom, user, count=250)
            assert late.call_id not in {x["call_id"] for x in first["call_logs"]}
            sb.clock.advance(seconds=late.vis - late.end - 60 - 1)
            early = _sync(zoom, user, sync_type="ISync", count=250, sync_token=first["sync_token"])["call_logs"]
            assert late.call_id not in {x["call_id"] for x in early}
            sb.clock.advance(seconds=2)
            rows = _sync(zoom, user, sync_type="ISync", count=250, sync_token=first["sync_token"])["call_logs"]
            assert late.call_id in {x["call_id"] for x in rows}
            # newer calls arrived meanwhile: the late one is older than them by date_time, still returned
            assert any(x["date_time"] > fmt_ts(late.start) for x in rows)
    finally:
        sb.stop()


def test_call_history_sync_answers_the_users_legs(sb, zoom):
    user = sb.directory.users[0].id
    body = _sync(zoom, user, "call_history", count=10)
    assert set(body) == {"call_logs", "call_elements", "sync_token"}
    elements = sb.truth.user_call_elements(user)
    assert body["call_elements"] == elements[:10]
    # call_logs[] holds the same legs keyed `id`, the call's uuid as `call_path_id`
    assert [(x["id"], x["call_path_id"]) for x in body["call_logs"]] == [
        (x["call_element_id"], x["call_history_uuid"]) for x in elements[:10]]
    # each is a leg of that call that rang this user (or that they placed)
    ext = str(sb.directory.users[0].ext)
    assert all(ext in (x.get("callee_ext_number"), x.get("caller_ext_number")) for x in elements)
    detail = {e["call_element_id"] for x in elements[:10] for e in
              zoom.get(f"/phone/call_history/{x['call_history_uuid']}").json()["call_elements"]}
    assert {x["call_element_id"] for x in elements[:10]} <= detail
    # a call that rang the user twice (missed, then voicemail) gives two rows with one uuid
    per_call = Counter(x["call_history_uuid"] for x in elements)
    assert max(per_call.values()) >= 2
    assert _sync(zoom, user, "call_history", sync_type="BSync", count=10,
                 sync_token=body["sync_token"])["call_elements"]


def test_sync_token_errors_and_count_cap(sb, zoom):
    user = sb.directory.users[0].id
    r = zoom.get(f"/phone/users/{user}/call_logs/sync", params={"sync_type": "ISync", "sync_token": "bogus"})
    assert r.status_code == 400 and r.json()["code"] == 300
    other = _sync(zoom, sb.directory.users[1].id)["sync_token"]
    r = zoom.get(f"/phone/users/{user}/call_logs/sync", params={"sync_type": "BSync", "sync_token": other})
    assert r.status_code == 400
    assert len(_sync(zoom, user, count=1000)["call_logs"]) == 250
    assert len(_sync(zoom, user)["call_logs"]) == 30
