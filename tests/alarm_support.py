"""A web ACL shaped like the protected edge's (DESIGN.md §1 row 1), for the alarm tests."""

from __future__ import annotations

import copy
import json

from edgeguard.alarms.collect import WebAclRef, blocking_rules
from edgeguard_tools.events import load_event


def visibility(name):
    return {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": name}


def web_acl_rules(ban_set_arn: str, tenant_set_arn: str) -> list[dict]:
    """Rules shaped like the protected edge's web ACL (DESIGN.md §1 row 1)."""
    return [
        {
            "Name": "edgeguard-allowlist",
            "Priority": 0,
            "Statement": {"IPSetReferenceStatement": {"ARN": ban_set_arn}},
            "Action": {"Allow": {}},
            "VisibilityConfig": visibility("edgeguard-allowlist"),
        },
        {
            "Name": "edgeguard-bans",
            "Priority": 1,
            "Statement": {"IPSetReferenceStatement": {"ARN": ban_set_arn}},
            "Action": {"Block": {}},
            "VisibilityConfig": visibility("edgeguard-bans"),
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
            "VisibilityConfig": visibility("edgeguard-tenant-breaker"),
        },
        {
            "Name": "edgeguard-rate",
            "Priority": 3,
            "Statement": {"RateBasedStatement": {"Limit": 1000, "AggregateKeyType": "IP"}},
            "Action": {"Block": {}},
            "VisibilityConfig": visibility("edgeguard-rate"),
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
            "VisibilityConfig": visibility("AWS-AWSManagedRulesSQLiRuleSet"),
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
            "VisibilityConfig": visibility("AWS-AWSManagedRulesCommonRuleSet-count"),
        },
    ]


def create_edge_web_acl(waf, name: str = "edgeguard-dev-edge") -> dict:
    """Create the IP set, tenant pattern set and web ACL in the mock; returns its Summary."""
    ip_set = waf.create_ip_set(
        Name="ban", Scope="CLOUDFRONT", IPAddressVersion="IPV4", Addresses=[]
    )["Summary"]
    regex = waf.create_regex_pattern_set(
        Name="tenants", Scope="CLOUDFRONT", RegularExpressionList=[{"RegexString": "^$"}]
    )["Summary"]
    return waf.create_web_acl(
        Name=name,
        Scope="CLOUDFRONT",
        DefaultAction={"Allow": {}},
        Rules=web_acl_rules(ip_set["ARN"], regex["ARN"]),
        VisibilityConfig=visibility(name),
    )["Summary"]


def alarm_event(name: str, now, rule: str = "ALL") -> dict:
    """events/cloudwatch_alarm_waf_blocked.json as if the alarm had fired at ``now``."""
    event = copy.deepcopy(load_event("cloudwatch_alarm_waf_blocked"))
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    minute = now.replace(second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    detail = event["detail"]
    detail["alarmName"] = name
    event["resources"] = [f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}"]
    event["time"] = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    detail["configuration"]["metrics"][0]["metricStat"]["metric"]["dimensions"]["Rule"] = rule
    data = json.loads(detail["state"]["reasonData"])
    data["queryDate"] = data["startDate"] = stamp
    data["evaluatedDatapoints"][0]["timestamp"] = minute
    detail["state"]["reasonData"] = json.dumps(data)
    detail["state"]["timestamp"] = stamp
    return event


def managed_group_metric(waf, arn: str) -> str:
    """The metric name of the first blocking managed-group rule of the web ACL (whichever
    web ACL the cloud has: the protected edge's once it is in the template, or ours)."""
    acl = WebAclRef.from_arn(arn)
    rules = waf.get_web_acl(Name=acl.name, Scope=acl.scope, Id=acl.id)["WebACL"]["Rules"]
    return next(
        r["VisibilityConfig"]["MetricName"]
        for r in blocking_rules(rules)
        if "ManagedRuleGroupStatement" in r["Statement"]
    )
