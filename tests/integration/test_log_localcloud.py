"""Log objects through the template's own wiring: bucket notification -> queue -> analyzer."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote_plus

from edgeguard_tools import log_samples as samples
from edgeguard_tools.local.cloud import LocalCloud

T0 = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
CF_KEY = "cloudfront/E2EXAMPLE1234.2026-11-20-14.{}.gz"


def sweep(ip: str) -> bytes:
    paths = ["/.env", "/.git/config", "/.aws/credentials"]
    return samples.cloudfront_object(
        [
            samples.cloudfront_line(T0 + timedelta(seconds=i), ip, p, 404)
            for i, p in enumerate(paths)
        ]
    )


def decisions(cloud: LocalCloud) -> dict[str, dict]:
    items = cloud.client("dynamodb").scan(TableName=cloud.resource("DecisionsTable"))["Items"]
    return {item["value"]["S"]: item for item in items}


def test_log_objects_in_every_bucket_become_decisions_and_alerts():
    with LocalCloud() as cloud:
        cloud.put_object("LogBucket", CF_KEY.format("a1"), sweep("203.0.113.66"))
        alb = [
            samples.alb_line(
                T0 + timedelta(seconds=i), "203.0.113.67", "/p", 200, "id=1%27%20OR%201=1--"
            )
            for i in range(3)
        ]
        cloud.put_object(
            "LogBucket",
            "alb/AWSLogs/123456789012/elasticloadbalancing/us-east-1/2026/11/20/x_app.log.gz",
            samples.alb_object(alb),
        )
        waf = [
            samples.waf_record(T0 + timedelta(seconds=i * 5), "203.0.113.68", "/login", "BLOCK")
            for i in range(12)
        ]
        cloud.put_object(
            "WafLogBucket",
            "AWSLogs/123456789012/WAFLogs/cloudfront/edgeguard-dev/2026/11/20/14/00/x.log.gz",
            samples.waf_object(waf),
        )
        found = decisions(cloud)
        # The ALB only admits CloudFront, so its log's clients are edge servers: the
        # template has the analyzer read ALB logs without judging them.
        assert {value: item["reason"]["S"] for value, item in found.items()} == {
            "203.0.113.66/32": "sensitive_files",
            "203.0.113.68/32": "waf_blocked",
        }
        assert all(item["origin"]["S"] == "log" for item in found.values())
        texts = [m["text"] for m in cloud.telegram_messages]
        assert any("203.0.113.66/32 (sensitive_files)" in t for t in texts)


def test_a_corrupt_object_ends_in_the_dead_letter_queue_alone():
    with LocalCloud(parameters={"LogMaxReceiveCount": 2}) as cloud:
        cloud.put_object("LogBucket", CF_KEY.format("bad"), b"\x1f\x8b\x08\x00" + b"\x00" * 40)
        cloud.put_object("LogBucket", CF_KEY.format("ok"), sweep("203.0.113.70"))
        assert "203.0.113.70/32" in decisions(cloud)
        cloud.tick(minutes=13)  # past the 720 s visibility timeout, twice
        cloud.tick(minutes=13)
        sqs = cloud.client("sqs")
        dead = sqs.receive_message(
            QueueUrl=cloud.resource("LogDeadLetterQueue"), MaxNumberOfMessages=10
        ).get("Messages", [])
        assert len(dead) == 1
        record = json.loads(dead[0]["Body"])["Records"][0]
        assert unquote_plus(record["s3"]["object"]["key"]) == CF_KEY.format("bad")
