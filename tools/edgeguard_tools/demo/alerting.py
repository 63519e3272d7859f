"""Demo chapter: alerts published on the alerts topic reach Telegram through the real wiring.

Everything goes through the local cloud: the Alert is published on AlertsTopic with
edgeguard.notify.alert.publish, SNS delivers it to NotifierFunction as the template
subscribes it, the notifier reads the bot token from the stack's secret and calls the
Telegram stand-in on 127.0.0.1.
"""

from __future__ import annotations

import json

from edgeguard.notify.alert import Alert, publish
from edgeguard_tools.demo.localcloud import local_cloud
from edgeguard_tools.demo.story import Story
from edgeguard_tools.events import load_event
from edgeguard_tools.local.telegram_server import Fault

TITLE = "Alerting: the alerts topic reaches Telegram"


def _first_lines(messages: list[dict[str, object]]) -> list[str]:
    return [str(message["text"]).splitlines()[0] for message in messages]


def run(story: Story) -> None:
    cloud = local_cloud()
    sns = cloud.client("sns")
    topic = cloud.resource("AlertsTopic")
    story.step(
        f"local cloud up in {cloud.startup_seconds:.2f}s: {len(cloud.physical)} resources of "
        f"template.yaml on moto, Telegram stand-in at {cloud.telegram.base_url}"
    )

    before = len(cloud.telegram_messages)
    alert = Alert(
        kind="ban",
        title="Banned 203.0.113.7 for path probing <script>",
        severity="high",
        fields={"ip": "203.0.113.7", "requests": 412, "paths": ["/.env", "/wp-login.php"]},
        link="https://console.aws.amazon.com/wafv2/homev2/ip-sets",
    )
    story.step("publish an edgeguard Alert on AlertsTopic (edgeguard.notify.alert.publish)")
    calls = len(cloud.invocations)
    publish(sns, topic, alert)
    sent = cloud.telegram_messages[before:]
    for line in _first_lines(sent):
        story.step(f"Telegram shows: {line}")
    story.expect(
        "an Alert on the topic becomes one Telegram message, HTML escaped",
        len(sent) == 1 and "&lt;script&gt;" in str(sent[0]["html"]),
    )
    story.expect(
        "the notifier ran because template.yaml subscribes it to AlertsTopic",
        # Other consumers may run in the same pump (the log analyzer drains S3's
        # s3:TestEvent from its queue on the first one): look for the notifier.
        "NotifierFunction" in [c.logical_id for c in cloud.invocations[calls:]],
    )

    alarm = load_event("sns_cloudwatch_alarm")["Records"][0]["Sns"]
    before = len(cloud.telegram_messages)
    story.step("CloudWatch publishes an alarm state change on AlertsTopic")
    sns.publish(TopicArn=topic, Subject=alarm["Subject"][:100], Message=alarm["Message"])
    sent = cloud.telegram_messages[before:]
    for line in _first_lines(sent):
        story.step(f"Telegram shows: {line}")
    alarm_name = json.loads(alarm["Message"])["AlarmName"]
    story.expect(
        "a CloudWatch alarm notification is rendered for Telegram",
        len(sent) == 1 and alarm_name in str(sent[0]["text"]),
    )

    story.step("Telegram answers 429 retry_after=1 once; the notifier waits and resends")
    cloud.telegram.queue(Fault(status=429, retry_after=1))
    before = len(cloud.telegram_messages)
    publish(sns, topic, Alert(kind="test", title="Rate-limited but delivered", severity="low"))
    story.expect(
        "a rate-limited alert is delivered after retry_after",
        [line.split(" ", 1)[-1] for line in _first_lines(cloud.telegram_messages[before:])]
        == ["Rate-limited but delivered"],
    )

    story.step("Telegram refuses every attempt (400 chat not found): Lambda retries twice")
    cloud.telegram.queue(*[Fault(status=400, description="Bad Request: chat not found")] * 3)
    cloud.raise_errors = False
    try:
        publish(sns, topic, Alert(kind="test", title="Undeliverable", severity="medium"))
    finally:
        cloud.raise_errors = True
    dead = cloud.client("sqs").receive_message(
        QueueUrl=cloud.resource("NotifierDeadLetterQueue"), MaxNumberOfMessages=10
    )
    waiting = [json.loads(m["Body"]) for m in dead.get("Messages", [])]
    story.step(f"notifier-dlq now holds {len(waiting)} undelivered alert(s)")
    story.expect(
        "an alert Telegram keeps refusing waits in the notifier's dead-letter queue",
        any("Undeliverable" in r["Records"][0]["Sns"]["Message"] for r in waiting),
    )
