"""A local stand-in for the Telegram Bot API's sendMessage, on 127.0.0.1.

It answers like the real API: ``{"ok": true, "result": {...}}`` on success,
``{"ok": false, "error_code", "description"}`` otherwise, 429 with
``parameters.retry_after``. It checks what Telegram checks that matters to us: the
token, the chat, the HTML entities and the 4096-character limit. Faults can be
queued (429, 500, 400, a slow answer) to exercise the client's retry policy.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler
from typing import Any

from edgeguard_tools.local.loopback import LoopbackServer, QuietHandler

ALLOWED_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
    "span", "tg-spoiler", "tg-emoji", "blockquote",
}  # fmt: skip
MESSAGE_LIMIT = 4096


@dataclass(frozen=True)
class Fault:
    """One scripted answer: ``status`` with an optional retry_after, or a delay first.

    ``retry_after`` is sent as given (any JSON value: Telegram documents an integer, the
    client must survive anything); ``parameters`` replaces the whole ``parameters`` object
    (e.g. ``{"retry_after": None}`` sends JSON null).
    """

    status: int = 200
    retry_after: Any = None
    delay: float = 0.0
    description: str | None = None
    parameters: Any = None


class _EntityChecker(HTMLParser):
    """Parses Telegram HTML: known tags only, properly nested; collects the plain text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []
        self.error: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.error = f'Unsupported start tag "{tag}"'
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.error = f'Unexpected end tag "{tag}"'
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def check_entities(text: str) -> tuple[str | None, str]:
    """Return (error, plain text) as Telegram's HTML parse mode would see it."""
    if any(ch in text for ch in "<>") and text.count("<") != text.count(">"):
        return "Can't find end of the entity", text
    checker = _EntityChecker()
    checker.feed(text)
    checker.close()
    if checker.error is None and checker.stack:
        checker.error = f'Can\'t find end tag corresponding to start tag "{checker.stack[-1]}"'
    return checker.error, "".join(checker.text)


class TelegramStandIn(LoopbackServer):
    """Run with ``with TelegramStandIn(token, chat_ids) as tg: ...``; ``tg.base_url``."""

    def __init__(
        self,
        token: str = "123456:LOCAL-STAND-IN-00000000000000000000",  # noqa: S107 - the stand-in's own fake token
        chat_ids: tuple[str, ...] = ("42",),
    ) -> None:
        super().__init__()
        self.token = token
        self.chat_ids = set(chat_ids)
        self.messages: list[dict[str, Any]] = []
        self.requests = 0
        self._faults: deque[Fault] = deque()
        self._lock = threading.Lock()

    # ------------------------------------------------------------- control
    def queue(self, *faults: Fault) -> None:
        """Answer the next requests with these faults, in order, then normally."""
        with self._lock:
            self._faults.extend(faults)

    name = "Telegram stand-in"

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        stand_in = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                status, body, delay = stand_in._answer(self.path, raw)
                if delay:
                    time.sleep(delay)
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a timeout test)

        return Handler

    # ------------------------------------------------------------ answers
    def _answer(self, path: str, raw: bytes) -> tuple[int, dict[str, Any], float]:
        with self._lock:
            self.requests += 1
            fault = self._faults.popleft() if self._faults else Fault()
        if fault.status == 429:
            return (
                429,
                _error(429, "Too Many Requests: retry after", fault.retry_after, fault.parameters),
                fault.delay,
            )
        if fault.status != 200:
            return fault.status, _error(fault.status, fault.description), fault.delay
        if path != f"/bot{self.token}/sendMessage":
            return 401 if "/bot" in path else 404, _error(401, "Unauthorized"), fault.delay
        return (*self._send_message(raw), fault.delay)

    def _send_message(self, raw: bytes) -> tuple[int, dict[str, Any]]:
        try:
            params = json.loads(raw or b"{}")
        except ValueError:
            return 400, _error(400, "Bad Request: invalid JSON")
        chat_id = str(params.get("chat_id", ""))
        text = params.get("text")
        if chat_id not in self.chat_ids:
            return 400, _error(400, "Bad Request: chat not found")
        if not isinstance(text, str) or not text.strip():
            return 400, _error(400, "Bad Request: message text is empty")
        plain = text
        if params.get("parse_mode") == "HTML":
            problem, plain = check_entities(text)
            if problem:
                return 400, _error(400, f"Bad Request: can't parse entities: {problem}")
        if len(plain.encode("utf-16-le")) // 2 > MESSAGE_LIMIT:
            return 400, _error(400, "Bad Request: message is too long")
        with self._lock:
            message = {
                "message_id": len(self.messages) + 1,
                "chat": {"id": chat_id},
                "date": int(time.time()),
                "text": plain,
                "html": text,
            }
            self.messages.append(message)
        return 200, {"ok": True, "result": message}


def _error(
    code: int, description: str | None, retry_after: Any = None, parameters: Any = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "ok": False,
        "error_code": code,
        "description": description or {500: "Internal Server Error"}.get(code, "Error"),
    }
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    if parameters is not None:
        body["parameters"] = parameters
    return body
