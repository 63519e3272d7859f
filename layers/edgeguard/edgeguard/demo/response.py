"""Demo chapter: an intruder stops the audit trail; edgeguard restarts it within the
same event and the team reads who did it on Telegram."""

from __future__ import annotations

import json
from typing import Any

import boto3
from moto import mock_aws

from edgeguard.demo.story import Story
from edgeguard.events import load_event
from edgeguard.local.handlers import LocalContext, environment, load_handler
from edgeguard.local.telegram_server import TelegramStandIn
from edgeguard.notify.notifier import NotifierSettings, deliver

TITLE = "Security response: a stopped CloudTrail trail is restarted"
REGION = "us-east-1"
TRAIL = "management-events"


# Credentials that can never reach a real account; moto answers every call.
OFFLINE = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "POWERTOOLS_TRACE_DISABLED": "1",
    "POWERTOOLS_SERVICE_NAME": "edgeguard",
    "POWERTOOLS_METRICS_NAMESPACE": "edgeguard",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "POWERTOOLS_METRICS_DISABLED": "true",
}


def run(story: Story) -> None:
    with environment(OFFLINE), mock_aws(), TelegramStandIn(chat_ids=("42",)) as telegram:
        cloudtrail, topic, sqs, queue_url = _account()
        env = {
            "ALERTS_TOPIC_ARN": topic,
            "PROTECTED_TRAILS": "*",
            "TRAIL_SNAPSHOT_TABLE": "trail-snapshots",
            "IDEMPOTENCY_TABLE": "idempotency",
            "AWS_REGION": REGION,
        }
        with environment(env):
            guard = load_handler("functions/trail_guard", fresh=True)
            story.step(f"trail {TRAIL} logs; the hourly snapshot records its configuration")
            guard(load_event("scheduled_trail_snapshot"), LocalContext())

            event = load_event("cloudtrail_stop_logging")
            who = event["detail"]["userIdentity"]["arn"]
            story.step(f"{who} calls StopLogging from {event['detail']['sourceIPAddress']}")
            cloudtrail.stop_logging(Name=TRAIL)
            story.expect("the trail stopped logging", not _logging(cloudtrail))

            story.step("EventBridge delivers the CloudTrail event to the trail guard")
            result = guard(event, LocalContext(function_name="edgeguard-dev-trail-guard"))
            story.expect("the trail logs again (GetTrailStatus IsLogging)", _logging(cloudtrail))
            story.expect("the guard says it restarted logging", result.get("action") == "restarted")

            story.step("the alert travels SNS -> notifier -> Telegram")
            local = "local"  # a secret name, not a secret
            settings = NotifierSettings(
                chat_id="42", api_base=telegram.base_url, token_secret=local
            )
            for record in _sns_records(sqs, queue_url, topic):
                deliver(record, settings, lambda: telegram.token, remaining_seconds=30)
            texts = [message["text"] for message in telegram.messages]
            for line in texts[0].splitlines()[:6] if texts else []:
                story.step(f"Telegram: {line}")
            story.expect(
                "a Telegram message names the actor and the address",
                any("mallory" in text and "198.51.100.24" in text for text in texts),
            )

            story.step("the same event is delivered again (EventBridge is at-least-once)")
            guard(event, LocalContext(function_name="edgeguard-dev-trail-guard"))
            story.expect(
                "no second alert for the same event",
                not _sns_records(sqs, queue_url, topic),
            )


def _account() -> tuple[Any, str, Any, str]:
    boto3.client("s3", region_name=REGION).create_bucket(Bucket="org-audit-logs")
    cloudtrail = boto3.client("cloudtrail", region_name=REGION)
    cloudtrail.create_trail(Name=TRAIL, S3BucketName="org-audit-logs", IsMultiRegionTrail=True)
    cloudtrail.start_logging(Name=TRAIL)
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    for table, key in (("idempotency", "id"), ("trail-snapshots", "trail")):
        dynamodb.create_table(
            TableName=table,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
            KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
        )
    sns = boto3.client("sns", region_name=REGION)
    topic = sns.create_topic(Name="edgeguard-dev-alerts")["TopicArn"]
    sqs = boto3.client("sqs", region_name=REGION)
    queue_url = sqs.create_queue(QueueName="alerts-tap")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn["Attributes"]["QueueArn"])
    return cloudtrail, topic, sqs, queue_url


def _logging(cloudtrail: Any) -> bool:
    return bool(cloudtrail.get_trail_status(Name=TRAIL)["IsLogging"])


def _sns_records(sqs: Any, queue_url: str, topic: str) -> list[dict[str, Any]]:
    """What SNS would hand the notifier: one Lambda SNS event per published alert."""
    got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
    events = []
    for message in got.get("Messages", []):
        body = json.loads(message["Body"])
        sns = {"Message": body["Message"], "Subject": body.get("Subject"), "TopicArn": topic}
        events.append({"Records": [{"EventSource": "aws:sns", "Sns": sns}]})
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return events
