"""A tiny real HTTP server that answers given bodies per route, for the contract tests.

    with ExampleServer({"/phone/users": {"users": [...]},
                        "/phone/users/{userId}/call_history/sync": lambda query, params: {...}}) as api:
        api.env()        # SOURCES__ZOOM__* settings pointing a Zoom client at it
        api.requests     # [(route template, path params, query)] in the order received

Routes are the definitions' templates, under `prefix` ("/v2" as Zoom's base URL). An answer is a
JSON body, or a function (query: {name: value}, params: {name: value}) -> body, e.g. an empty page
once a sync token is sent. Any POST answers an OAuth access token (Zoom's and Zoho's token
endpoints look alike to a client); an unknown route answers 404 with a Zoom-style error.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

Answer = Any | Callable[[dict[str, str], dict[str, str]], Any]


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile("^" + "".join(f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") else re.escape(p)
                                    for p in parts) + "$")


class ExampleServer:
    def __init__(self, routes: Mapping[str, Answer], prefix: str = "/v2", host: str = "127.0.0.1"):
        self.routes = [(template, _pattern(template), answer) for template, answer in routes.items()]
        self.prefix = prefix
        self.requests: list[tuple[str, dict[str, str], dict[str, str]]] = []
        self._server = ThreadingHTTPServer((host, 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def base_url(self) -> str:
        return self.url + self.prefix

    @property
    def token_url(self) -> str:
        return self.url + "/oauth/token"

    def env(self) -> dict[str, str]:
        """Zoom client settings (as env vars) pointing at this server, with made-up credentials."""
        return {"SOURCES__ZOOM__BASE_URL": self.base_url, "SOURCES__ZOOM__TOKEN_URL": self.token_url,
                "SOURCES__ZOOM__ACCOUNT_ID": "example-account", "SOURCES__ZOOM__CLIENT_ID": "example-client",
                "SOURCES__ZOOM__CLIENT_SECRET": "example-secret"}

    def answer(self, path: str, query: dict[str, str]) -> tuple[int, Any]:
        if path.startswith(self.prefix):
            path = path[len(self.prefix):]
        for template, pattern, answer in self.routes:
            match = pattern.match(path)
            if match:
                params = {k: unquote(v) for k, v in match.groupdict().items()}
                self.requests.append((template, params, query))
                return 200, answer(query, params) if callable(answer) else answer
        return 404, {"code": 404, "message": f"No example for GET {path}."}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _send(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                url = urlsplit(self.path)
                self._send(*server.answer(url.path, dict(parse_qsl(url.query, keep_blank_values=True))))

            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self._send(200, {"access_token": "example-access-token", "token_type": "bearer",
                                 "expires_in": 3600, "scope": "example"})

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    def __enter__(self) -> ExampleServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()
