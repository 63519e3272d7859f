"""The Telegram notifier: every SNS record on the alerts topic becomes Telegram messages."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from edgeguard.config import optional, require
from edgeguard.notify.keyboard import inline_keyboard
from edgeguard.notify.telegram_client import (
    DEFAULT_API_BASE,
    TelegramClient,
    TelegramError,  # noqa: F401 - the handler counts it
    bot_token_from_secret,  # noqa: F401 - the handler reads the secret with it
    check_token,
)
from edgeguard.notify.telegram_format import render

SAFETY_MARGIN_SECONDS = 2.0


@dataclass(frozen=True)
class NotifierSettings:
    """What the notifier needs; read once at cold start."""

    chat_id: str
    api_base: str
    token_secret: str
    buttons: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> NotifierSettings:
        """Read TELEGRAM_TOKEN_SECRET (required: the secret's id), TELEGRAM_CHAT_ID (empty
        turns delivery off) and TELEGRAM_API_BASE (default https://api.telegram.org) from
        ``environ`` (default ``os.environ``).

        Raises:
            ConfigError: TELEGRAM_TOKEN_SECRET is not set.
        """
        return cls(
            chat_id=optional("TELEGRAM_CHAT_ID", "", environ),
            api_base=optional("TELEGRAM_API_BASE", DEFAULT_API_BASE, environ),
            token_secret=require("TELEGRAM_TOKEN_SECRET", environ),
            buttons=optional("TELEGRAM_COMMANDS", "disabled", environ) == "enabled",
        )


@dataclass
class DeliveryReport:
    """What one invocation delivered: SNS records seen, Telegram messages sent, and why
    nothing was sent when delivery is off (no chat id, or an empty token).
    """

    records: int = 0
    messages_sent: int = 0
    skipped_reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The report as a JSON-ready dict."""
        return {
            "records": self.records,
            "messages_sent": self.messages_sent,
            "skipped_reason": self.skipped_reason,
        }


def sns_messages(event: dict[str, Any]) -> list[tuple[str, str | None]]:
    """(message, subject) of every SNS record in a Lambda event."""
    out = []
    for record in event.get("Records") or []:
        sns = record.get("Sns") or {}
        out.append((str(sns.get("Message", "")), sns.get("Subject")))
    return out


def deliver(
    event: dict[str, Any],
    settings: NotifierSettings,
    token_provider: Callable[[], str],
    remaining_seconds: float | None = None,
    client_factory: Callable[..., TelegramClient] = TelegramClient,
) -> DeliveryReport:
    """Render and send every record; raises TelegramError when delivery fails.

    ``remaining_seconds`` is the invocation's time left (seconds): retries stop 2
    seconds before it runs out. ``token_provider`` is called only when a chat id is set.

    Raises:
        TelegramRejected: Telegram refused a message (bad chat or token), or the token in
            the secret is malformed (``check_token``): no retry helps.
        TelegramUnavailable: Telegram kept failing until the time budget ran out.
    """
    messages = sns_messages(event)
    report = DeliveryReport(records=len(messages))
    if not settings.chat_id:
        report.skipped_reason = "TelegramChatId is empty: Telegram delivery is off"
        return report
    token = token_provider()
    if not token:
        report.skipped_reason = "the bot token secret is empty: fill it in (see README)"
        return report
    check_token(token)
    client = client_factory(token=token, chat_id=settings.chat_id, api_base=settings.api_base)
    deadline = None
    if remaining_seconds is not None:
        deadline = time.monotonic() + remaining_seconds - SAFETY_MARGIN_SECONDS
    for message, subject in messages:
        texts = render(message, subject)
        markup = _buttons(message) if settings.buttons else None
        for number, text in enumerate(texts, start=1):
            last = number == len(texts)
            client.send_message(text, deadline=deadline, reply_markup=markup if last else None)
            report.messages_sent += 1
    return report


def _buttons(message: str) -> dict[str, Any] | None:
    """The inline keyboard of an edgeguard alert's actions (notify.keyboard), or None."""
    try:
        alert = json.loads(message) if message.lstrip().startswith("{") else None
    except ValueError:
        return None
    return inline_keyboard(alert) if isinstance(alert, dict) and "kind" in alert else None
