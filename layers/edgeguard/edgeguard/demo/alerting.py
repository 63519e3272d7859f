"""Demo chapter: alerts reach Telegram, readable and escaped, despite rate limiting."""

from __future__ import annotations

from edgeguard.demo.story import Story
from edgeguard.events import load_event
from edgeguard.local.telegram_server import Fault, TelegramStandIn
from edgeguard.notify.notifier import NotifierSettings, deliver

TITLE = "Alerting: the alerts topic reaches Telegram"


def run(story: Story) -> None:
    with TelegramStandIn(chat_ids=("42",)) as telegram:
        settings = NotifierSettings(chat_id="42", api_base=telegram.base_url, token_secret="local")  # noqa: S106 - a name
        for name in ("sns_edgeguard_alert", "sns_cloudwatch_alarm", "sns_plain_text"):
            before = len(telegram.messages)
            story.step(f"SNS delivers events/{name}.json to the notifier")
            deliver(load_event(name), settings, lambda: telegram.token, remaining_seconds=30)
            sent = telegram.messages[before:]
            for message in sent:
                first_line = message["text"].splitlines()[0]
                story.step(f"Telegram shows: {first_line}")
            story.expect(f"{name} became a Telegram message", len(sent) >= 1)

        story.step("Telegram answers 429 retry_after=1 once; the notifier waits and resends")
        telegram.queue(Fault(status=429, retry_after=1))
        before = len(telegram.messages)
        deliver(load_event("sns_plain_text"), settings, lambda: telegram.token, 30)
        story.expect(
            "a rate-limited alert is delivered after retry_after",
            len(telegram.messages) == before + 1,
        )
