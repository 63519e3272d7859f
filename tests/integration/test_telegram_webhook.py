"""Two-way Telegram end to end in the local cloud (TelegramCommands=enabled): the Telegram
stand-in posts updates to the webhook's function URL with the secret token setWebhook
registered; the webhook function acts on the decisions table; the table's stream runs
the enforcer; replies, button answers and alerts reach the stand-in."""

from __future__ import annotations

import contextlib
import io
import json
from datetime import timedelta
from typing import Any

import pytest

from edgeguard.chatops.audit import read_day
from edgeguard.clock import utcnow
from edgeguard.decisions import DecisionRequest, DynamoDecisionStore
from edgeguard.waf.service import EnforcerSettings
from edgeguard_tools.cli import main
from edgeguard_tools.local.cloud import LocalCloud

ALLOWED_USER = 1001
STRANGER = 2002
PARAMETERS = {"TelegramCommands": "enabled", "TelegramCommandUserIds": str(ALLOWED_USER)}


@pytest.fixture(scope="module")
def cloud():
    with LocalCloud(PARAMETERS, quiet=True) as running:
        yield running


class Chat:
    """What the team's chat, the table, WAF and the audit trail hold, for one test."""

    def __init__(self, cloud: LocalCloud) -> None:
        self.cloud = cloud
        self.tg = cloud.telegram
        env = cloud.function_environment("TelegramWebhookFunction")
        self.store = DynamoDecisionStore.from_env(env, client=cloud.client("dynamodb"))
        self.audit_table = env["AUDIT_TABLE"]
        self.enforcer = EnforcerSettings.from_env(cloud.function_environment("IpSetSyncFunction"))
        self.seen = len(self.tg.messages)
        self.calls = len(cloud.invocations)

    def new_messages(self) -> list[dict[str, Any]]:
        """Messages the bot sent since the last call."""
        found = self.tg.messages[self.seen :]
        self.seen = len(self.tg.messages)
        return found

    def texts(self) -> list[str]:
        return [m["text"] for m in self.new_messages()]

    def audit(self) -> list[dict[str, str]]:
        return read_day(self.cloud.client("dynamodb"), self.audit_table, utcnow())

    def bans(self) -> list[str]:
        waf = self.cloud.client("wafv2")
        found: list[str] = []
        for ref in (*self.enforcer.ban_v4, *self.enforcer.ban_v6):
            found += waf.get_ip_set(**ref.key())["IPSet"]["Addresses"]
        return sorted(found)

    def invocations_since(self, function: str) -> list[str]:
        """Sources of the function's invocations since the last call."""
        new = self.cloud.invocations[self.calls :]
        self.calls = len(self.cloud.invocations)
        return [i.source for i in new if i.logical_id == function]

    def announced(self) -> list[dict[str, Any]]:
        """Alerts (wire form) the notifier received since the last call."""
        alerts = []
        for invocation in self.cloud.invocations[self.calls :]:
            if invocation.logical_id != "NotifierFunction":
                continue
            for record in invocation.event["Records"]:
                alerts.append(json.loads(record["Sns"]["Message"]))
        self.calls = len(self.cloud.invocations)
        return alerts


@pytest.fixture
def chat(cloud) -> Chat:
    dynamodb = cloud.client("dynamodb")
    table = cloud.function_environment("TelegramWebhookFunction")["DECISIONS_TABLE"]
    for item in dynamodb.scan(TableName=table)["Items"]:
        dynamodb.delete_item(
            TableName=table, Key={"value": item["value"], "action": item["action"]}
        )
    cloud.invoke("IpSetSyncFunction", {"source": "test"})
    return Chat(cloud)


def test_the_local_cloud_registered_the_webhook_with_a_secret_token(cloud):
    hook = cloud.telegram.webhook
    assert hook["url"] == cloud.attribute("TelegramWebhookUrl", "FunctionUrl")
    assert hook["url"].startswith("http://127.0.0.1:")
    stored = cloud.client("secretsmanager").get_secret_value(
        SecretId=cloud.resource("TelegramWebhookSecret")
    )["SecretString"]
    assert hook["secret_token"] == stored and len(stored) == 64
    assert hook["allowed_updates"] == ["message", "callback_query"]
    assert "TelegramWebhookUrl" not in cloud.skipped


@pytest.mark.parametrize("secret", [None, "wrong-token", ""])
def test_a_wrong_or_missing_secret_token_is_401_and_changes_nothing(chat, secret):
    audit_before = len(chat.audit())
    status, _ = chat.tg.send_command("/block 203.0.113.50 1h probing", secret=secret)
    assert status == 401
    assert chat.store.get("203.0.113.50") == []
    assert chat.new_messages() == []  # no reply, no alert
    assert len(chat.audit()) == audit_before
    assert chat.invocations_since("IpSetSyncFunction") == []


def test_a_chat_that_is_not_configured_is_refused_and_audited(chat):
    status, update = chat.tg.send_command("/block 203.0.113.51 1h x", chat_id="-100777")
    assert status == 200
    assert chat.store.get("203.0.113.51") == []
    (reply,) = chat.new_messages()
    assert reply["chat"]["id"] == "-100777"
    assert reply["text"].startswith("not allowed: chat -100777 is not configured")
    entry = next(e for e in chat.audit() if e["update_id"] == str(update["update_id"]))
    assert entry["outcome"] == "not-allowed"
    assert (entry["user_id"], entry["user_name"], entry["chat_id"]) == ("1001", "Alice", "-100777")
    assert entry["command"] == "/block 203.0.113.51 1h x"
    assert chat.announced() == []


def test_a_user_who_is_not_configured_is_refused_and_audited(chat):
    status, update = chat.tg.send_command("/unblock 203.0.113.52", user_id=STRANGER, name="Mallory")
    assert status == 200
    assert chat.texts() == ["not allowed: user 2002 is not configured for edgeguard commands"]
    entry = next(e for e in chat.audit() if e["update_id"] == str(update["update_id"]))
    assert (entry["outcome"], entry["user_id"], entry["user_name"]) == (
        "not-allowed",
        "2002",
        "Mallory",
    )


def test_a_replayed_update_id_acts_once(chat):
    first, update = chat.tg.send_command("/block 203.0.113.53 2h replay test")
    expires = chat.store.get("203.0.113.53")[0].expires_at
    audit_after_first = len(chat.audit())
    messages = chat.new_messages()
    announced = chat.announced()
    again = chat.tg.post_update(update)  # Telegram resends the same update
    assert (first, again) == (200, 200)
    assert chat.store.get("203.0.113.53")[0].expires_at == expires
    assert len(chat.audit()) == audit_after_first
    assert chat.new_messages() == []
    assert chat.announced() == []
    assert len([m for m in messages if m["text"].startswith("203.0.113.53/32 blocked")]) == 1
    assert [a["kind"] for a in announced] == ["circuit-breaker"]


def test_block_of_a_private_address_is_refused_with_the_clis_words(chat):
    chat.tg.send_command("/block 10.0.0.1 1h x")
    (reply,) = chat.texts()
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["block", "10.0.0.1", "--for", "1h", "--reason", "x", "--local"])
    assert code == 2
    assert reply == err.getvalue().strip()
    assert reply.startswith("refused: 10.0.0.1/32 is in 10.0.0.0/8")
    assert chat.store.get("10.0.0.1") == []
    assert all(a["kind"] != "circuit-breaker" for a in chat.announced())


@pytest.mark.parametrize(
    ("command", "argv"),
    [
        ("/block 203.0.113.54 soon x", ["block", "203.0.113.54", "--for", "soon", "--reason", "x"]),
        ("/block 203.0.113.0/8 1h x", ["block", "203.0.113.0/8", "--for", "1h", "--reason", "x"]),
        ("/tenant block Acme! 1h x", ["tenant", "block", "Acme!", "--for", "1h", "--reason", "x"]),
        ("/unblock not-an-ip", ["unblock", "not-an-ip"]),
    ],
)
def test_every_refusal_reads_like_the_cli(chat, command, argv):
    chat.tg.send_command(command)
    (reply,) = chat.texts()
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        assert main([*argv, "--local"]) == 2
    assert reply == err.getvalue().strip()


def _ban_alert(chat: Chat, value: str) -> dict[str, Any]:
    """A GuardDuty-style ban recorded and enforced, then its single-ban alert with the
    actions the alert carries (kind, title, fields, actions) on the alerts topic."""
    chat.store.record(
        DecisionRequest(
            value=value,
            action="ban",
            origin="guardduty",
            reason="UnauthorizedAccess:EC2/SSHBruteForce",
            duration=timedelta(hours=4),
        )
    )
    alert = {
        "kind": "guardduty-block",
        "title": f"GuardDuty: {value} banned",
        "severity": "medium",
        "fields": {"banned": [value]},
        "link": None,
        "actions": [
            {"op": op, "target": value, "scope": "ip"} for op in ("unblock", "extend", "details")
        ],
    }
    chat.cloud.client("sns").publish(
        TopicArn=chat.cloud.resource("AlertsTopic"),
        Message=json.dumps({"default": json.dumps(alert)}),
        MessageStructure="json",
    )
    (message,) = chat.new_messages()
    return message


def test_unblock_on_a_ban_alert_ends_the_decision_and_waf_follows_in_one_enforcer_run(chat):
    message = _ban_alert(chat, "198.51.100.77/32")
    assert "198.51.100.77/32" in chat.bans()
    labels = [b["text"] for row in message["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == ["Unblock", "Extend 24 h", "Details"]
    chat.invocations_since("IpSetSyncFunction")

    status, update = chat.tg.press(message, "Unblock")

    assert status == 200
    (decision,) = chat.store.get("198.51.100.77/32")
    assert not decision.active()
    assert decision.lifted_by == "telegram:1001 (Alice)"
    assert chat.invocations_since("IpSetSyncFunction") == ["stream DecisionsTable"]
    assert "198.51.100.77/32" not in chat.bans()
    (answer,) = [
        a
        for a in chat.tg.callback_answers
        if a["callback_query_id"] == update["callback_query"]["id"]
    ]
    assert answer["text"].startswith("198.51.100.77/32 unblocked (ban)")
    keyboard = message["reply_markup"]["inline_keyboard"]  # edited in place by the stand-in
    assert [b["text"] for row in keyboard for b in row] == ["Details"]
    texts = [m["text"] for m in chat.new_messages()]
    assert any(t.startswith("198.51.100.77/32 unblocked") for t in texts)
    assert any("address 198.51.100.77/32 unblocked" in t for t in texts)  # the announcement


def test_extend_and_details_buttons(chat):
    message = _ban_alert(chat, "198.51.100.78/32")
    before = chat.store.get("198.51.100.78/32")[0].expires_at
    assert chat.tg.press(message, "Extend 24 h")[0] == 200
    (decision,) = chat.store.get("198.51.100.78/32")
    assert decision.expires_at - before >= timedelta(hours=19)
    assert decision.expires_at - utcnow() > timedelta(hours=23, minutes=58)
    assert "198.51.100.78/32" in chat.bans()
    assert chat.tg.press(message, "Details")[0] == 200
    details = [t for t in chat.texts() if t.startswith("198.51.100.78/32:")]
    assert len(details) == 1
    assert "ban (manual) active for 23 h" in details[0]  # the longer, manual ban won
    assert "last changed by telegram:1001 (Alice)" in details[0]


def test_every_accepted_command_is_announced_and_refusals_are_not(chat):
    commands = [
        "/block 203.0.113.60 30m testing the chat",
        "/tenant block acme-7 1h incident 42",
        "/decisions",
        "/status",
        "/tenant unblock acme-7",
        "/unblock 203.0.113.60",
    ]
    chat.announced()
    for text in commands:
        assert chat.tg.send_command(text)[0] == 200
    announced = chat.announced()
    assert [a["kind"] for a in announced] == [
        "circuit-breaker",
        "circuit-breaker",
        "telegram-command",
        "telegram-command",
        "circuit-breaker",
        "circuit-breaker",
    ]
    assert all(a["fields"]["by"] == "telegram:1001 (Alice)" for a in announced)
    replies = [m["text"] for m in chat.new_messages() if m["chat"]["id"] == "42"]
    assert "1 active decision(s):" in "\n".join(replies) or "2 active decision(s):" in "\n".join(
        replies
    )
    assert any(r.startswith("edgeguard: 2 active decision(s)") for r in replies)
    assert any(r.startswith("acme-7 unblocked (ban)") for r in replies)
    chat.tg.send_command("/block 203.0.113.61 eventually x")
    chat.tg.send_command("/frobnicate")
    assert chat.announced() == []
    outcomes = [e["outcome"] for e in chat.audit()[-2:]]
    assert outcomes == ["refused", "refused"]
