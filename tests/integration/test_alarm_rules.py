"""Which rules of a real (moto) web ACL the alarm workflow samples, and the ACL reference."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from edgeguard.alarms.collect import WebAclNotConfigured, WebAclRef, blocking_rules


def _visibility(name):
    return {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": name}


def web_acl_rules(ban_set_arn: str, tenant_set_arn: str) -> list[dict]:
    """Rules shaped like the protected edge's web ACL (DESIGN.md §1 row 1)."""
    return [
        {
            "Name": "edgeguard-allowlist",
            "Priority": 0,
            "Statement": {"IPSetReferenceStatement": {"ARN": ban_set_arn}},
            "Action": {"Allow": {}},
            "VisibilityConfig": _visibility("edgeguard-allowlist"),
        },
        {
            "Name": "edgeguard-bans",
            "Priority": 1,
            "Statement": {"IPSetReferenceStatement": {"ARN": ban_set_arn}},
            "Action": {"Block": {}},
            "VisibilityConfig": _visibility("edgeguard-bans"),
        },
        {
            "Name": "edgeguard-tenant-breaker",
            "Priority": 2,
            "Statement": {
                "RegexPatternSetReferenceStatement": {
                    "ARN": tenant_set_arn,
                    "FieldToMatch": {"UriPath": {}},
                    "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
                }
            },
            "Action": {"Block": {}},
            "VisibilityConfig": _visibility("edgeguard-tenant-breaker"),
        },
        {
            "Name": "edgeguard-rate",
            "Priority": 3,
            "Statement": {"RateBasedStatement": {"Limit": 1000, "AggregateKeyType": "IP"}},
            "Action": {"Block": {}},
            "VisibilityConfig": _visibility("edgeguard-rate"),
        },
        {
            "Name": "AWS-AWSManagedRulesSQLiRuleSet",
            "Priority": 4,
            "Statement": {
                "ManagedRuleGroupStatement": {
                    "VendorName": "AWS",
                    "Name": "AWSManagedRulesSQLiRuleSet",
                }
            },
            "OverrideAction": {"None": {}},
            "VisibilityConfig": _visibility("AWS-AWSManagedRulesSQLiRuleSet"),
        },
        {
            "Name": "AWS-AWSManagedRulesCommonRuleSet-count",
            "Priority": 5,
            "Statement": {
                "ManagedRuleGroupStatement": {
                    "VendorName": "AWS",
                    "Name": "AWSManagedRulesCommonRuleSet",
                }
            },
            "OverrideAction": {"Count": {}},
            "VisibilityConfig": _visibility("AWS-AWSManagedRulesCommonRuleSet-count"),
        },
    ]


@pytest.fixture
def web_acl():
    with mock_aws():
        waf = boto3.client("wafv2", region_name="us-east-1")
        ip_set = waf.create_ip_set(
            Name="ban", Scope="CLOUDFRONT", IPAddressVersion="IPV4", Addresses=[]
        )["Summary"]
        regex = waf.create_regex_pattern_set(
            Name="tenants", Scope="CLOUDFRONT", RegularExpressionList=[{"RegexString": "^$"}]
        )["Summary"]
        summary = waf.create_web_acl(
            Name="edgeguard-dev-edge",
            Scope="CLOUDFRONT",
            DefaultAction={"Allow": {}},
            Rules=web_acl_rules(ip_set["ARN"], regex["ARN"]),
            VisibilityConfig=_visibility("edgeguard-dev-edge"),
        )["Summary"]
        yield waf, summary


def test_only_rules_that_block_attackers_are_sampled(web_acl):
    waf, summary = web_acl
    acl = WebAclRef.from_arn(summary["ARN"])
    rules = waf.get_web_acl(Name=acl.name, Scope=acl.scope, Id=acl.id)["WebACL"]["Rules"]
    assert [r["Name"] for r in blocking_rules(rules)] == [
        "edgeguard-rate",
        "AWS-AWSManagedRulesSQLiRuleSet",
    ]


def test_web_acl_reference_from_its_arn(web_acl):
    _, summary = web_acl
    acl = WebAclRef.from_arn(summary["ARN"])
    assert (acl.name, acl.id, acl.scope) == ("edgeguard-dev-edge", summary["Id"], "CLOUDFRONT")


def test_a_wrong_arn_is_refused_by_name():
    with pytest.raises(WebAclNotConfigured, match="not a WAFv2 web ACL ARN"):
        WebAclRef.from_arn("arn:aws:wafv2:us-east-1:123456789012:global/ipset/x/1")
