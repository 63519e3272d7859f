"""The control endpoint of a background local cloud: HTTP on 127.0.0.1, a bearer token.

``POST /run {"argv": [...], "cwd": "..."}`` runs an ``edgeguard`` command in the process
that holds the cloud and answers ``{"code", "stdout", "stderr"}``; ``POST /status`` answers
what ``edgeguard local status`` shows; ``POST /down`` stops the process. Every request must
carry ``Authorization: Bearer <token>`` (the token is in the 0600 state file): anything
else is answered 403 without reading the body.
"""

from __future__ import annotations

import hmac
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any

from edgeguard_tools.local.loopback import LoopbackServer, QuietHandler

PATHS = ("/run", "/status", "/down")
Handle = Callable[[str, dict[str, Any]], dict[str, Any]]


class ControlError(RuntimeError):
    """The control endpoint could not be reached or refused the request."""


class ControlServer(LoopbackServer):
    """Serves ``handle(path, body) -> answer`` to requests that carry the token."""

    name = "control endpoint"

    def __init__(self, token: str, handle: Handle) -> None:
        super().__init__()
        self._token = token
        self._handle = handle

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        token, handle = self._token, self._handle

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                given = self.headers.get("Authorization", "")
                if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                    self._answer(403, {"error": "bad or missing token"})
                    return
                if self.path not in PATHS:
                    self._answer(404, {"error": f"no such path; paths: {', '.join(PATHS)}"})
                    return
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except json.JSONDecodeError as error:
                    self._answer(400, {"error": f"body is not JSON: {error}"})
                    return
                try:
                    self._answer(200, handle(self.path, body))
                except Exception as error:
                    self._answer(500, {"error": f"{type(error).__name__}: {error}"})

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


def call(url: str, token: str, path: str, body: dict[str, Any], timeout: float) -> dict[str, Any]:
    """POST ``body`` to the control endpoint; its JSON answer. ``ControlError`` otherwise."""
    request = urllib.request.Request(  # noqa: S310 - the URL is our own 127.0.0.1 endpoint
        url + path,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return dict(json.loads(response.read()))
    except urllib.error.HTTPError as error:
        detail = error.read().decode(errors="replace")
        raise ControlError(f"the local cloud answered {error.code}: {detail}") from None
    except (OSError, json.JSONDecodeError) as error:
        raise ControlError(f"the local cloud at {url} did not answer: {error}") from None
