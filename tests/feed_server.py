"""A real HTTP server on 127.0.0.1 that serves blocklist feeds the way their hosts do:
ETag / Last-Modified validators and 304 answers to conditional requests, and on demand
the faults a feed host shows (500, a slow answer, an HTML page with 200, a body cut
short of its Content-Length)."""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    """What one path answers. ``fault``: "" (serve the body), "500", "slow" (wait
    ``delay`` seconds before answering), "html" (an HTML page with 200), "truncated"
    (announce the whole body's length, send half, close)."""

    body: bytes
    content_type: str = "text/plain; charset=utf-8"
    last_modified: str = "Mon, 30 Nov 2026 06:00:00 GMT"
    fault: str = ""
    delay: float = 0.0
    conditional: bool = True  # False: no validators sent, never 304 (a plain file host)

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    status: int


@dataclass
class FeedServer:
    routes: dict[str, Route] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)

    def __enter__(self) -> FeedServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                route = server.routes.get(self.path)
                headers = {k: v for k, v in self.headers.items()}
                status = server._answer(self, route, headers)
                server.hits.append(Hit(self.path, headers, status))

            def log_message(self, *_args) -> None:
                return

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}{path}"

    def _answer(self, handler: BaseHTTPRequestHandler, route: Route | None, headers) -> int:
        if route is None:
            handler.send_error(404)
            return 404
        if route.fault == "500":
            handler.send_error(500, "Internal Server Error")
            return 500
        if route.fault == "slow":  # then answers in full, ignoring validators
            time.sleep(route.delay)
            self._send(handler, 200, route.body, route.content_type, {})
            return 200
        if route.fault == "html":
            page = b"<!DOCTYPE html><html><body><h1>Service unavailable</h1></body></html>"
            self._send(handler, 200, page, "text/html; charset=utf-8", {})
            return 200
        if route.fault == "truncated":
            handler.send_response(200)
            handler.send_header("Content-Type", route.content_type)
            handler.send_header("Content-Length", str(len(route.body)))
            handler.end_headers()
            handler.wfile.write(route.body[: len(route.body) // 2])
            handler.wfile.flush()
            handler.close_connection = True
            return 200
        validators = {"ETag": route.etag, "Last-Modified": route.last_modified}
        if not route.conditional:
            validators = {}
        elif headers.get("If-None-Match") == route.etag:
            handler.send_response(304)
            for name, value in validators.items():
                handler.send_header(name, value)
            handler.end_headers()
            return 304
        self._send(handler, 200, route.body, route.content_type, validators)
        return 200

    @staticmethod
    def _send(handler, status: int, body: bytes, content_type: str, extra: dict) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        for name, value in extra.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)
