"""Inline buttons under a single-ban alert, and the compact callback data they carry.

An alert (its wire form, a dict) may carry ``actions``: a list of
``{"op": "unblock"|"extend"|"details", "target": <CIDR or tenant id>, "scope":
"ip"|"tenant"}``. The notifier turns them into an InlineKeyboardMarkup when two-way
Telegram is on; the webhook (``edgeguard.chatops``) decodes a pressed button's data.
Both sides use this module, so they cannot disagree.

Callback data is 1-64 bytes ("Telegram Bot API: InlineKeyboardButton", callback_data).
The form is one letter then the target: ``U``/``E``/``D`` (unblock, extend, details) for
an address or CIDR, ``u``/``e``/``d`` for a tenant, e.g. ``U203.0.113.7/32``. The longest
IPv6 CIDR is 43 characters and a tenant id at most 63 (``decisions.rules``), so every
valid target fits; a target that does not is left without a button (and the alert's
text still carries the command).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from edgeguard.errors import EdgeguardError

CALLBACK_DATA_LIMIT = 64  # bytes, "Telegram Bot API: InlineKeyboardButton"
Op = Literal["unblock", "extend", "details"]
ButtonScope = Literal["ip", "tenant"]
LABELS: dict[str, str] = {"unblock": "Unblock", "extend": "Extend 24 h", "details": "Details"}
_LETTERS: dict[tuple[str, str], str] = {
    ("unblock", "ip"): "U",
    ("extend", "ip"): "E",
    ("details", "ip"): "D",
    ("unblock", "tenant"): "u",
    ("extend", "tenant"): "e",
    ("details", "tenant"): "d",
}
_ACTIONS = {letter: key for key, letter in _LETTERS.items()}


class BadCallbackData(EdgeguardError, ValueError):
    """Callback data that no button of ours carries; the message says why."""


@dataclass(frozen=True)
class ButtonAction:
    """What a button asks for: ``op`` on ``target`` (a CIDR or tenant id) of ``scope``."""

    op: Op
    target: str
    scope: ButtonScope

    def encode(self) -> str:
        """The callback data (see the module docstring); ValueError if over 64 bytes."""
        data = _LETTERS[(self.op, self.scope)] + self.target
        if not self.target or len(data.encode()) > CALLBACK_DATA_LIMIT:
            raise ValueError(f"callback data for {self.op} must be 2-{CALLBACK_DATA_LIMIT} bytes")
        return data


def decode(data: str) -> ButtonAction:
    """The action a button's callback data names.

    Raises:
        BadCallbackData: empty, over 64 bytes, or an unknown letter. The target is not
            validated here: the caller normalises it like any operator input.
    """
    if not data or len(data.encode()) > CALLBACK_DATA_LIMIT or len(data) < 2:
        raise BadCallbackData("callback data must be 2-64 bytes")
    found = _ACTIONS.get(data[0])
    if found is None:
        raise BadCallbackData(f"unknown button {data[0]!r}")
    op, scope = found
    return ButtonAction(op, data[1:], scope)  # type: ignore[arg-type]


def actions_of(alert: Mapping[str, Any]) -> list[ButtonAction]:
    """The well-formed actions of an alert dict (missing or malformed ones are skipped)."""
    found = []
    for raw in alert.get("actions") or ():
        if not isinstance(raw, Mapping):
            continue
        op, target, scope = raw.get("op"), raw.get("target"), raw.get("scope", "ip")
        if (op, scope) not in _LETTERS or not isinstance(target, str) or not target:
            continue
        action = ButtonAction(op, target, scope)  # type: ignore[arg-type]
        try:
            action.encode()
        except ValueError:
            continue
        found.append(action)
    return found


def inline_keyboard(alert: Mapping[str, Any]) -> dict[str, Any] | None:
    """An InlineKeyboardMarkup for the alert's actions, one row per target, or None when
    it has none ("Telegram Bot API: InlineKeyboardMarkup")."""
    rows: dict[tuple[str, str], list[dict[str, str]]] = {}
    for action in actions_of(alert):
        label = LABELS[action.op]
        rows.setdefault((action.scope, action.target), []).append(
            {"text": label, "callback_data": action.encode()}
        )
    return {"inline_keyboard": list(rows.values())} if rows else None
