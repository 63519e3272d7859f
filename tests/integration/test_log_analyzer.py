"""The analyzer as deployed: template wiring, cross-file aggregation in DynamoDB, SQS batches."""

from __future__ import annotations

import copy
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from moto import mock_aws

from edgeguard.decisions import DynamoDecisionStore, MemoryStore
from edgeguard.logs.analyzer import Replay, analyze_object
from edgeguard.logs.service import Dependencies, record_handler_for
from edgeguard.logs.settings import DetectionSettings
from edgeguard.logs.state import DynamoStateStore, MemoryStateStore
from edgeguard_tools import log_samples as samples
from edgeguard_tools.events import load_event, project_root
from edgeguard_tools.local.handlers import LocalContext, environment, load_handler
from edgeguard_tools.local.template import default_template_path, load_template
from tests.decisions_support import alerts_seen, create_world
from tests.template_tables import create_table

T0 = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(default_template_path())


def create_state_table(dynamodb: Any, template: dict[str, Any]) -> str:
    """The DetectionStateTable exactly as template.yaml declares it."""
    return create_table(dynamodb, "DetectionStateTable", "detection-state")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


# ----------------------------------------------------------------- wiring


def test_template_wires_buckets_queue_dlq_and_function(template):
    res = template["Resources"]
    function = res["LogAnalyzerFunction"]["Properties"]
    queue = res["LogQueue"]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * function["Timeout"]
    # polars rides in its own layer: only the analyzer carries it.
    assert function["Layers"] == [{"Ref": "DetectionLayer"}]
    assert res["DetectionLayer"]["Properties"]["ContentUri"] == "layers/detection/"
    assert queue["KmsMasterKeyId"] == {"Ref": "EdgeguardKey"}
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["LogDeadLetterQueue", "Arn"]
    }
    event = function["Events"]["LogObject"]["Properties"]
    assert event["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    prefixes = {
        (bucket, rule["Filter"]["S3Key"]["Rules"][0]["Value"])
        for bucket in ("LogBucket", "WafLogBucket")
        for rule in res[bucket]["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
        if rule["Queue"] == {"Fn::GetAtt": ["LogQueue", "Arn"]}
        and rule["Event"] == "s3:ObjectCreated:*"
    }
    assert prefixes == {
        ("LogBucket", "cloudfront/"),
        ("LogBucket", "alb/"),
        ("LogBucket", "AWSLogs/"),  # standard logging v2, default and Hive layouts
        ("LogBucket", "cf-realtime/"),  # real-time logs a Firehose writes to S3
        ("WafLogBucket", "AWSLogs/"),
    }
    statement = res["LogQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert set(statement["Condition"]) == {"ArnLike", "StringEquals"}
    alarm = res["LogDeadLetterAlarm"]["Properties"]
    assert alarm["AlarmActions"] == [{"Ref": "AlertsTopic"}]
    table = res["DetectionStateTable"]["Properties"]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert table["SSESpecification"]["KMSMasterKeyId"] == {"Ref": "EdgeguardKey"}


# ----------------------------------------------------------------- aggregation


def spread_attack() -> list[str]:
    """One client's behaviour: a probe run, a sensitive-file sweep and a flood, plus visitors."""
    rng = random.Random(11)
    attacker = "203.0.113.77"
    lines = [
        samples.cloudfront_line(at(i * 0.4), attacker, f"/probe/{w}", 404)
        for i, w in enumerate(f"w{chr(97 + a)}{chr(97 + b)}" for a in range(6) for b in range(8))
    ]
    lines += [
        samples.cloudfront_line(at(30 + i * 3), attacker, p, 404)
        for i, p in enumerate(["/.env", "/.git/config", "/backup.sql"])
    ]
    flooder = "198.51.100.200"
    lines += [
        samples.cloudfront_line(at(100 + i / 500), flooder, "/login", 200, method="POST")
        for i in range(25000)
    ]
    lines += [
        samples.cloudfront_line(at(rng.random() * 600), f"198.51.100.{rng.randrange(1, 99)}", "/")
        for _ in range(500)
    ]
    return lines


def into_files(lines: list[str], count: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    buckets: list[list[str]] = [[] for _ in range(count)]
    for line in lines:
        buckets[rng.randrange(count)].append(line)
    return [samples.cloudfront_object(chunk) for chunk in buckets]


def decided(outcomes) -> set[tuple[str, str, str]]:
    return {(o.verdict.client, o.verdict.scenario, o.request.action) for o in outcomes}


@mock_aws
def test_twenty_shuffled_files_give_the_same_decisions_as_one(template):
    lines = spread_attack()
    one = Replay()
    one.add_bytes(samples.cloudfront_object(lines))
    expected = decided(one.decide(MemoryStore()))
    assert expected == {
        ("203.0.113.77", "path_probing", "ban"),
        ("203.0.113.77", "sensitive_files", "ban"),
        ("198.51.100.200", "request_flood", "ban"),
    }

    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    store = DynamoStateStore(dynamodb, create_state_table(dynamodb, template))
    sink = MemoryStore()
    files = into_files(lines, 20, seed=3)
    order = list(range(20))
    random.Random(9).shuffle(order)
    outcomes = []
    for index in order:
        key = f"cloudfront/E2EXAMPLE.2026-11-20-14.{index:08x}.gz"
        report = analyze_object(
            files[index], key, settings=DetectionSettings(), store=store, sink=sink, now=NOW
        )
        outcomes += report.outcomes
    assert decided(outcomes) == expected
    # Each (client, scenario) is recorded once, not once per file after the threshold.
    assert len(outcomes) == len(expected)
    assert {d.value for d in sink.decisions.values()} == {"203.0.113.77/32", "198.51.100.200/32"}

    # A retried file (SQS redelivery) changes nothing.
    again = analyze_object(
        files[order[0]],
        f"cloudfront/E2EXAMPLE.2026-11-20-14.{order[0]:08x}.gz",
        settings=DetectionSettings(),
        store=store,
        sink=sink,
        now=NOW,
    )
    assert again.outcomes == []


def test_memory_state_store_gives_the_same_answer():
    lines = spread_attack()
    store, sink, outcomes = MemoryStateStore(), MemoryStore(), []
    for index, body in reversed(list(enumerate(into_files(lines, 20, seed=5)))):
        outcomes += analyze_object(
            body, f"f{index}", settings=DetectionSettings(), store=store, sink=sink, now=NOW
        ).outcomes
    assert {(c, s) for c, s, _ in decided(outcomes)} == {
        ("203.0.113.77", "path_probing"),
        ("203.0.113.77", "sensitive_files"),
        ("198.51.100.200", "request_flood"),
    }


# ----------------------------------------------------------------- the SQS batch


def sqs_record(
    template_event: dict[str, Any], bucket: str, key: str, message_id: str
) -> dict[str, Any]:
    record = copy.deepcopy(template_event["Records"][0])
    body = json.loads(record["body"])
    body["Records"][0]["s3"]["bucket"]["name"] = bucket
    body["Records"][0]["s3"]["object"]["key"] = key.replace(" ", "+")
    record["body"] = json.dumps(body)
    record["messageId"] = message_id
    return record


@mock_aws
def test_sqs_batch_partial_failure_and_test_events(template):
    s3 = boto3.client("s3", region_name="us-east-1")
    sns = boto3.client("sns", region_name="us-east-1")
    sqs = boto3.client("sqs", region_name="us-east-1")
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    bucket = "edgeguard-dev-logs-123456789012"
    s3.create_bucket(Bucket=bucket)
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    inbox = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=inbox_arn)

    attacker = "203.0.113.99"
    good_key = "cloudfront/E2EXAMPLE1234.2026-11-20-14.4f8a3c21.gz"
    attack = [
        samples.cloudfront_line(at(i), attacker, "/search", 200, "q=%27%20OR%201=1--")
        for i in range(4)
    ]
    s3.put_object(Bucket=bucket, Key=good_key, Body=samples.cloudfront_object(attack))
    s3.put_object(
        Bucket=bucket,
        Key="cloudfront/E2EXAMPLE1234.2026-11-20-14.corrupt.gz",
        Body=b"\x1f\x8b\x08\x00" + b"\x00" * 40,
    )
    spaced = "alb/AWSLogs/123456789012/elasticloadbalancing/us-east-1/2026/11/20/with space.log.gz"
    s3.put_object(
        Bucket=bucket,
        Key=spaced,
        Body=samples.alb_object([samples.alb_line(at(1), "198.51.100.3", "/")]),
    )

    shape = load_event("sqs_s3_cloudfront_log")
    event = {
        "Records": [
            sqs_record(shape, bucket, good_key, "good"),
            sqs_record(
                shape, bucket, "cloudfront/E2EXAMPLE1234.2026-11-20-14.corrupt.gz", "corrupt"
            ),
            sqs_record(shape, bucket, "cloudfront/E2EXAMPLE1234.2026-11-20-14.gone.gz", "missing"),
            load_event("sqs_s3_test_event")["Records"][0],
            sqs_record(shape, bucket, spaced, "spaced"),
        ]
    }
    sink = MemoryStore()
    deps = Dependencies(
        s3=s3,
        store=DynamoStateStore(dynamodb, create_state_table(dynamodb, template)),
        sink=sink,
        settings=DetectionSettings(),
        sns=sns,
        alerts_topic_arn=topic,
    )
    reports: list = []
    response = process_partial_response(
        event=event,
        record_handler=record_handler_for(deps, reports),
        processor=BatchProcessor(event_type=EventType.SQS),
    )
    assert sorted(f["itemIdentifier"] for f in response["batchItemFailures"]) == [
        "corrupt",
        "missing",
    ]
    assert [(r.key, r.format) for r in reports] == [(good_key, "cloudfront"), (spaced, "alb")]
    assert [(d.value, d.reason, d.origin) for d in sink.decisions.values()] == [
        (f"{attacker}/32", "sqli_probing", "log")
    ]
    messages = sqs.receive_message(QueueUrl=inbox, MaxNumberOfMessages=10)["Messages"]
    alert = json.loads(json.loads(messages[0]["Body"])["Message"])
    assert alert["kind"] == "log-ban"
    assert f"{attacker}/32 (sqli_probing)" in alert["fields"]["clients"]


def test_sample_events_are_real_shaped():
    for name in ("sqs_s3_cloudfront_log", "sqs_s3_alb_log", "sqs_s3_waf_log"):
        record = load_event(name)["Records"][0]
        assert record["eventSource"] == "aws:sqs"
        notification = json.loads(record["body"])["Records"][0]
        assert notification["eventSource"] == "aws:s3"
        assert notification["eventName"].startswith("ObjectCreated:")
    assert Path(project_root() / "events" / "sqs_s3_test_event.json").is_file()


# ----------------------------------------------------------------- the deployed handler


@mock_aws
def test_function_handler_records_into_the_decision_store(template):
    world = create_world()
    dynamodb = boto3.client("dynamodb")
    state = create_state_table(dynamodb, template)
    s3 = boto3.client("s3")
    bucket = "edgeguard-test-logs-123456789012"
    s3.create_bucket(Bucket=bucket)
    key = "cloudfront/E2EXAMPLE1234.2026-11-20-14.4f8a3c21.gz"
    attacker = "203.0.113.150"
    lines = [
        samples.cloudfront_line(at(i), attacker, p, 404)
        for i, p in enumerate(["/.env", "/.git/config", "/.aws/credentials"])
    ]
    s3.put_object(Bucket=bucket, Key=key, Body=samples.cloudfront_object(lines))
    event = {"Records": [sqs_record(load_event("sqs_s3_cloudfront_log"), bucket, key, "m1")]}
    env = {
        "DETECTION_STATE_TABLE": state,
        "DECISIONS_TABLE": world.table,
        "ALERTS_TOPIC_ARN": world.topic_arn,
        "DETECTION_OVERRIDES": "{}",
        "ALLOWLIST_CIDRS": ",",
    }
    with environment(env):
        handler = load_handler("functions/log_analyzer", fresh=True)
        response = handler(event, LocalContext(function_name="log-analyzer"))
    assert response == {"batchItemFailures": []}
    stored = DynamoDecisionStore(world.table, client=dynamodb).get(f"{attacker}/32")
    assert [(d.action, d.origin, d.reason) for d in stored] == [("ban", "log", "sensitive_files")]
    assert any(alert["kind"] == "log-ban" for alert in alerts_seen(world))


@mock_aws
def test_function_handler_reads_a_cloudwatch_logs_subscription_delivery(template):
    """events/cloudwatch_logs_waf_subscription.json: the waf-cloudwatch-logs-subscription case
    as Lambda receives it (base64 of the gzip'd message under awslogs.data)."""
    world = create_world()
    dynamodb = boto3.client("dynamodb")
    state = create_state_table(dynamodb, template)
    env = {
        "DETECTION_STATE_TABLE": state,
        "DECISIONS_TABLE": world.table,
        "ALERTS_TOPIC_ARN": world.topic_arn,
        "DETECTION_OVERRIDES": "{}",
        "ALLOWLIST_CIDRS": ",",
    }
    with environment(env):
        handler = load_handler("functions/log_analyzer", fresh=True)
        response = handler(
            load_event("cloudwatch_logs_waf_subscription"),
            LocalContext(function_name="log-analyzer"),
        )
    assert response == {"analyzed": True}
    store = DynamoDecisionStore(world.table, client=dynamodb)
    for value in ("45.155.205.23/32", "2a02:c207:2051:1234::/64", "193.142.146.35/32"):
        assert store.get(value), value
    assert not store.get("81.2.69.142/32")
