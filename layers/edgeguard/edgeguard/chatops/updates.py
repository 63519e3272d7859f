"""Telegram's Update, read defensively into what the webhook needs.

Source: "Telegram Bot API: Update, Message, CallbackQuery, User, Chat". An update holds
at most one of its optional fields; the webhook acts on ``message`` (a command typed in
a chat) and ``callback_query`` (a button pressed); every other kind is ignored (and
answered 200, so Telegram does not resend it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from edgeguard.errors import EdgeguardError

Kind = Literal["command", "button", "other"]
TEXT_LIMIT = 4096  # a message's text is at most 4,096 characters ("Telegram Bot API: Message")


class MalformedUpdate(EdgeguardError, ValueError):
    """The body is not a Telegram Update (no integer update_id); the message says why."""


@dataclass(frozen=True)
class Actor:
    """The Telegram user behind an update: numeric id and a display name."""

    user_id: str
    name: str

    def label(self) -> str:
        """``telegram:<id> (<name>)``: how decisions and alerts record who acted."""
        return f"telegram:{self.user_id} ({self.name})" if self.name else f"telegram:{self.user_id}"


@dataclass(frozen=True)
class Incoming:
    """One update as the webhook sees it.

    ``kind``: ``command`` (a message's text), ``button`` (a callback query's data) or
    ``other``; ``chat_id`` as a string (may be negative: groups); ``message_id``: the
    message the command came in or the button was under; ``callback_id``: the callback
    query to answer (buttons only).
    """

    update_id: int
    kind: Kind
    chat_id: str = ""
    actor: Actor | None = None
    text: str = ""
    message_id: int | None = None
    callback_id: str = ""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _actor(user: Any) -> Actor | None:
    user = _dict(user)
    user_id = _int(user.get("id"))
    if user_id is None:
        return None
    parts = [str(user.get(k) or "").strip() for k in ("first_name", "last_name")]
    name = " ".join(p for p in parts if p)
    if user.get("username"):
        name = f"{name} @{user['username']}".strip()
    return Actor(str(user_id), name[:96])


def parse_update(body: Any) -> Incoming:
    """An Update dict -> ``Incoming``.

    Raises:
        MalformedUpdate: ``body`` is not an object with an integer ``update_id``.
    """
    if not isinstance(body, dict):
        raise MalformedUpdate("the body is not a JSON object")
    update_id = _int(body.get("update_id"))
    if update_id is None:
        raise MalformedUpdate("the update has no integer update_id")
    if isinstance(body.get("message"), dict):
        message = body["message"]
        chat_id = _int(_dict(message.get("chat")).get("id"))
        text = message.get("text")
        if chat_id is None or not isinstance(text, str):
            return Incoming(update_id, "other")
        return Incoming(
            update_id,
            "command",
            chat_id=str(chat_id),
            actor=_actor(message.get("from")),
            text=text[:TEXT_LIMIT],
            message_id=_int(message.get("message_id")),
        )
    if isinstance(body.get("callback_query"), dict):
        query = body["callback_query"]
        message = _dict(query.get("message"))  # MaybeInaccessibleMessage: chat and id remain
        chat_id = _int(_dict(message.get("chat")).get("id"))
        data = query.get("data")
        if chat_id is None or not isinstance(data, str) or not isinstance(query.get("id"), str):
            return Incoming(update_id, "other")
        return Incoming(
            update_id,
            "button",
            chat_id=str(chat_id),
            actor=_actor(query.get("from")),
            text=data[:TEXT_LIMIT],
            message_id=_int(message.get("message_id")),
            callback_id=query["id"],
        )
    return Incoming(update_id, "other")
