"""What reaches the alerts topic besides edgeguard's own alerts: odd JSON, composite and
metric-math alarm notifications, and characters Telegram (or UTF-16) cannot take."""

from __future__ import annotations

import json

from edgeguard.notify.telegram_format import render, telegram_length


def test_a_lone_surrogate_in_an_alert_field_is_replaced_not_a_crash():
    # json.dumps writes a lone surrogate as "\ud800"; json.loads brings it back.
    message = json.dumps({"kind": "log-block", "title": "probe", "fields": {"ua": "x\ud800y"}})
    (text,) = render(message)
    assert "x\ufffdy" in text
    assert telegram_length(text) > 0  # encodable


def test_control_characters_in_plain_text_are_replaced():
    (text,) = render("path /a\x00b\x1bc", "Subject \x07")
    assert "\x00" not in text and "\x1b" not in text and "\x07" not in text
    assert "/a\ufffdb\ufffdc" in text


def test_json_that_is_not_an_object_is_shown_as_text():
    for message in ('["a", "b"]', '"just a string"', "42", "null"):
        assert render(message) == [message.replace("&", "&amp;")]


def test_composite_alarm_shows_its_rule():
    message = json.dumps(
        {
            "AlarmName": "edgeguard-prod-edge-degraded",
            "AlarmDescription": "WAF blocking and 5xx both high",
            "AWSAccountId": "123456789012",
            "NewStateValue": "ALARM",
            "NewStateReason": "arn:...:alarm:a transitioned to ALARM",
            "StateChangeTime": "2026-11-22T01:00:00.000+0000",
            "Region": "US East (N. Virginia)",
            "AlarmArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:edgeguard-prod-edge",
            "OldStateValue": "OK",
            "AlarmRule": 'ALARM("waf-blocked") AND ALARM("alb-5xx")',
        }
    )
    (text,) = render(message)
    assert '<b>Rule</b>: ALARM("waf-blocked") AND ALARM("alb-5xx")' in text


def test_metric_math_alarm_lists_its_queries():
    message = json.dumps(
        {
            "AlarmName": "blocked-ratio",
            "NewStateValue": "ALARM",
            "OldStateValue": "OK",
            "NewStateReason": "Threshold Crossed",
            "AlarmArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:blocked-ratio",
            "Trigger": {
                "Period": 60,
                "EvaluationPeriods": 1,
                "ComparisonOperator": "GreaterThanThreshold",
                "Threshold": 0.2,
                "Metrics": [
                    {"Id": "ratio", "Expression": "blocked / allowed", "ReturnData": True},
                    {
                        "Id": "blocked",
                        "MetricStat": {
                            "Metric": {"Namespace": "AWS/WAFV2", "MetricName": "BlockedRequests"},
                            "Period": 60,
                            "Stat": "Sum",
                        },
                        "ReturnData": False,
                    },
                ],
            },
        }
    )
    (text,) = render(message)
    assert "ratio: blocked / allowed" in text
    assert "blocked: AWS/WAFV2/BlockedRequests" in text
