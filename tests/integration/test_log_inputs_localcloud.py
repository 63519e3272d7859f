"""Log inputs through their deployed routes in the local cloud (template wiring, moto).

- WAF logs in CloudWatch Logs: the template's subscription filter hands them to the analyzer.
- WAF records concatenated on one line (Firehose), an ALB connection log, origin-ACL
  records: S3 objects through the bucket notification and the log queue.
- A file with lines and nothing readable: the record fails, is retried, lands in the
  dead-letter queue, and the team is told once on Telegram.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from urllib.parse import unquote_plus

from edgeguard_tools.local.cloud import LocalCloud

CASES = Path(__file__).parent.parent / "fixtures" / "logs"
WAF_PREFIX = "AWSLogs/123456789012/WAFLogs/cloudfront/edgeguard-dev/"
ORIGIN_PREFIX = "AWSLogs/123456789012/WAFLogs/us-east-1/edgeguard-dev-origin/"


def decisions(cloud: LocalCloud) -> dict[str, str]:
    items = cloud.client("dynamodb").scan(TableName=cloud.resource("DecisionsTable"))["Items"]
    return {item["value"]["S"]: item["reason"]["S"] for item in items}


def dead_letters(cloud: LocalCloud) -> list[dict]:
    return (
        cloud.client("sqs")
        .receive_message(QueueUrl=cloud.resource("LogDeadLetterQueue"), MaxNumberOfMessages=10)
        .get("Messages", [])
    )


def only_file(folder: Path) -> Path:
    (found,) = [p for p in folder.iterdir() if p.is_file()]
    return found


def test_waf_logs_in_cloudwatch_logs_reach_the_analyzer_through_the_subscription_filter():
    payload = json.loads(
        gzip.decompress(
            (CASES / "waf-cloudwatch-logs-subscription")
            .joinpath("cwl-subscription-payload.json.gz")
            .read_bytes()
        )
    )
    messages = [event["message"] for event in payload["logEvents"]]
    with LocalCloud(parameters={"WafLogDestination": "CloudWatchLogs"}) as cloud:
        reached = cloud.put_log_events(
            "WafLogGroup", payload["logStream"], messages, payload["logEvents"][0]["timestamp"]
        )
        assert reached == ["LogAnalyzerFunction"]
        found = decisions(cloud)
        assert set(found) == {"45.155.205.23/32", "2a02:c207:2051:1234::/64", "193.142.146.35/32"}
        assert found["193.142.146.35/32"] == "waf_blocked"
        assert "81.2.69.142/32" not in found
        assert not cloud.failures


def test_the_template_logs_waf_to_s3_unless_cloudwatch_logs_is_chosen():
    with LocalCloud() as cloud:
        assert "WafLogGroup" not in cloud.template.resources()
        assert "WafLogSubscription" not in cloud.template.resources()


def test_concatenated_waf_records_in_an_s3_object_ban_like_their_control():
    body = only_file(CASES / "waf-concatenated-records").read_bytes()
    with LocalCloud() as cloud:
        cloud.put_object(
            "WafLogBucket", f"{WAF_PREFIX}2026/11/20/14/00/concat.log.gz", gzip.compress(body)
        )
        assert decisions(cloud) == {"203.0.113.66/32": "waf_blocked"}


def test_an_alb_connection_log_is_skipped_with_its_reason_and_never_fails(caplog):
    path = only_file(next((CASES / "alb-connection-log").rglob("20")))
    key = str(path.relative_to(CASES / "alb-connection-log"))
    with LocalCloud(parameters={"LogMaxReceiveCount": 2}) as cloud:
        cloud.put_object("LogBucket", key, path.read_bytes())
        cloud.tick(minutes=13)
        assert not cloud.failures
        assert dead_letters(cloud) == []
        assert decisions(cloud) == {}
        assert cloud.telegram_messages == []
    analyzed = [r for r in caplog.records if r.getMessage() == "log object analyzed"]
    assert len(analyzed) == 1
    assert analyzed[0].ignored.startswith("an ALB connection log")
    assert (analyzed[0].lines, analyzed[0].skipped) == (0, 0)


def test_origin_acl_records_never_ban_the_edge_server_and_alert_once_naming_the_viewer():
    body = (CASES / "waf-origin-acl-edge-address" / "origin-acl-waf.log.gz").read_bytes()
    with LocalCloud() as cloud:
        cloud.put_object("WafLogBucket", f"{ORIGIN_PREFIX}2026/11/20/14/00/a.log.gz", body)
        cloud.put_object("WafLogBucket", f"{ORIGIN_PREFIX}2026/11/20/14/05/b.log.gz", body)
        assert decisions(cloud) == {}
        texts = [str(m["text"]) for m in cloud.telegram_messages]
        assert len(texts) == 1, texts
        assert "without the origin secret reached the ALB" in texts[0]
        assert "198.51.100.200" in texts[0] and "130.176.89.14" not in texts[0]


def test_a_file_with_lines_and_nothing_readable_alerts_once_and_ends_in_the_dlq():
    bad = b'{"httpRequest": {"clientIp": "not-an-ip"}}\n{"httpRequest": 7}\n'
    key = f"{WAF_PREFIX}2026/11/20/14/00/broken.log.gz"
    with LocalCloud(parameters={"LogMaxReceiveCount": 2}, raise_errors=False) as cloud:
        cloud.put_object("WafLogBucket", key, gzip.compress(bad))
        cloud.tick(minutes=13)  # past the 720 s visibility timeout, twice
        cloud.tick(minutes=13)
        dead = dead_letters(cloud)
        assert len(dead) == 1
        record = json.loads(dead[0]["Body"])["Records"][0]
        assert unquote_plus(record["s3"]["object"]["key"]) == key
        texts = [str(m["text"]) for m in cloud.telegram_messages]
        unreadable = [t for t in texts if "could not be read" in t]
        assert len(unreadable) == 1, texts  # the retry does not alert again within the hour
        assert f"1 log files from {WAF_PREFIX} could not be read" in unreadable[0]
        assert "no line readable as a waf log" in unreadable[0]


def test_an_unreadable_subscription_delivery_is_retried_then_kept_in_the_dlq():
    with LocalCloud(
        parameters={"WafLogDestination": "CloudWatchLogs"}, raise_errors=False
    ) as cloud:
        cloud.put_log_events("WafLogGroup", "s", ["not json", '{"httpRequest": 1}'], 0)
        failed = [i for i in cloud.failures if i.logical_id == "LogAnalyzerFunction"]
        assert len(failed) == 1
        dead = dead_letters(cloud)
        assert len(dead) == 1 and "awslogs" in json.loads(dead[0]["Body"])
        texts = [str(m["text"]) for m in cloud.telegram_messages]
        assert sum("could not be read" in t for t in texts) == 1, texts
