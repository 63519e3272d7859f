"""Which rules of a real (moto) web ACL the alarm workflow samples, and the ACL reference."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from edgeguard.alarms.collect import WebAclNotConfigured, WebAclRef, blocking_rules
from tests.alarm_support import create_edge_web_acl


@pytest.fixture
def web_acl():
    with mock_aws():
        waf = boto3.client("wafv2", region_name="us-east-1")
        yield waf, create_edge_web_acl(waf)


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
