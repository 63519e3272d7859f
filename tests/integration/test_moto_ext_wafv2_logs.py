"""Seeding WAF's read APIs from real-shaped WAF log records, then reading them via boto3."""

from __future__ import annotations

from datetime import timedelta

import pytest

from edgeguard import clock
from edgeguard_tools.local import moto_ext


def _visibility(name: str) -> dict:
    return {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": name}


@pytest.fixture
def acl(waf):
    return waf.create_web_acl(
        Name="edge",
        Scope="CLOUDFRONT",
        DefaultAction={"Allow": {}},
        VisibilityConfig=_visibility("EdgeAcl"),
        Rules=[
            {
                "Name": "RateLimit",
                "Priority": 1,
                "Statement": {"RateBasedStatement": {"Limit": 100, "AggregateKeyType": "IP"}},
                "Action": {"Block": {}},
                "VisibilityConfig": _visibility("RateLimitMetric"),
            }
        ],
    )["Summary"]


def _record(acl: dict, client_ip: str, *, rule: str, action: str, seconds_ago: int) -> dict:
    """A WAF log record in the documented format (one JSON object per request)."""
    millis = int((clock.utcnow() - timedelta(seconds=seconds_ago)).timestamp() * 1000)
    record = {
        "timestamp": millis,
        "formatVersion": 1,
        "webaclId": acl["ARN"],
        "terminatingRuleId": rule,
        "terminatingRuleType": "RATE_BASED" if rule == "RateLimit" else "REGULAR",
        "action": action,
        "terminatingRuleMatchDetails": [],
        "httpSourceName": "CF",
        "httpSourceId": "E2EXAMPLE12345",
        "ruleGroupList": [],
        "rateBasedRuleList": [],
        "nonTerminatingMatchingRules": [],
        "requestHeadersInserted": None,
        "responseCodeSent": None,
        "httpRequest": {
            "clientIp": client_ip,
            "country": "DE",
            "headers": [
                {"name": "Host", "value": "app.example.com"},
                {"name": "User-Agent", "value": "curl/8.5.0"},
            ],
            "uri": "/login",
            "args": "next=%2Fhome",
            "httpVersion": "HTTP/2.0",
            "httpMethod": "POST",
            "requestId": "rid-1",
        },
        "labels": [{"name": "awswaf:123456789012:webacl:edge:rate"}],
    }
    if rule == "RateLimit":
        record["rateBasedRuleList"] = [
            {
                "rateBasedRuleId": "rbr-1",
                "rateBasedRuleName": "RateLimit",
                "limitKey": "IP",
                "maxRateAllowed": 100,
                "evaluationWindowSec": "300",
                "customValues": [],
                "limitValue": client_ip,
            }
        ]
    return record


def test_waf_log_records_become_samples_and_managed_keys(waf, acl):
    records = [
        _record(acl, "203.0.113.7", rule="RateLimit", action="BLOCK", seconds_ago=60),
        _record(acl, "203.0.113.7", rule="RateLimit", action="BLOCK", seconds_ago=30),
        _record(acl, "2001:db8::7", rule="RateLimit", action="BLOCK", seconds_ago=20),
        _record(acl, "198.51.100.1", rule="Default_Action", action="ALLOW", seconds_ago=10),
    ]
    report = moto_ext.seed_from_waf_log(records)
    assert report.samples == {"RateLimitMetric": 3, "EdgeAcl": 1}
    assert report.rate_limited == {"RateLimit": 2}
    assert not report.skipped

    keys = waf.get_rate_based_statement_managed_keys(
        Scope="CLOUDFRONT", WebACLName="edge", WebACLId=acl["Id"], RuleName="RateLimit"
    )
    assert keys["ManagedKeysIPV4"]["Addresses"] == ["203.0.113.7/32"]
    assert keys["ManagedKeysIPV6"]["Addresses"] == ["2001:db8::7/128"]

    now = clock.utcnow()
    sampled = waf.get_sampled_requests(
        WebAclArn=acl["ARN"],
        RuleMetricName="RateLimitMetric",
        Scope="CLOUDFRONT",
        TimeWindow={"StartTime": now - timedelta(minutes=5), "EndTime": now},
        MaxItems=10,
    )
    assert sampled["PopulationSize"] == 3
    first = sampled["SampledRequests"][0]
    assert first["Request"]["ClientIP"] == "203.0.113.7"
    assert first["Request"]["Headers"][1] == {"Name": "User-Agent", "Value": "curl/8.5.0"}
    assert (first["Action"], first["Request"]["Method"]) == ("BLOCK", "POST")
    assert first["Labels"] == [{"Name": "awswaf:123456789012:webacl:edge:rate"}]


def test_seeding_from_logs_accumulates_managed_keys(waf, acl):
    moto_ext.seed_from_waf_log(
        [_record(acl, "203.0.113.7", rule="RateLimit", action="BLOCK", seconds_ago=5)]
    )
    moto_ext.seed_from_waf_log(
        [_record(acl, "203.0.113.8", rule="RateLimit", action="BLOCK", seconds_ago=5)]
    )
    keys = waf.get_rate_based_statement_managed_keys(
        Scope="CLOUDFRONT", WebACLName="edge", WebACLId=acl["Id"], RuleName="RateLimit"
    )
    assert keys["ManagedKeysIPV4"]["Addresses"] == ["203.0.113.7/32", "203.0.113.8/32"]


def test_bad_records_are_skipped_and_counted(acl):
    good = _record(acl, "203.0.113.7", rule="RateLimit", action="BLOCK", seconds_ago=5)
    other_acl = dict(good, webaclId=acl["ARN"].replace("/edge/", "/other/"))
    unknown_rule = dict(good, terminatingRuleId="NoSuchRule", terminatingRuleType="REGULAR")
    broken = dict(good, httpRequest={"clientIp": "not-an-ip"})
    report = moto_ext.seed_from_waf_log([good, other_acl, unknown_rule, broken, {}])
    assert report.samples == {"RateLimitMetric": 1}
    assert report.skipped == {
        "unknown web ACL": 2,
        "rule not in web ACL": 1,
        "malformed record": 1,
    }
