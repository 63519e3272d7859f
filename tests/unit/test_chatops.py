"""Two-way Telegram's pure parts: callback data, commands, updates, the secret check."""

from __future__ import annotations

import pytest

from edgeguard.chatops.auth import Allowed, secret_matches
from edgeguard.chatops.commands import Command, Usage, parse_command
from edgeguard.chatops.updates import Actor, MalformedUpdate, parse_update
from edgeguard.notify.keyboard import (
    CALLBACK_DATA_LIMIT,
    BadCallbackData,
    ButtonAction,
    decode,
    inline_keyboard,
)

LONGEST_V6 = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"
LONGEST_TENANT = "t" * 63


@pytest.mark.parametrize(
    ("op", "target", "scope"),
    [
        ("unblock", "203.0.113.7/32", "ip"),
        ("extend", LONGEST_V6, "ip"),
        ("details", "2001:db8::/64", "ip"),
        ("unblock", LONGEST_TENANT, "tenant"),
        ("extend", "acme-7", "tenant"),
    ],
)
def test_every_valid_target_fits_callback_data_and_decodes_back(op, target, scope):
    data = ButtonAction(op, target, scope).encode()
    assert len(data.encode()) <= CALLBACK_DATA_LIMIT
    assert decode(data) == ButtonAction(op, target, scope)


@pytest.mark.parametrize("data", ["", "U", "X203.0.113.7/32", "U" + "1" * 64])
def test_callback_data_we_never_send_is_refused(data):
    with pytest.raises(BadCallbackData):
        decode(data)


def test_keyboard_from_an_alerts_actions_and_none_without_them():
    alert = {
        "kind": "guardduty-block",
        "actions": [
            {"op": "unblock", "target": "203.0.113.7/32", "scope": "ip"},
            {"op": "extend", "target": "203.0.113.7/32", "scope": "ip"},
            {"op": "details", "target": "203.0.113.7/32", "scope": "ip"},
            {"op": "reboot", "target": "203.0.113.7/32"},  # not ours: skipped
            {"op": "unblock", "target": "x" * 80, "scope": "tenant"},  # cannot fit: skipped
            "garbage",
        ],
    }
    assert inline_keyboard(alert) == {
        "inline_keyboard": [
            [
                {"text": "Unblock", "callback_data": "U203.0.113.7/32"},
                {"text": "Extend 24 h", "callback_data": "E203.0.113.7/32"},
                {"text": "Details", "callback_data": "D203.0.113.7/32"},
            ]
        ]
    }
    assert inline_keyboard({"kind": "log-ban-digest"}) is None
    assert inline_keyboard({"kind": "x", "actions": []}) is None


@pytest.mark.parametrize(
    ("text", "command"),
    [
        (
            "/block 203.0.113.7 4h credential stuffing",
            Command("block", "ip", "203.0.113.7", "4h", "credential stuffing"),
        ),
        ("/block@edgeguard_bot 203.0.113.7 1h x", Command("block", "ip", "203.0.113.7", "1h", "x")),
        ("/block 203.0.113.7 1h", Command("block", "ip", "203.0.113.7", "1h", "")),
        ("/unblock 2001:db8::1", Command("unblock", "ip", "2001:db8::1")),
        (
            "/tenant block acme-7 30m incident 42",
            Command("block", "tenant", "acme-7", "30m", "incident 42"),
        ),
        ("/TENANT Unblock acme-7", Command("unblock", "tenant", "acme-7")),
        ("/decisions", Command("decisions")),
        ("/status@edgeguard_bot", Command("status")),
        ("/start", Command("help")),
    ],
)
def test_commands_parse(text, command):
    assert parse_command(text) == command


@pytest.mark.parametrize(
    "text",
    [
        "hello",
        "",
        "/block",
        "/block 203.0.113.7",
        "/unblock",
        "/unblock a b",
        "/tenant block acme 1h",
        "/tenant",
        "/decisions now",
        "/reboot",
    ],
)
def test_anything_else_is_answered_with_the_usage(text):
    with pytest.raises(Usage, match="/tenant unblock ID"):
        parse_command(text)


def test_a_message_update():
    update = {
        "update_id": 7,
        "message": {
            "message_id": 3,
            "from": {"id": 1001, "first_name": "Alice", "last_name": "Ops", "username": "alice"},
            "chat": {"id": -100123, "type": "supergroup"},
            "text": "/status",
        },
    }
    incoming = parse_update(update)
    assert (incoming.kind, incoming.chat_id, incoming.text, incoming.message_id) == (
        "command",
        "-100123",
        "/status",
        3,
    )
    assert incoming.actor == Actor("1001", "Alice Ops @alice")
    assert incoming.actor.label() == "telegram:1001 (Alice Ops @alice)"


def test_a_callback_query_update():
    update = {
        "update_id": 8,
        "callback_query": {
            "id": "4382bfdwdsb323b2d9",
            "from": {"id": 1001, "first_name": "Alice"},
            "message": {"message_id": 9, "chat": {"id": 42}, "date": 0},
            "data": "U203.0.113.7/32",
        },
    }
    incoming = parse_update(update)
    assert (incoming.kind, incoming.callback_id, incoming.text, incoming.message_id) == (
        "button",
        "4382bfdwdsb323b2d9",
        "U203.0.113.7/32",
        9,
    )


@pytest.mark.parametrize(
    "update",
    [
        {"update_id": 9, "edited_message": {"text": "/block"}},
        {"update_id": 10, "message": {"chat": {"id": 42}, "photo": []}},
        {"update_id": 11, "callback_query": {"id": "q", "message": {"chat": {"id": 42}}}},
    ],
)
def test_other_updates_are_ignored(update):
    assert parse_update(update).kind == "other"


@pytest.mark.parametrize("body", [[], "x", {}, {"update_id": "7"}, {"update_id": True}])
def test_a_body_that_is_no_update_is_refused(body):
    with pytest.raises(MalformedUpdate):
        parse_update(body)


def test_secret_token_comparison():
    assert secret_matches("s3cret-token", "s3cret-token")
    assert not secret_matches("s3cret-tokeN", "s3cret-token")
    assert not secret_matches(None, "s3cret-token")
    assert not secret_matches("", "")  # a webhook secret that was never set admits nobody
    assert not secret_matches("s3cret-token-and-more", "s3cret-token")


def test_both_chat_and_user_must_be_configured():
    allowed = Allowed.of(["42", " -100123 "], ["1001", ""])
    message = {"message_id": 1, "chat": {"id": 42}, "text": "/status"}

    def refusal(chat: int, user: int | None):
        sender = {"from": {"id": user, "first_name": "A"}} if user else {}
        return allowed.refusal(
            parse_update({"update_id": 1, "message": {**message, "chat": {"id": chat}, **sender}})
        )

    assert refusal(42, 1001) is None
    assert refusal(-100123, 1001) is None
    assert refusal(42, 2002) == "user 2002 is not configured for edgeguard commands"
    assert refusal(7, 1001) == "chat 7 is not configured for edgeguard commands"
    assert refusal(42, None) == "the update names no user"
    assert (
        Allowed.of([""], [""]).refusal(parse_update({"update_id": 1, "message": message}))
        is not None
    )
