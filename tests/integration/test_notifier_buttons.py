"""Alert buttons: the notifier puts an alert's actions under its message as inline buttons
only when two-way Telegram is on, under the last message of a long one; the stand-in
refuses what Telegram refuses (callback data over 64 bytes)."""

from __future__ import annotations

import json

import pytest

from edgeguard.notify.alert import Alert, message_body
from edgeguard.notify.keyboard import decode
from edgeguard.notify.service import NotifierSettings, deliver
from edgeguard.notify.telegram_client import TelegramClient, TelegramRejected

ACTIONS = [
    {"op": "unblock", "target": "2001:db8:4::/64", "scope": "ip"},
    {"op": "extend", "target": "2001:db8:4::/64", "scope": "ip"},
    {"op": "details", "target": "2001:db8:4::/64", "scope": "ip"},
]


def _event(alert: dict) -> dict:
    """The SNS record the notifier receives for a published alert (its ``default``)."""
    message = json.loads(message_body(Alert(alert["kind"], alert["title"], fields=alert["fields"])))
    wire = json.loads(message["default"]) | {"actions": alert.get("actions", [])}
    return {"Records": [{"Sns": {"Message": json.dumps(wire), "Subject": "edgeguard"}}]}


def _settings(telegram, buttons: bool) -> NotifierSettings:
    return NotifierSettings(
        chat_id="42", api_base=telegram.base_url, token_secret="x", buttons=buttons
    )


def _alert(**fields) -> dict:
    return {
        "kind": "guardduty-block",
        "title": "GuardDuty: 1 address banned",
        "fields": fields,
        "actions": ACTIONS,
    }


def test_buttons_when_two_way_telegram_is_on(telegram):
    deliver(
        _event(_alert(banned="2001:db8:4::/64")), _settings(telegram, True), lambda: telegram.token
    )
    (message,) = telegram.messages
    rows = message["reply_markup"]["inline_keyboard"]
    assert [b["text"] for b in rows[0]] == ["Unblock", "Extend 24 h", "Details"]
    assert [decode(b["callback_data"]).op for b in rows[0]] == ["unblock", "extend", "details"]


def test_no_buttons_when_it_is_off_or_the_alert_has_no_actions(telegram):
    deliver(
        _event(_alert(banned="2001:db8:4::/64")), _settings(telegram, False), lambda: telegram.token
    )
    digest = _alert(banned=["2001:db8:4::/64"]) | {"actions": []}
    deliver(_event(digest), _settings(telegram, True), lambda: telegram.token)
    assert [m.get("reply_markup") for m in telegram.messages] == [None, None]


def test_a_long_alert_carries_its_buttons_on_its_last_message(telegram):
    # texts, not lists: a list is shortened to fit one message, 60 long texts cannot be
    long = _alert(**{f"evidence {n}": f"GET /{n} " + "x" * 100 for n in range(60)})
    report = deliver(_event(long), _settings(telegram, True), lambda: telegram.token)
    assert report.messages_sent >= 2
    assert [bool(m.get("reply_markup")) for m in telegram.messages] == [False] * (
        report.messages_sent - 1
    ) + [True]


def test_the_stand_in_refuses_callback_data_over_64_bytes(telegram):
    client = TelegramClient(token=telegram.token, chat_id="42", api_base=telegram.base_url)
    markup = {"inline_keyboard": [[{"text": "Unblock", "callback_data": "U" + "1" * 64}]]}
    with pytest.raises(TelegramRejected, match="BUTTON_DATA_INVALID"):
        client.send_message("x", reply_markup=markup)
