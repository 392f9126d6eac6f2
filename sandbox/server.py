"""A small asyncio HTTP/1.1 server (keep-alive, Content-Length bodies, query strings).

The event loop runs in a background thread. Request handling is synchronous and
fast (the handler is called on the loop thread); injected latency is an
`asyncio.sleep`, so 40+ slow keep-alive connections are served concurrently.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import traceback
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, unquote

MAX_HEAD = 64 * 1024
MAX_BODY = 8 * 1024 * 1024

REASONS = {200: "OK", 204: "No Content", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
           404: "Not Found", 405: "Method Not Allowed", 413: "Payload Too Large", 429: "Too Many Requests",
           500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


try:  # installed with dlt; same bytes as the stdlib call below for our data, ~10x faster
    import orjson as _orjson

    def dumps(obj: Any) -> bytes:
        """Compact, stable JSON (dict insertion order is the key order)."""
        return _orjson.dumps(obj)
except ImportError:  # pragma: no cover - stdlib fallback
    def dumps(obj: Any) -> bytes:
        """Compact, stable JSON (dict insertion order is the key order)."""
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class Request:
    __slots__ = ("method", "target", "path", "query", "headers", "body", "version")

    def __init__(self, method: str, target: str, headers: dict[str, str], body: bytes, version: str):
        self.method = method
        self.target = target
        path, _, qs = target.partition("?")
        self.path = unquote(path)
        self.query: dict[str, list[str]] = parse_qs(qs, keep_blank_values=True) if qs else {}
        self.headers = headers
        self.body = body
        self.version = version

    def form(self) -> dict[str, list[str]]:
        """Query parameters merged with an x-www-form-urlencoded body (body wins)."""
        params = {k: list(v) for k, v in self.query.items()}
        ctype = self.headers.get("content-type", "")
        if self.body and ("x-www-form-urlencoded" in ctype or not ctype):
            try:
                for k, v in parse_qs(self.body.decode("utf-8"), keep_blank_values=True).items():
                    params[k] = v
            except UnicodeDecodeError:
                pass
        return params

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


class Response:
    __slots__ = ("status", "body", "headers", "obj")

    def __init__(self, status: int = 200, obj: Any = None, headers: dict[str, str] | None = None,
                 body: bytes | None = None):
        self.status = status
        self.obj = obj
        self.headers = headers or {}
        self.body = body

    def encode(self) -> bytes:
        if self.body is None:
            self.body = b"" if self.obj is None else dumps(self.obj)
        return self.body


DROP = object()  # handler result: close the connection without answering


class ApiError(Exception):
    """Raised by a route handler to answer with `response` (a vendor's error body)."""

    def __init__(self, response: Response):
        super().__init__(response.status)
        self.response = response


def encode_response(resp: Response, keep_alive: bool) -> bytes:
    body = resp.encode() if resp.status != 204 else b""
    lines = [f"HTTP/1.1 {resp.status} {REASONS.get(resp.status, 'Status')}"]
    if resp.status != 204:
        lines.append("Content-Type: application/json")
        lines.append(f"Content-Length: {len(body)}")
    for k, v in resp.headers.items():
        lines.append(f"{k}: {v}")
    lines.append("Connection: keep-alive" if keep_alive else "Connection: close")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head + body


class HttpServer:
    """Serves `app(request) -> (delay_seconds, Response | DROP)` on host:port."""

    def __init__(self, app: Callable[[Request], tuple[float, Any]], host: str = "127.0.0.1", port: int = 0):
        self.app = app
        self.host = host
        self.port = port
        self.loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"sandbox-http-{self.port}", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise self._error
        if not self._ready.is_set():
            raise RuntimeError("sandbox HTTP server did not start")

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self.loop = loop
        asyncio.set_event_loop(loop)
        try:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.port))
            sock.listen(1024)
            sock.setblocking(False)
            self._server = loop.run_until_complete(
                asyncio.start_server(self._connection, sock=sock, limit=MAX_HEAD, backlog=1024))
            self.port = sock.getsockname()[1]
        except BaseException as exc:  # noqa: BLE001 - reported to start()
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            for w in list(self._writers):
                w.transport.abort()
            loop.run_until_complete(asyncio.sleep(0))
            loop.close()

    def stop(self) -> None:
        loop = self.loop
        if loop is None or self._thread is None:
            return

        def _shutdown() -> None:
            if self._server is not None:
                self._server.close()
            loop.stop()

        try:
            loop.call_soon_threadsafe(_shutdown)
        except RuntimeError:
            pass
        self._thread.join(10)
        self._thread = None

    # ------------------------------------------------------------------ protocol
    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        sock = writer.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    return
                except asyncio.LimitOverrunError:
                    writer.write(encode_response(Response(413, {"code": 413, "message": "Header too large"}), False))
                    return
                text = head.decode("latin-1")
                request_line, _, rest = text.partition("\r\n")
                parts = request_line.split(" ")
                if len(parts) != 3:
                    writer.write(encode_response(Response(400, {"code": 400, "message": "Bad request line"}), False))
                    return
                method, target, version = parts
                headers: dict[str, str] = {}
                for line in rest.split("\r\n"):
                    if not line:
                        continue
                    k, _, v = line.partition(":")
                    headers[k.strip().lower()] = v.strip()
                length = int(headers.get("content-length", "0") or 0)
                if length > MAX_BODY:
                    writer.write(encode_response(Response(413, {"code": 413, "message": "Body too large"}), False))
                    return
                body = await reader.readexactly(length) if length else b""
                conn = headers.get("connection", "").lower()
                keep_alive = (conn != "close") if version == "HTTP/1.1" else (conn == "keep-alive")
                req = Request(method.upper(), target, headers, body, version)
                try:
                    delay, resp = self.app(req)
                    if delay > 0:
                        await asyncio.sleep(delay)
                    if callable(resp):  # deferred: computed after the delay (sees the clock after latency)
                        resp = resp()
                except Exception as exc:  # noqa: BLE001 - a sandbox bug must not look like a network fault
                    traceback.print_exc()
                    resp = Response(500, {"code": 500, "message": f"sandbox error: {type(exc).__name__}: {exc}"})
                if resp is DROP:
                    writer.transport.abort()
                    return
                writer.write(encode_response(resp, keep_alive))
                if writer.transport.get_write_buffer_size() > 256 * 1024:
                    await writer.drain()
                if not keep_alive:
                    await writer.drain()
                    return
        except (ConnectionError, asyncio.IncompleteReadError, OSError):
            return
        finally:
            self._writers.discard(writer)
            try:
                writer.close()
            except Exception:  # noqa: BLE001
                pass
