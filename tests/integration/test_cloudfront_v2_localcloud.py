"""CloudFront v2 and real-time logs through the deployed routes of the local cloud.

Standard logging v2 objects at the keys AWS writes (default and Hive layouts) reach the
analyzer through the bucket notification; real-time records reach it as Firehose
objects in S3 and, with CloudFrontRealtimeLogs=enabled, put on the template's Kinesis
stream. Each case's right result: A and B banned, C not.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from edgeguard_tools.local.cloud import LocalCloud

FIXTURES = Path(__file__).parent.parent / "fixtures" / "logs"
BANNED = {"45.155.205.23/32", "2a02:c207:2051:1234::/64"}
HIVE = "AWSLogs/aws-account-id=123456789012/CloudFront/DistributionId=E2EXAMPLE4RT7Q/"


def decisions(cloud: LocalCloud) -> dict[str, str]:
    items = cloud.client("dynamodb").scan(TableName=cloud.resource("DecisionsTable"))["Items"]
    return {item["value"]["S"]: item["reason"]["S"] for item in items}


def fixture(case: str) -> tuple[str, bytes]:
    (path,) = [p for p in (FIXTURES / case).rglob("*") if p.is_file()]
    return path.relative_to(FIXTURES / case).as_posix(), path.read_bytes()


@pytest.mark.parametrize(
    ("case", "hive"),
    [
        ("cloudfront-v2-json", False),
        ("cloudfront-v2-parquet", False),
        ("cloudfront-v2-w3c-chosen-fields", False),
        ("cloudfront-v2-json", True),
        ("cloudfront-realtime", False),
    ],
)
def test_objects_at_aws_keys_give_the_right_result(case, hive):
    key, body = fixture(case)
    if hive:
        key = HIVE + "2026/11/20/14/" + key.rsplit("/", 1)[1]
    with LocalCloud() as cloud:
        cloud.put_object("LogBucket", key, body)
        found = decisions(cloud)
        assert set(found) == BANNED
        assert "81.2.69.142/32" not in found
        assert any("45.155.205.23/32" in m["text"] for m in cloud.telegram_messages)


def test_realtime_records_on_the_kinesis_stream_give_the_right_result():
    _, body = fixture("cloudfront-realtime")
    lines = gzip.decompress(body).decode().splitlines()
    with LocalCloud(parameters={"CloudFrontRealtimeLogs": "enabled"}) as cloud:
        stream = cloud.resource("RealtimeLogStream")
        kinesis = cloud.client("kinesis")
        for start in range(0, len(lines), 6):  # several batches: state adds up across them
            kinesis.put_records(
                StreamName=stream,
                Records=[
                    {"Data": line.encode(), "PartitionKey": line[:8]}
                    for line in lines[start : start + 6]
                ],
            )
            cloud.tick()
        found = decisions(cloud)
        assert set(found) == BANNED
        ran = {c.logical_id for c in cloud.invocations}
        assert "RealtimeLogAnalyzerFunction" in ran
        environment = cloud.function_environment("LogAnalyzerFunction")
        # One judge per request: standard logs are read but not judged beside real-time.
        assert environment["DETECTION_SKIP_SOURCES"] == "alb,cloudfront"


def test_standard_logs_are_not_judged_twice_when_realtime_is_on():
    key, body = fixture("cloudfront-v2-json")
    with LocalCloud(parameters={"CloudFrontRealtimeLogs": "enabled"}) as cloud:
        cloud.put_object("LogBucket", key, body)
        assert decisions(cloud) == {}
        assert "LogAnalyzerFunction" in {c.logical_id for c in cloud.invocations}
        assert cloud.failures == []  # read and counted, not judged, not failed


def test_a_realtime_batch_that_keeps_failing_lands_in_the_dead_letter_queue():
    with LocalCloud(parameters={"CloudFrontRealtimeLogs": "enabled"}, raise_errors=False) as cloud:
        cloud.client("kinesis").put_record(
            StreamName=cloud.resource("RealtimeLogStream"), Data=b"c-ip only\n", PartitionKey="x"
        )
        for _ in range(5):
            cloud.tick()
        dead = (
            cloud.client("sqs")
            .receive_message(QueueUrl=cloud.resource("LogDeadLetterQueue"), MaxNumberOfMessages=10)
            .get("Messages", [])
        )
        assert len(dead) == 1
        info = json.loads(dead[0]["Body"])["KinesisBatchInfo"]
        assert info["batchSize"] == 1
        assert info["streamArn"] == cloud.attribute("RealtimeLogStream", "Arn")
