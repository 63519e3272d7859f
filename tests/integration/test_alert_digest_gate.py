"""The digest against moto: the gate admits exactly one alert per window across
concurrent writers, and ``announce`` never loses an alert (oversize or failed publish)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from edgeguard.notify.alert import Alert, message_body, publish
from edgeguard.notify.digest import AlertGate, announce
from tests.template_tables import create_table

NOW = datetime(2026, 11, 30, 5, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
def aws():
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        table = create_table(dynamodb, "DetectionStateTable", "state")
        sns = boto3.client("sns", region_name="us-east-1")
        sqs = boto3.client("sqs", region_name="us-east-1")
        topic = sns.create_topic(Name="alerts")["TopicArn"]
        queue = sqs.create_queue(QueueName="inbox")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
        yield dynamodb, table, sns, topic, sqs, queue


def received(sqs, queue) -> list[dict]:
    """The alerts (the ``default`` JSON) delivered to the subscribed queue."""
    out = []
    while True:
        batch = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        if not batch:
            return out
        for message in batch:
            out.append(json.loads(json.loads(message["Body"])["Message"]))
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])


def test_gate_admits_exactly_one_of_32_concurrent_callers(aws) -> None:
    dynamodb, table, *_ = aws
    gate = AlertGate(dynamodb, table)
    with ThreadPoolExecutor(8) as pool:
        results = list(
            pool.map(lambda _: gate.first_in_window("log-ban", "203.0.113.7", HOUR, NOW), range(32))
        )
    assert results.count(True) == 1
    item = dynamodb.get_item(
        TableName=table, Key={"pk": {"S": "alert#log-ban"}, "sk": {"S": "203.0.113.7"}}
    )["Item"]
    assert item["suppressed"]["N"] == "31"
    assert int(item["expires_at"]["N"]) > NOW.timestamp() + HOUR.total_seconds()


def test_gate_opens_again_after_the_window_and_keys_are_independent(aws) -> None:
    dynamodb, table, *_ = aws
    gate = AlertGate(dynamodb, table)
    assert gate.first_in_window("k", "a", HOUR, NOW)
    assert not gate.first_in_window("k", "a", HOUR, NOW + timedelta(minutes=59))
    assert gate.first_in_window("k", "b", HOUR, NOW)  # another key
    assert gate.first_in_window("other", "a", HOUR, NOW)  # another kind
    assert gate.first_in_window("k", "a", HOUR, NOW + HOUR)


def test_grouped_alerts_say_how_many_were_held_back(aws) -> None:
    dynamodb, table, sns, topic, sqs, queue = aws
    gate = AlertGate(dynamodb, table)
    alert = Alert(kind="feed-error", title="feed unreachable")
    ids = [announce(sns, topic, alert, gate=gate, now=NOW + timedelta(minutes=m)) for m in range(5)]
    assert ids[0] and ids[1:] == [None] * 4
    assert announce(sns, topic, alert, gate=gate, now=NOW + HOUR)
    alerts = received(sqs, queue)
    assert [a["fields"].get("held_back") for a in alerts] == [None, 4]


def test_a_failed_publish_reopens_the_gate_so_the_retry_announces(aws) -> None:
    dynamodb, table, sns, topic, sqs, queue = aws
    gate = AlertGate(dynamodb, table)
    alert = Alert(kind="log-ban", title="3 clients banned")
    missing = topic.replace("alerts", "deleted-topic")
    with pytest.raises(ClientError):
        announce(sns, missing, alert, gate=gate, key="obj", now=NOW)
    assert announce(sns, topic, alert, gate=gate, key="obj", now=NOW + timedelta(seconds=30))
    assert [a["title"] for a in received(sqs, queue)] == ["3 clients banned"]


def test_an_alert_over_256_kb_is_delivered_summarised(aws) -> None:
    _, _, sns, topic, sqs, queue = aws
    clients = [f"198.51.{i // 256}.{i % 256}/32 (path-probing)" for i in range(5000)]
    alert = Alert(kind="log-ban", title="5000 clients banned", fields={"clients": clients})
    raw = {"TopicArn": topic, "MessageStructure": "json", "Message": message_body(alert)}
    with pytest.raises(ClientError, match="too long"):  # what happened before the digest
        sns.publish(**raw)
    publish(sns, topic, alert)
    (delivered,) = received(sqs, queue)
    assert delivered["fields"]["clients_total"] == 5000
    assert delivered["fields"]["clients_by_scenario"] == {"path-probing": 5000}
    shown = delivered["fields"]["clients"]
    assert shown == clients[: len(shown)] and len(shown) > 1000
