"""The alert gate: once per (kind, key) per window, agreed through DynamoDB (moto)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
from moto import mock_aws

from edgeguard.notify.alert import Alert
from edgeguard.notify.digest import AlertGate, announce
from tests.template_tables import create_table

NOW = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@mock_aws
def test_the_first_call_in_a_window_passes_and_the_window_ends():
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    gate = AlertGate(dynamodb, create_table(dynamodb, "DetectionStateTable", "state"))
    assert gate.first_in_window("log-unreadable", "p|r", HOUR, NOW)
    assert not gate.first_in_window("log-unreadable", "p|r", HOUR, NOW + timedelta(minutes=59))
    assert gate.first_in_window("log-unreadable", "other", HOUR, NOW)  # another problem
    assert gate.first_in_window("origin-bypass", "p|r", HOUR, NOW)  # another kind
    assert gate.first_in_window("log-unreadable", "p|r", HOUR, NOW + HOUR)


@mock_aws
def test_announce_publishes_once_per_window():
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    sns = boto3.client("sns", region_name="us-east-1")
    sqs = boto3.client("sqs", region_name="us-east-1")
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="seen")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn["Attributes"]["QueueArn"])
    gate = AlertGate(dynamodb, create_table(dynamodb, "DetectionStateTable", "state"))
    alert = Alert(kind="log-unreadable", title="1 log files from x/ could not be read: y")
    sent = [announce(sns, topic, alert, gate=gate, key="x/|y", now=NOW) for _ in range(3)]
    assert [bool(message_id) for message_id in sent] == [True, False, False]
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 1
    assert "could not be read" in json.loads(messages[0]["Body"])["Message"]
