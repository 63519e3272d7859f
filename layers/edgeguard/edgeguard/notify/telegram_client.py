"""A small Telegram Bot API client (sendMessage and any other method through ``call``),
with a retry policy fit for Lambda.

- 429 waits ``parameters.retry_after`` seconds, if that fits the time budget (a value
  that is not a finite number of seconds >= 0 -- -1, "soon", null -- counts as 1 s; at
  most ``max_retry_after`` is waited, a longer one ends the retries);
- 5xx, timeouts and connection errors retry with exponential backoff and jitter;
- 400/401/403/404 fail at once with Telegram's description of the cause.

The token is part of the request URL, so no error raised here ever carries the URL
or the text of an underlying exception that might; messages name the cause only, and
any text that reaches a message is scrubbed of the token. A token that is not shaped
like BotFather's (``<digits>:<35 URL-safe characters>``, "Telegram Bot API:
Authorizing your bot") is refused before any URL is built with it: whitespace in it
would otherwise make http.client raise InvalidURL with the URL in the message.
"""

from __future__ import annotations

import json
import math
import random
import re
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from edgeguard.errors import EdgeguardError

DEFAULT_API_BASE = "https://api.telegram.org"
TOKEN_SHAPE = re.compile(r"[0-9]{1,20}:[A-Za-z0-9_-]{35}")


class TelegramError(EdgeguardError, RuntimeError):
    """Delivery failed; the message names the cause, never the token."""


class TelegramRejected(TelegramError):
    """Telegram refused the request (bad chat, bad token, blocked bot): retrying won't help."""


class TelegramUnavailable(TelegramError):
    """Telegram kept failing or rate-limiting until the time budget ran out: retry later."""


def check_token(token: str) -> None:
    """Refuse a bot token not shaped ``<digits>:<35 of A-Z a-z 0-9 _ ->`` (BotFather's form).

    Raises:
        TelegramRejected: the token is malformed; the message says how, never the token.
    """
    if not TOKEN_SHAPE.fullmatch(token):
        raise TelegramRejected(
            f"the bot token is malformed ({len(token)} characters; expected "
            "<digits>:<35 URL-safe characters>, as BotFather issues it): check the secret"
        )


def bot_token_from_secret(secret_string: str | None) -> str:
    """Accept the token as the raw secret string or as JSON {"bot_token": ...}.

    A JSON object may also name it ``token``; malformed JSON or a missing key gives "".
    """
    text = (secret_string or "").strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            return ""
        if isinstance(data, dict):
            return str(data.get("bot_token") or data.get("token") or "").strip()
        return ""
    return text


def retry_after_seconds(parameters: Any, default: float = 1.0) -> float:
    """Seconds a 429 asks to wait: ``parameters.retry_after`` when it is a finite number
    >= 0 (or a string of one), else ``default``. Never raises ("Telegram Bot API:
    ResponseParameters")."""
    raw = parameters.get("retry_after") if isinstance(parameters, dict) else None
    if isinstance(raw, bool) or raw is None:
        return default
    try:
        value = float(raw)
    except (TypeError, ValueError, OverflowError):
        return default
    return value if math.isfinite(value) and value >= 0 else default


@dataclass
class TelegramClient:
    """Sends HTML messages to one chat."""

    token: str = field(repr=False)
    chat_id: str
    api_base: str = DEFAULT_API_BASE
    request_timeout: float = 10.0
    max_attempts: int = 6
    base_backoff: float = 0.5
    max_backoff: float = 8.0
    max_retry_after: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    attempts_made: int = 0

    def __post_init__(self) -> None:
        """Refuse a malformed token at once (see ``check_token``)."""
        check_token(self.token)

    def send_message(
        self,
        text: str,
        deadline: float | None = None,
        reply_markup: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Send one message; ``deadline`` is a ``clock()`` value the retries must finish by.

        ``text`` is Telegram HTML of at most 4,096 characters after entity parsing
        ("Telegram Bot API: sendMessage"); ``reply_markup`` an InlineKeyboardMarkup
        (``{"inline_keyboard": [[button, ...], ...]}``) or None. Returns Telegram's
        ``result`` (the Message).

        Raises:
            TelegramRejected: HTTP 400, 401, 403 or 404.
            TelegramUnavailable: 429 / 5xx / no answer on every attempt, or no time left.
        """
        params: dict[str, Any] = {
            "chat_id": self.chat_id,
            "text": text,
            "parse_mode": "HTML",
            "disable_web_page_preview": True,
        }
        if reply_markup:
            params["reply_markup"] = reply_markup
        result = self.call("sendMessage", params, deadline)
        return result if isinstance(result, dict) else {}

    def call(self, method: str, params: dict[str, Any], deadline: float | None = None) -> Any:
        """Call one Bot API method (``sendMessage``, ``answerCallbackQuery``, ``setWebhook``,
        ...) with ``params`` as the JSON body (never in the URL), with the retry policy of
        the module docstring. Returns Telegram's ``result``.

        Raises:
            TelegramRejected: HTTP 400, 401, 403 or 404.
            TelegramUnavailable: 429 / 5xx / no answer on every attempt, or no time left.
        """
        payload = json.dumps(params).encode()
        last_cause = "no attempt made"
        for attempt in range(1, self.max_attempts + 1):
            self.attempts_made += 1
            status, body, cause = self._post(method, payload, deadline)
            if status == 200 and body.get("ok"):
                return body.get("result")
            description = self._scrub(str(body.get("description") or cause or f"HTTP {status}"))
            if status in (400, 401, 403, 404):
                raise TelegramRejected(f"Telegram refused {method} ({status}): {description}")
            if status == 429:
                wait = retry_after_seconds(body.get("parameters"))
                last_cause = f"rate limited by Telegram (retry_after={wait:g}s)"
                if wait > self.max_retry_after:
                    last_cause += f"; longer than {self.max_retry_after:g}s, not waited"
                    break
            else:
                wait = min(self.max_backoff, self.base_backoff * 2 ** (attempt - 1))
                wait *= random.uniform(0.5, 1.0)
                last_cause = description
            if attempt == self.max_attempts:
                break
            if deadline is not None and self.clock() + wait + self.request_timeout > deadline:
                last_cause += "; no time left in this invocation to retry"
                break
            self.sleep(wait)
        raise TelegramUnavailable(f"Telegram {method} failed: {last_cause}")

    def _post(
        self, method: str, payload: bytes, deadline: float | None
    ) -> tuple[int, dict[str, Any], str]:
        """One HTTP attempt: (status, parsed body, cause); status 0 means no answer."""
        timeout = self.request_timeout
        if deadline is not None:
            timeout = max(0.5, min(timeout, deadline - self.clock()))
        request = urllib.request.Request(  # noqa: S310 - the base URL is operator configuration
            f"{self.api_base.rstrip('/')}/bot{self.token}/{method}",
            data=payload,
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                return response.status, _parse(response.read()), ""
        except urllib.error.HTTPError as error:
            status = error.code
            body = _parse(error.read())
            error.close()
            return status, body, f"HTTP {status}"
        except TimeoutError:
            return 0, {}, f"no answer within {timeout:g}s"
        except urllib.error.URLError as error:
            reason = error.reason
            if isinstance(reason, TimeoutError | socket.timeout):
                return 0, {}, f"no answer within {timeout:g}s"
            return 0, {}, f"connection failed ({type(reason).__name__})"
        except OSError as error:
            return 0, {}, f"connection failed ({type(error).__name__})"
        except Exception as error:  # e.g. http.client.InvalidURL: its text holds the URL
            return 0, {}, f"request failed ({type(error).__name__})"

    def _scrub(self, text: str) -> str:
        """``text`` without the token (or the URL path that carries it)."""
        return text.replace(self.token, "<token>") if self.token else text


def _parse(raw: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}
