"""Register the Telegram webhook and rotate its secret token (``edgeguard telegram setup``).

``register_webhook`` reads the bot token from its secret, generates a new secret token
(64 characters of A-Z a-z 0-9 _ -: Telegram allows 1-256 of them, "Telegram Bot API:
setWebhook"), stores it in the webhook secret first (the function then accepts it after
its next read), and calls setWebhook with the URL and ``secret_token`` in the POST body.
The bot token is part of every Bot API URL's path: it is sent only through
``edgeguard.notify.telegram_client.TelegramClient``, whose errors never carry the URL or
the token, and nothing here prints either.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from edgeguard.notify.telegram_client import TelegramClient, bot_token_from_secret, check_token

ALLOWED_UPDATES = ["message", "callback_query"]


class SetupError(RuntimeError):
    """The webhook cannot be registered; the message says what to fix (never a secret)."""


@dataclass(frozen=True)
class Registration:
    """What setup did: the URL registered and the secret's version id (no secret value)."""

    url: str
    secret_version: str


def new_secret_token() -> str:
    """64 URL-safe characters (384 bits of randomness)."""
    return secrets.token_urlsafe(48)


def register_webhook(
    secretsmanager: Any,
    *,
    token_secret_id: str,
    webhook_secret_id: str,
    url: str,
    api_base: str,
    drop_pending_updates: bool = False,
) -> Registration:
    """Rotate the webhook secret token and point Telegram at ``url`` with it.

    Raises:
        SetupError: the bot token secret is empty or malformed, or Telegram refused.
        botocore ClientError: Secrets Manager refused (the caller says so).
    """
    raw = secretsmanager.get_secret_value(SecretId=token_secret_id).get("SecretString")
    token = bot_token_from_secret(raw)
    if not token:
        raise SetupError("the bot token secret is empty: put the token from @BotFather in it first")
    try:
        check_token(token)
    except Exception as error:  # TelegramRejected: says how it is malformed, not the token
        raise SetupError(str(error)) from None
    secret = new_secret_token()
    stored = secretsmanager.put_secret_value(SecretId=webhook_secret_id, SecretString=secret)
    client = TelegramClient(token=token, chat_id="", api_base=api_base, max_attempts=3)
    params = {
        "url": url,
        "secret_token": secret,
        "allowed_updates": ALLOWED_UPDATES,
        "drop_pending_updates": drop_pending_updates,
    }
    try:
        client.call("setWebhook", params)
    except Exception as error:  # TelegramError: scrubbed of the token by the client
        raise SetupError(
            f"{error}; the new secret token is stored but Telegram still has the old one: "
            "run setup again"
        ) from None
    return Registration(url=url, secret_version=str(stored.get("VersionId", "")))
