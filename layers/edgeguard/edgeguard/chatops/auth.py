"""Who may talk to the webhook: Telegram (the secret token) and the configured people.

Telegram cannot sign its requests; ``setWebhook``'s ``secret_token`` comes back in the
``X-Telegram-Bot-Api-Secret-Token`` header of every update ("Telegram Bot API:
setWebhook"). It is compared in constant time. Then both the chat and the user must be
configured: a user allowed in one chat cannot act from another, and a stranger added
to the team's group cannot act at all.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass

from edgeguard.chatops.updates import Incoming

SECRET_HEADER = "x-telegram-bot-api-secret-token"  # noqa: S105 - a header name  # function URLs lower-case header names


def secret_matches(received: str | None, expected: str) -> bool:
    """True only when ``expected`` is set and ``received`` equals it (hmac.compare_digest:
    the time taken does not tell how much of a guess was right)."""
    if not expected or received is None:
        return False
    return hmac.compare_digest(received.encode(), expected.encode())


@dataclass(frozen=True)
class Allowed:
    """The chats and users (numeric ids, as strings) whose commands are carried out."""

    chats: frozenset[str]
    users: frozenset[str]

    @classmethod
    def of(cls, chats: Iterable[str], users: Iterable[str]) -> Allowed:
        """From id lists; blanks are dropped, ``+`` and spaces stripped."""
        clean = lambda ids: frozenset(i.strip().lstrip("+") for i in ids if i.strip())  # noqa: E731
        return cls(clean(chats), clean(users))

    def refusal(self, incoming: Incoming) -> str | None:
        """Why this update's chat or user may not act, or None when both are configured."""
        if incoming.chat_id not in self.chats:
            return f"chat {incoming.chat_id} is not configured for edgeguard commands"
        if incoming.actor is None:
            return "the update names no user"
        if incoming.actor.user_id not in self.users:
            return f"user {incoming.actor.user_id} is not configured for edgeguard commands"
        return None
