"""A local stand-in for blocklist feed hosts, on 127.0.0.1.

It serves feeds the way their hosts do: ``ETag`` and ``Last-Modified`` validators and
304 Not Modified to a conditional request whose ``If-None-Match`` matches ("RFC 9110:
HTTP Semantics"), and on demand the faults a feed host shows: a 500, a slow answer, an
HTML page with status 200, a body cut short of its ``Content-Length``. The local cloud
points ``BlocklistFeeds`` at it (``sample_feeds``); tests serve their own bodies.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from edgeguard_tools.local.loopback import LoopbackServer, QuietHandler

HTML_PAGE = b"<!DOCTYPE html><html><body><h1>Service unavailable</h1></body></html>"


@dataclass
class Route:
    """What one path answers. ``fault``: "" (serve the body), "500", "slow" (wait
    ``delay`` seconds, then answer in full), "html" (an HTML page with 200), "truncated"
    (announce the whole body's length, send half, close). ``conditional`` False: no
    validators, never 304 (a plain file host). ``gzip``: the body travels gzip-encoded."""

    body: bytes
    content_type: str = "text/plain; charset=utf-8"
    last_modified: str = "Mon, 30 Nov 2026 06:00:00 GMT"
    fault: str = ""
    delay: float = 0.0
    conditional: bool = True
    gzip: bool = False  # send the body gzip-encoded (Content-Encoding: gzip)

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'


@dataclass(frozen=True)
class Hit:
    """One request: its path, headers and the status it got."""

    path: str
    headers: dict[str, str]
    status: int


@dataclass
class _Answer:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    cut: bool = False


class FeedServer(LoopbackServer):
    """``with FeedServer() as feeds: feeds.routes["/x"] = Route(body); feeds.url("/x")``."""

    name = "feed stand-in"

    def __init__(self, routes: dict[str, Route] | None = None) -> None:
        super().__init__()
        self.routes: dict[str, Route] = dict(routes or {})
        self.hits: list[Hit] = []
        self._lock = threading.Lock()

    def url(self, path: str) -> str:
        """The URL of ``path`` on this server."""
        return self.base_url + path

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        stand_in = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                headers = dict(self.headers.items())
                answer = stand_in._answer(self.path, headers)
                with stand_in._lock:
                    stand_in.hits.append(Hit(self.path, headers, answer.status))
                try:
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(answer.body)
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)
                if answer.cut:
                    self.close_connection = True

        return Handler

    def _answer(self, path: str, headers: dict[str, str]) -> _Answer:
        route = self.routes.get(path)
        if route is None:
            return _Answer(404, b"not found", {"Content-Length": "9"})
        if route.fault == "500":
            return _Answer(500, b"error", {"Content-Length": "5"})
        if route.fault == "html":
            return _Answer(200, HTML_PAGE, _plain(HTML_PAGE, "text/html; charset=utf-8"))
        if route.fault == "slow":
            time.sleep(route.delay)
            return _Answer(200, route.body, _plain(route.body, route.content_type))
        if route.fault == "truncated":
            half = route.body[: len(route.body) // 2]
            headers_out = _plain(route.body, route.content_type)  # the whole length, half sent
            return _Answer(200, half, headers_out, cut=True)
        if not route.conditional:
            return _Answer(200, route.body, _plain(route.body, route.content_type))
        validators = {"ETag": route.etag, "Last-Modified": route.last_modified}
        if headers.get("If-None-Match") == route.etag:
            return _Answer(304, b"", validators)
        if route.gzip:
            packed = gzip.compress(route.body)
            encoded = {**_plain(packed, route.content_type), "Content-Encoding": "gzip"}
            return _Answer(200, packed, {**encoded, **validators})
        return _Answer(200, route.body, {**_plain(route.body, route.content_type), **validators})


def _plain(body: bytes, content_type: str) -> dict[str, str]:
    return {"Content-Type": content_type, "Content-Length": str(len(body))}


def drop_json(cidrs: list[str]) -> bytes:
    """A Spamhaus DROP JSON-lines body listing ``cidrs``, ending with its metadata line."""
    lines = [
        json.dumps({"cidr": cidr, "sblid": f"SBL{600000 + n}", "rir": "ripencc"})
        for n, cidr in enumerate(cidrs)
    ]
    meta = {"type": "metadata", "timestamp": 1796018222, "records": len(cidrs)}
    return ("\n".join([*lines, json.dumps(meta)]) + "\n").encode()


# What the local cloud's feeds list: real DROP-style networks and compromised hosts
# (none is private, CloudFront's or documentation space).
SAMPLE_DROP_V4 = ["1.10.16.0/20", "1.19.0.0/16", "1.32.128.0/18", "2.56.192.0/22"]
SAMPLE_DROP_V6 = ["2a06:e480::/29", "2a0d:8d06::/32"]
SAMPLE_COMPROMISED = ["1.12.231.30", "1.14.96.125", "2.57.122.44", "45.148.10.12"]


def sample_routes() -> dict[str, Route]:
    """The local cloud's feeds: Spamhaus DROP and DROPv6 (JSON lines) and an Emerging
    Threats-style list of compromised hosts."""
    return {
        "/drop_v4.json": Route(drop_json(SAMPLE_DROP_V4), "application/json"),
        "/drop_v6.json": Route(drop_json(SAMPLE_DROP_V6), "application/json"),
        "/compromised-ips.txt": Route(("\n".join(SAMPLE_COMPROMISED) + "\n").encode()),
    }


def sample_feeds(server: FeedServer) -> str:
    """The ``BlocklistFeeds`` value that points the default feeds at ``server``."""
    return json.dumps(
        [
            {"name": "spamhaus-drop", "url": server.url("/drop_v4.json")},
            {"name": "spamhaus-dropv6", "url": server.url("/drop_v6.json")},
            {"name": "et-compromised", "url": server.url("/compromised-ips.txt")},
        ]
    )
