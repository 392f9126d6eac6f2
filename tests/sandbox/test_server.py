"""HTTP server behaviour: keep-alive, concurrency under latency, determinism, admin routes, CLI."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from sandbox import Sandbox, SandboxConfig
from sandbox.selftest import free_port, latency_concurrency

from .conftest import SMALL, zoho_client, zoom_client, zoom_token

ROOT = Path(__file__).resolve().parents[2]


def test_context_manager_env_and_urls():
    with Sandbox(SandboxConfig(**SMALL)) as sb:
        assert sb.url.startswith("http://127.0.0.1:")
        assert sb.zoom_base_url == sb.url + "/v2" and sb.zoom_token_url == sb.url + "/oauth/token"
        assert sb.zoho_base_url == sb.url and sb.zoho_token_url == sb.url + "/oauth/v2/token"
        env = sb.env()
        assert env["SOURCES__ZOOM__BASE_URL"] == sb.zoom_base_url
        assert env["SOURCES__ZOHO_VOICE__REFRESH_TOKEN"] == "sandbox-zoho-refresh-token"
        assert len(env) == 10
        assert sb.zoom_credentials == {"account_id": "sandbox-account", "client_id": "sandbox-client-id",
                                       "client_secret": "sandbox-client-secret"}
        url = sb.url
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/_sandbox/stats", timeout=2)


def test_keep_alive_and_raw_http(sb):
    tok = zoom_token(sb)
    with socket.create_connection(("127.0.0.1", sb.port)) as s:
        f = s.makefile("rb")
        for _ in range(3):  # three requests on one connection
            s.sendall(f"GET /v2/phone/users?page_size=2 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {tok}\r\n\r\n"
                      .encode())
            status = f.readline()
            headers = {}
            while (line := f.readline()) != b"\r\n":
                k, _, v = line.decode().partition(":")
                headers[k.lower()] = v.strip()
            body = f.read(int(headers["content-length"]))
            assert status.startswith(b"HTTP/1.1 200") and headers["content-type"].startswith("application/json")
            assert body.startswith(b"{") and headers["connection"] == "keep-alive"
        # a form body with Content-Length on the same connection
        form = "grant_type=account_credentials&account_id=sandbox-account"
        s.sendall(("POST /oauth/token HTTP/1.1\r\nHost: x\r\nAuthorization: Basic "
                   "c2FuZGJveC1jbGllbnQtaWQ6c2FuZGJveC1jbGllbnQtc2VjcmV0\r\n"
                   "Content-Type: application/x-www-form-urlencoded\r\n"
                   f"Content-Length: {len(form)}\r\nConnection: close\r\n\r\n{form}").encode())
        assert f.readline().startswith(b"HTTP/1.1 200")


def test_latency_does_not_serialize_connections(make_sb):
    sb = make_sb(latency_ms=50)
    wall, errors = latency_concurrency(sb.url, connections=40, per_conn=5, latency_ms=50)
    assert not errors
    # 40 connections x 5 requests x 50 ms = 10 s if serialized; ideal 0.25 s
    assert wall < 2.5, wall


def _transcript(sb):
    out = []
    with zoom_client(sb) as zoom, zoho_client(sb) as zoho:
        first = zoom.get("/phone/call_logs", params={"from": "2026-11-01", "to": "2026-11-19", "page_size": 50})
        out.append(first.content)
        out.append(zoom.get("/phone/call_logs", params={"next_page_token": first.json()["next_page_token"]}).content)
        log_id = first.json()["call_logs"][5]["id"]
        out.append(zoom.get(f"/phone/call_logs/{log_id}").content)
        hist = zoom.get("/phone/call_history", params={"from": "2026-10-25", "to": "2026-11-19"})
        out.append(hist.content)
        out.append(zoom.get(f"/phone/call_history/{hist.json()['call_history'][3]['call_history_uuid']}").content)
        out.append(zoom.get(f"/phone/users/{sb.directory.users[1].id}/call_logs/sync").content)
        out.append(zoom.get("/contact_center/voice_calls", params={"from": "2026-11-01", "to": "2026-11-19"}).content)
        out.append(zoom.get("/phone/users").content)
        out.append(zoho.get("/rest/json/zv/logs", params={"size": 100}).content)
    return out


def test_same_seed_same_bytes(make_sb):
    a = _transcript(make_sb())
    b = _transcript(make_sb())
    assert a == b
    c = _transcript(make_sb(seed=12))
    assert c[0] != a[0]


def test_new_calls_appear_as_the_clock_advances(sb, zoom):
    before = len(sb.truth.call_logs())
    today = zoom.get("/phone/call_logs", params={"from": "2026-11-20", "to": "2026-11-20"}).json()["total_records"]
    sb.clock.advance(days=1)
    assert len(sb.truth.call_logs()) > before
    later = zoom.get("/phone/call_logs", params={"from": "2026-11-20", "to": "2026-11-20"}).json()["total_records"]
    assert later > today
    assert all(x["date_time"] <= "2026-11-21T12:00:00Z" for x in sb.truth.call_logs("2026-11-21"))


def test_admin_routes(sb):
    admin = httpx.Client(base_url=sb.url)
    with zoom_client(sb) as zoom:
        zoom.get("/phone/users")
    stats = admin.get("/_sandbox/stats").json()
    assert stats["requests"]["GET /phone/users"] == 1 and stats["env"] == sb.env()
    assert admin.post("/_sandbox/advance", params={"days": 1, "hours": 2}).json()["now"] == "2026-11-21T14:00:00Z"
    assert sb.clock.now().isoformat() == "2026-11-21T14:00:00+00:00"
    assert admin.post("/_sandbox/fault", params={"route": "GET /phone/users", "kind": "500"}).json() == {"ok": True}
    with zoom_client(sb) as zoom:
        assert zoom.get("/phone/users").status_code == 500
    assert admin.post("/_sandbox/fault", params={"route": "GET /phone/users", "kind": "nope"}).status_code == 400
    assert admin.post("/_sandbox/reset_stats").json() == {"ok": True}
    assert admin.get("/_sandbox/stats").json()["requests"] == {}
    truth = admin.get("/_sandbox/truth/call_logs", params={"count_only": 1}).json()
    assert truth == {"count": len(sb.truth.call_logs())}
    assert admin.get("/_sandbox/truth/marketing_hotline").json()["call_id"] == "696165649876346057"


def test_cli_serves_and_prints_urls():
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "sandbox", "--port", str(port), "--seed", "3", "--users", "4",
                             "--calls-per-day", "5", "--days", "20", "--start", "2026-11-20T12:00:00Z",
                             "--no-rate-limits"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        lines = [proc.stdout.readline() for _ in range(5)]
        assert f"http://127.0.0.1:{port}" in lines[0]
        assert any("/oauth/token" in x for x in lines)
        stats = httpx.get(f"http://127.0.0.1:{port}/_sandbox/stats", timeout=10).json()
        assert stats["now"] == "2026-11-20T12:00:00Z"
        assert stats["env"]["SOURCES__ZOOM__ACCOUNT_ID"] == "sandbox-account"
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=10)
    assert proc.returncode == 0 and "stopped" in out
