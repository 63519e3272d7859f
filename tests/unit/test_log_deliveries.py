"""WAF records however they are delivered, and the ALB's other logs, recognised by content."""

from __future__ import annotations

import base64
import gzip
import json
from datetime import UTC, datetime, timedelta

import pytest

from edgeguard.logs import alb, waf
from edgeguard.logs.reader import detect, read_log
from edgeguard.logs.service import Unreadable
from edgeguard_tools import log_samples as samples
from edgeguard_tools.local.delivery.logs_subscription import matches, subscription_event

T0 = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)


def records(n: int = 3) -> list[str]:
    return [
        samples.waf_record(T0 + timedelta(seconds=i), "203.0.113.68", "/login", "BLOCK")
        for i in range(n)
    ]


def clients(data: bytes, key: str = "no-hint") -> list[str]:
    return read_log(data, key).frame["client"].to_list()


def test_cloudwatch_logs_export_lines_are_read_after_their_timestamp():
    text = "".join(f"2026-11-20T14:00:0{i}.000Z {r}\n" for i, r in enumerate(records()))
    assert detect(text.encode()) == "waf"
    assert clients(gzip.compress(text.encode())) == ["203.0.113.68"] * 3


def test_a_subscription_message_is_read_and_a_control_message_holds_nothing():
    event = subscription_event(
        "aws-waf-logs-edgeguard-dev",
        "s",
        "f",
        [{"id": str(i), "timestamp": 0, "message": r} for i, r in enumerate(records())],
    )
    payload = base64.b64decode(event["awslogs"]["data"])
    assert clients(payload) == ["203.0.113.68"] * 3
    control = json.dumps(
        {
            "messageType": "CONTROL_MESSAGE",
            "owner": "CloudwatchLogs",
            "logGroup": "",
            "logStream": "",
            "subscriptionFilters": [],
            "logEvents": [
                {"id": "", "timestamp": 0, "message": "CWL CONTROL MESSAGE: Checking health"}
            ],
        }
    ).encode()
    parsed = waf.parse(control)
    assert (parsed.lines, parsed.skipped) == (0, 0)


def test_firehose_concatenated_records_with_whitespace_between_them():
    line = "".join(records(2)) + "  " + records(1)[0]
    parsed = read_log(line.encode(), "")
    assert (parsed.lines, parsed.skipped) == (3, 0)


HEALTH = (
    "http 2026-11-20T14:05:00.123456Z 0.004 10.0.1.15:8080 "
    "targetgroup/app/73e2d6bc24d8a067 PASS 200 -\n"
)
CONNECTION = (
    "2026-11-20T14:05:00.100000Z 45.155.205.23 50000 443 TLSv1.3 "
    "TLS_AES_128_GCM_SHA256 2.105 - - - Success TID_0\n"
)


@pytest.mark.parametrize(
    ("text", "reason"),
    [(HEALTH, alb.HEALTH_CHECK_LOG), (CONNECTION, alb.CONNECTION_LOG)],
)
def test_alb_connection_and_health_check_logs_are_skipped_with_a_reason(text, reason):
    for data in (text.encode() * 3, gzip.compress(text.encode() * 3)):
        parsed = read_log(data, "alb/x.log.gz")
        assert parsed.ignored == f"{reason}; 3 line(s) not read"
        assert (parsed.lines, parsed.skipped, parsed.frame.height) == (0, 0, 0)


def test_an_alb_access_log_is_not_mistaken_for_the_other_logs():
    line = samples.alb_line(T0, "203.0.113.5", "/", 200)
    assert alb.kind(line.encode()) is None
    assert read_log(line.encode(), "").ignored == ""


def test_alb_escapes_in_the_user_agent_become_characters():
    line = samples.alb_line(T0, "203.0.113.5", "/", 200, ua="sqlmap\\x2f1.8 \\x22x\\x22")
    assert read_log(line.encode(), "").frame["ua"].to_list() == ['sqlmap/1.8 "x"']


@pytest.mark.parametrize(
    ("key", "prefix"),
    [
        (
            "AWSLogs/1/WAFLogs/cloudfront/acl/2026/11/20/14/00/x.log.gz",
            "AWSLogs/1/WAFLogs/cloudfront/acl/",
        ),
        ("AWSLogs/1/CloudFront/year=2026/month=11/x.gz", "AWSLogs/1/CloudFront/"),
        ("cloudfront/E1.2026-11-20-14.a.gz", "cloudfront/"),
        ("x.log", ""),
    ],
)
def test_alerts_group_unreadable_objects_by_their_undated_prefix(key, prefix):
    assert Unreadable(key, "r").prefix == prefix


def test_local_subscription_filter_patterns():
    assert matches("", "anything")
    assert matches('BLOCK "203.0.113.68"', records(1)[0])
    assert not matches("ALLOW", records(1)[0])
    with pytest.raises(NotImplementedError):
        matches('{ $.action = "BLOCK" }', records(1)[0])
