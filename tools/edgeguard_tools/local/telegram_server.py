"""A local stand-in for the Telegram Bot API, on 127.0.0.1: both sides of the bot.

The API side answers like the real one: ``{"ok": true, "result": ...}`` on success,
``{"ok": false, "error_code", "description"}`` otherwise, 429 with
``parameters.retry_after``. Methods: sendMessage (checks the token, the chat, the HTML
entities, the 4096-character limit and inline buttons' 1-64-byte callback data),
answerCallbackQuery, editMessageReplyMarkup, setWebhook (url and secret_token, 1-256 of
A-Z a-z 0-9 _ -), getWebhookInfo, deleteWebhook. Faults can be queued (429, 500, 400, a
slow answer) to exercise the client's retry policy.

The user side (``send_command``, ``press``, ``post_update``) plays Telegram delivering
updates: it POSTs an Update to the registered webhook with the
``X-Telegram-Bot-Api-Secret-Token`` header, as Telegram does ("Telegram Bot API:
setWebhook"), and returns the webhook's HTTP status.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
import urllib.error
import urllib.request
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
CALLBACK_DATA_LIMIT = 64  # bytes ("Telegram Bot API: InlineKeyboardButton")
SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
UNCHANGED = object()  # post_update: send the registered secret token


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
        self.callback_answers: list[dict[str, Any]] = []
        self.markup_edits: list[dict[str, Any]] = []
        self.webhook: dict[str, Any] = {}  # what setWebhook registered: url, secret_token
        self.deliveries: list[tuple[dict[str, Any], int]] = []  # (update, HTTP status)
        self._update_ids = itertools.count(500_000)
        self._callback_ids: set[str] = set()
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
        prefix = f"/bot{self.token}/"
        if not path.startswith(prefix):
            return 401 if "/bot" in path else 404, _error(401, "Unauthorized"), fault.delay
        method = self._methods().get(path[len(prefix) :])
        if method is None:
            return 404, _error(404, "Not Found: method not found"), fault.delay
        try:
            params = json.loads(raw or b"{}")
        except ValueError:
            return 400, _error(400, "Bad Request: invalid JSON"), fault.delay
        if not isinstance(params, dict):
            return 400, _error(400, "Bad Request: parameters must be an object"), fault.delay
        return (*method(params), fault.delay)

    def _methods(self) -> dict[str, Any]:
        return {
            "sendMessage": self._send_message,
            "answerCallbackQuery": self._answer_callback_query,
            "editMessageReplyMarkup": self._edit_reply_markup,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._webhook_info,
        }

    def _answer_callback_query(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        query_id = str(params.get("callback_query_id", ""))
        if query_id not in self._callback_ids:
            return 400, _error(400, "Bad Request: query is too old or query ID is invalid")
        if len(str(params.get("text") or "")) > 200:
            return 400, _error(400, "Bad Request: text is too long")
        with self._lock:
            self._callback_ids.discard(query_id)  # a query is answered once
            self.callback_answers.append(dict(params))
        return 200, {"ok": True, "result": True}

    def _edit_reply_markup(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        problem = _markup_problem(params.get("reply_markup"))
        if problem:
            return 400, _error(400, f"Bad Request: {problem}")
        with self._lock:
            for message in self.messages:
                if message["chat"]["id"] == str(params.get("chat_id")) and message[
                    "message_id"
                ] == params.get("message_id"):
                    message["reply_markup"] = params.get("reply_markup")
                    self.markup_edits.append(dict(params))
                    return 200, {"ok": True, "result": message}
        return 400, _error(400, "Bad Request: message to edit not found")

    def _set_webhook(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        url, secret = params.get("url"), params.get("secret_token")
        if not isinstance(url, str):
            return 400, _error(400, "Bad Request: url is required")
        if secret is not None and not (isinstance(secret, str) and SECRET_TOKEN.fullmatch(secret)):
            return 400, _error(400, "Bad Request: secret token contains unallowed characters")
        with self._lock:
            self.webhook = {k: v for k, v in params.items() if v is not None}
        return 200, {"ok": True, "result": True, "description": "Webhook was set"}

    def _delete_webhook(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.webhook = {}
        return 200, {"ok": True, "result": True, "description": "Webhook was deleted"}

    def _webhook_info(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        info = {"url": self.webhook.get("url", ""), "pending_update_count": 0}
        return 200, {"ok": True, "result": info}

    # ---------------------------------------------------------- user side
    def post_update(self, update: dict[str, Any], secret: Any = UNCHANGED) -> int:
        """Deliver one Update to the registered webhook as Telegram does; returns the HTTP
        status. ``secret``: the header's value (default: the registered secret_token;
        None: no header). ``RuntimeError`` when no webhook is registered."""
        url = self.webhook.get("url")
        if not url:
            raise RuntimeError("no webhook registered (setWebhook was not called)")
        token = self.webhook.get("secret_token") if secret is UNCHANGED else secret
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = str(token)
        request = urllib.request.Request(  # noqa: S310 - the local cloud's own URL
            str(url), data=json.dumps(update).encode(), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                status = int(response.status)
        except urllib.error.HTTPError as error:
            status = int(error.code)
            error.close()
        self.deliveries.append((update, status))
        return status

    def send_command(
        self,
        text: str,
        *,
        user_id: int = 1001,
        chat_id: str = "42",
        name: str = "Alice",
        update_id: int | None = None,
        secret: Any = UNCHANGED,
    ) -> tuple[int, dict[str, Any]]:
        """A user types ``text`` in ``chat_id``; returns (HTTP status, the update sent)."""
        self.chat_ids.add(str(chat_id))  # the bot is in that chat: it may answer there
        update = {
            "update_id": next(self._update_ids) if update_id is None else update_id,
            "message": {
                "message_id": 10_000 + len(self.deliveries),
                "from": {"id": user_id, "is_bot": False, "first_name": name},
                "chat": {"id": int(chat_id), "type": "group"},
                "date": int(time.time()),
                "text": text,
            },
        }
        return self.post_update(update, secret), update

    def press(
        self, message: dict[str, Any], label: str, user_id: int = 1001, name: str = "Alice"
    ) -> tuple[int, dict[str, Any]]:
        """A user presses the button labelled ``label`` under a message the bot sent;
        returns (HTTP status, the update sent). ``KeyError`` if there is no such button."""
        rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
        button = next((b for row in rows for b in row if b.get("text") == label), None)
        if button is None:
            raise KeyError(f"no button {label!r} under message {message.get('message_id')}")
        query_id = f"cq{next(self._update_ids)}"
        with self._lock:
            self._callback_ids.add(query_id)
        update = {
            "update_id": next(self._update_ids),
            "callback_query": {
                "id": query_id,
                "from": {"id": user_id, "is_bot": False, "first_name": name},
                "message": {
                    "message_id": message["message_id"],
                    "chat": {"id": int(message["chat"]["id"]), "type": "group"},
                    "date": message["date"],
                    "text": message.get("text", ""),
                },
                "chat_instance": "local",
                "data": button["callback_data"],
            },
        }
        return self.post_update(update), update

    def _send_message(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
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
        problem = _markup_problem(params.get("reply_markup"))
        if problem:
            return 400, _error(400, f"Bad Request: {problem}")
        with self._lock:
            message = {
                "message_id": len(self.messages) + 1,
                "chat": {"id": chat_id},
                "date": int(time.time()),
                "text": plain,
                "html": text,
            }
            if params.get("reply_markup"):
                message["reply_markup"] = params["reply_markup"]
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


def _markup_problem(markup: Any) -> str | None:
    """Why Telegram would refuse an InlineKeyboardMarkup, or None (absent is fine)."""
    if markup is None:
        return None
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        return 'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
    for button in (b for row in rows for b in row):
        data = button.get("callback_data") if isinstance(button, dict) else None
        if not isinstance(button, dict) or not button.get("text"):
            return "button text is empty"
        if data is not None and not 1 <= len(str(data).encode()) <= CALLBACK_DATA_LIMIT:
            return "BUTTON_DATA_INVALID"
    return None
