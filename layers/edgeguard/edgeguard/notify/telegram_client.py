"""A small Telegram Bot API client for sendMessage, with a retry policy fit for Lambda.

- 429 waits ``parameters.retry_after`` seconds, if that fits the time budget;
- 5xx, timeouts and connection errors retry with exponential backoff and jitter;
- 400/401/403/404 fail at once with Telegram's description of the cause.

The token is part of the request URL, so no error raised here ever carries the URL
or the text of an underlying exception that might; messages name the cause only.
"""

from __future__ import annotations

import json
import random
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from edgeguard.errors import EdgeguardError

DEFAULT_API_BASE = "https://api.telegram.org"


class TelegramError(EdgeguardError, RuntimeError):
    """Delivery failed; the message names the cause, never the token."""


class TelegramRejected(TelegramError):
    """Telegram refused the request (bad chat, bad token, blocked bot): retrying won't help."""


class TelegramUnavailable(TelegramError):
    """Telegram kept failing or rate-limiting until the time budget ran out: retry later."""


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
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    attempts_made: int = 0

    def send_message(self, text: str, deadline: float | None = None) -> dict[str, Any]:
        """Send one message; ``deadline`` is a ``clock()`` value the retries must finish by.

        ``text`` is Telegram HTML of at most 4,096 characters after entity parsing
        ("Telegram Bot API: sendMessage"). Returns Telegram's ``result`` (the Message).

        Raises:
            TelegramRejected: HTTP 400, 401, 403 or 404.
            TelegramUnavailable: 429 / 5xx / no answer on every attempt, or no time left.
        """
        payload = json.dumps(
            {
                "chat_id": self.chat_id,
                "text": text,
                "parse_mode": "HTML",
                "disable_web_page_preview": True,
            }
        ).encode()
        last_cause = "no attempt made"
        for attempt in range(1, self.max_attempts + 1):
            self.attempts_made += 1
            status, body, cause = self._post(payload, deadline)
            if status == 200 and body.get("ok"):
                result = body.get("result")
                return result if isinstance(result, dict) else {}
            description = str(body.get("description") or cause or f"HTTP {status}")
            if status in (400, 401, 403, 404):
                raise TelegramRejected(f"Telegram refused sendMessage ({status}): {description}")
            if status == 429:
                params = body.get("parameters") or {}
                wait = float(params.get("retry_after", 1) if isinstance(params, dict) else 1)
                last_cause = f"rate limited by Telegram (retry_after={wait:g}s)"
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
        raise TelegramUnavailable(f"Telegram sendMessage failed: {last_cause}")

    def _post(self, payload: bytes, deadline: float | None) -> tuple[int, dict[str, Any], str]:
        """One HTTP attempt: (status, parsed body, cause); status 0 means no answer."""
        timeout = self.request_timeout
        if deadline is not None:
            timeout = max(0.5, min(timeout, deadline - self.clock()))
        request = urllib.request.Request(  # noqa: S310 - the base URL is operator configuration
            f"{self.api_base.rstrip('/')}/bot{self.token}/sendMessage",
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


def _parse(raw: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}
