"""Issue 14 item 4: a log object that bans 4000 new clients. Before, its alert was
266 KB (over SNS's 256 KB), the publish failed, and SQS's retry found every client
decided and announced nothing. Now the alert is summarised to fit, and what a failed
attempt decided is announced by the retry.

The 4000-client file runs the analyzer's service logic (``record_handler_for`` in
Powertools' batch processor, as the handler does) with S3 and SNS on moto and the
in-memory state and decision stores (the same rules; DynamoDB on moto takes minutes
for 4000 clients here); the deployed handler with DynamoDB runs the same failure with
60 clients."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from moto import mock_aws

from edgeguard.decisions import DynamoDecisionStore, MemoryStore
from edgeguard.logs.service import Dependencies, record_handler_for
from edgeguard.logs.settings import DetectionSettings
from edgeguard.logs.state import MemoryStateStore
from edgeguard_tools import log_samples as samples
from edgeguard_tools.events import load_event
from edgeguard_tools.local.handlers import LocalContext, environment, load_handler
from tests.decisions_support import alerts_seen, create_world
from tests.integration.test_log_analyzer import sqs_record
from tests.template_tables import create_table

T0 = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
CLIENTS = 4000
KEY = "cloudfront/E2EXAMPLE1234.2026-11-20-14.botnet01.gz"


def client(i: int) -> str:
    return f"45.{33 + i // 65536}.{i // 256 % 256}.{i % 256}"


def botnet_object(clients: int) -> bytes:
    """A CloudFront log object in which each client sends two path-traversal requests
    (the scenario's capacity is 1: the second one bans)."""
    lines = [
        samples.cloudfront_line(T0 + timedelta(seconds=i % 600 + n), client(i), path, 400)
        for i in range(clients)
        for n, path in enumerate(("/../../etc/passwd", "/static/../../../etc/shadow"))
    ]
    return samples.cloudfront_object(lines)


def deploy(clients: int) -> tuple:
    """The analyzer's tables, bucket and topic on moto (inside mock_aws), and the
    botnet's log object with ``clients`` clients: (world, state table, SQS event)."""
    world = create_world()
    dynamodb = boto3.client("dynamodb")
    state = create_table(dynamodb, "DetectionStateTable", "detection-state")
    s3 = boto3.client("s3")
    bucket = "edgeguard-test-logs-123456789012"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key=KEY, Body=botnet_object(clients))
    event = {"Records": [sqs_record(load_event("sqs_s3_cloudfront_log"), bucket, KEY, "m1")]}
    return world, state, event


@pytest.fixture(params=[CLIENTS, 60], ids=["4000-clients", "60-clients"])
def deployed(request):
    with mock_aws():
        yield (*deploy(request.param), request.param)


def run_handler(world, state: str, event: dict, topic_arn: str) -> dict:
    """The deployed handler (functions/log_analyzer/app.py) with DynamoDB on moto."""
    env = {
        "DETECTION_STATE_TABLE": state,
        "DECISIONS_TABLE": world.table,
        "ALERTS_TOPIC_ARN": topic_arn,
        "DETECTION_OVERRIDES": "{}",
        "ALLOWLIST_CIDRS": ",",
    }
    with environment(env):
        handler = load_handler("functions/log_analyzer", fresh=True)
        return handler(event, LocalContext(function_name="log-analyzer"))


class InMemory:
    """The same service logic with the in-memory stores; state survives across attempts
    as the DynamoDB tables do."""

    def __init__(self) -> None:
        self.state = MemoryStateStore()
        self.sink = MemoryStore()

    def __call__(self, world, state: str, event: dict, topic_arn: str) -> dict:
        deps = Dependencies(
            s3=boto3.client("s3"),
            store=self.state,
            sink=self.sink,
            settings=DetectionSettings(),
            sns=boto3.client("sns"),
            alerts_topic_arn=topic_arn,
        )
        return dict(
            process_partial_response(
                event=event,
                record_handler=record_handler_for(deps, []),
                processor=BatchProcessor(
                    event_type=EventType.SQS, raise_on_entire_batch_failure=False
                ),
            )
        )


def test_bans_arrive_summarised_and_a_failed_publish_is_announced_on_retry(deployed):
    world, state, event, clients = deployed
    memory = InMemory() if clients == CLIENTS else None
    run = memory or run_handler
    # Attempt 1: SNS refuses the publish (here: the topic is unreachable). The record
    # fails, so SQS will deliver it again.
    unreachable = world.topic_arn.replace(world.topic_arn.split(":")[-1], "gone")
    assert run(world, state, event, unreachable) == {
        "batchItemFailures": [{"itemIdentifier": "m1"}]
    }
    if memory:
        decided = memory.sink.active(T0 + timedelta(minutes=30))
    else:
        store = DynamoDecisionStore(world.table, client=boto3.client("dynamodb"))
        decided = store.active(T0 + timedelta(minutes=30))
    assert len(decided) == clients  # all decided, none announced
    assert alerts_seen(world) == []

    # Attempt 2 (SQS's retry): nothing new to decide, yet every client is announced.
    assert run(world, state, event, world.topic_arn) == {"batchItemFailures": []}
    (alert,) = alerts_seen(world)
    fields = alert["fields"]
    assert alert["kind"] == "log-ban"
    assert alert["title"] == f"{clients} client(s) banned from cloudfront logs"
    assert fields["from_earlier_attempt"] == clients
    everyone = {f"{client(i)}/32" for i in range(clients)}
    shown = {c.split(" ")[0] for c in fields["clients"]}
    if clients == CLIENTS:  # over SNS's limit: summarised, nothing lost
        assert fields["clients_total"] == CLIENTS
        assert fields["clients_by_scenario"] == {"path_traversal": CLIENTS}
        assert "edgeguard decisions" in fields["clients_not_shown"]
        assert 1000 < len(shown) < CLIENTS and shown <= everyone
    else:
        assert shown == everyone

    # A duplicate delivery announces nothing twice.
    assert run(world, state, event, world.topic_arn) == {"batchItemFailures": []}
    assert alerts_seen(world) == []


@mock_aws
def test_4000_bans_in_one_attempt_arrive_in_one_summarised_alert():
    world, state, event = deploy(CLIENTS)
    assert InMemory()(world, state, event, world.topic_arn) == {"batchItemFailures": []}
    (alert,) = alerts_seen(world)
    assert alert["fields"]["clients_total"] == CLIENTS
    assert "from_earlier_attempt" not in alert["fields"]
