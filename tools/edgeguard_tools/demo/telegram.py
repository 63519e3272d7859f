"""Demo chapter: two-way Telegram. A GuardDuty ban arrives as an alert with buttons; a
stranger's press is refused; the on-call engineer presses "Unblock"; the decision ends
and the enforcer (run by the table's stream) takes the address out of WAF. The chat's
commands refuse what the CLI refuses, and a request without the secret token is 401.

The Telegram stand-in plays Telegram: it registered the webhook (setWebhook with a secret
token, as ``edgeguard telegram setup`` does after a deploy) and posts the users' updates
to the webhook's function URL.
"""

from __future__ import annotations

from typing import Any

from edgeguard.decisions import DynamoDecisionStore
from edgeguard.waf.service import EnforcerSettings
from edgeguard_tools.demo.localcloud import local_cloud
from edgeguard_tools.demo.story import Story
from edgeguard_tools.events import load_event

TITLE = "Two-way Telegram: press Unblock under a ban alert"
ON_CALL = 1001
PARAMETERS = {"TelegramCommands": "enabled", "TelegramCommandUserIds": str(ON_CALL)}
ATTACKER = "198.51.100.23/32"  # the remote address of events/guardduty_network_connection.json


def _bans(cloud: Any) -> list[str]:
    settings = EnforcerSettings.from_env(cloud.function_environment("IpSetSyncFunction"))
    waf = cloud.client("wafv2")
    found: list[str] = []
    for ref in (*settings.ban_v4, *settings.ban_v6):
        found += waf.get_ip_set(**ref.key())["IPSet"]["Addresses"]
    return sorted(found)


def _labels(message: dict[str, Any]) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return [str(button.get("text")) for row in rows for button in row]


def _enforcer_runs(cloud: Any, since: int) -> int:
    return sum(1 for i in cloud.invocations[since:] if i.logical_id == "IpSetSyncFunction")


def run(story: Story) -> None:
    cloud = local_cloud(PARAMETERS)
    tg = cloud.telegram
    env = cloud.function_environment("TelegramWebhookFunction")
    store = DynamoDecisionStore.from_env(env, client=cloud.client("dynamodb"))
    story.step("TelegramCommands=enabled; the webhook is a function URL: " + tg.webhook["url"])
    story.expect(
        "Telegram has the webhook with a secret token", len(tg.webhook.get("secret_token", "")) > 0
    )

    before = len(tg.messages)
    cloud.put_event(load_event("guardduty_network_connection"))
    alert = next((m for m in tg.messages[before:] if "Unblock" in _labels(m)), None)
    if alert is not None:
        story.step("Telegram shows: " + alert["text"].splitlines()[0])
        story.step("  buttons: " + " | ".join(_labels(alert)))
    story.expect(f"{ATTACKER} is banned in WAF", ATTACKER in _bans(cloud))
    story.expect(
        "the ban alert carries Unblock, Extend 24 h and Details",
        alert is not None and _labels(alert) == ["Unblock", "Extend 24 h", "Details"],
    )
    if alert is None:
        return

    status, _ = tg.press(alert, "Unblock", user_id=2002, name="Mallory")
    story.step(f"Mallory (user 2002, not configured) presses Unblock: HTTP {status}")
    story.step("  the bot answers: " + tg.messages[-1]["text"])
    story.expect("a user who is not configured changes nothing", ATTACKER in _bans(cloud))

    runs = len(cloud.invocations)
    status, _ = tg.press(alert, "Unblock", user_id=ON_CALL, name="Alice")
    story.step(f"Alice (user {ON_CALL}) presses Unblock: HTTP {status}")
    for message in tg.messages[-2:]:
        story.step("  Telegram shows: " + message["text"].splitlines()[0])
    lifted = [d for d in store.get(ATTACKER) if d.lifted_by]
    story.expect(
        "the decision ends, lifted by Alice's Telegram identity",
        len(lifted) == 1
        and not lifted[0].active()
        and lifted[0].lifted_by.startswith("telegram:1001"),
    )
    story.expect(
        "the address leaves WAF within one enforcer run (the table's stream)",
        ATTACKER not in _bans(cloud) and _enforcer_runs(cloud, runs) == 1,
    )
    story.expect("only Details stays under the alert", _labels(alert) == ["Details"])

    tg.send_command("/block 10.0.0.1 1h x")
    reply = tg.messages[-1]["text"]
    story.step("Alice: /block 10.0.0.1 1h x -> " + reply)
    story.expect(
        "the chat refuses a private address as the CLI does",
        reply.startswith("refused: 10.0.0.1/32"),
    )
    status, _ = tg.send_command("/unblock 203.0.113.9", secret=None)
    story.step(f"a request to the function URL without the secret token: HTTP {status}")
    story.expect("a request without Telegram's secret token is refused with 401", status == 401)
