"""The protected edge as template.yaml declares it: rule order, shard conditions, the origin
rule's shape the rotation edits, no hard-coded prefix list, outputs."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from edgeguard.rotation import origin_rule

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"


class _Tag:
    def __init__(self, tag: str, value: Any) -> None:
        self.tag, self.value = tag, value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Tag) and (self.tag, self.value) == (other.tag, other.value)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{self.tag} {self.value!r}"


class _Loader(yaml.SafeLoader):
    pass


def _construct(loader: yaml.Loader, suffix: str, node: yaml.Node) -> _Tag:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return _Tag("!" + suffix, value)


_Loader.add_multi_constructor("!", _construct)


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return yaml.load(TEMPLATE.read_text(), Loader=_Loader)


def _rules(template) -> list[tuple[str, str | None]]:
    """(rule name, condition or None) in web ACL order."""
    out = []
    for rule in template["Resources"]["EdgeWebAcl"]["Properties"]["Rules"]:
        if isinstance(rule, _Tag):
            condition, body, otherwise = rule.value
            assert (
                rule.tag == "!If" and otherwise.tag == "!Ref" and otherwise.value == "AWS::NoValue"
            )
            out.append((body["Name"], condition))
        else:
            out.append((rule["Name"], None))
    return out


def test_edge_rules_come_in_the_documented_order(template):
    names = [name for name, _ in _rules(template)]
    assert names == [
        "edgeguard-allow-v4",
        "edgeguard-allow-v6",
        *(f"edgeguard-ban-v4-{n}" for n in range(1, 11)),
        *(f"edgeguard-ban-v6-{n}" for n in range(1, 11)),
        "edgeguard-captcha-v4",
        "edgeguard-captcha-v6",
        "edgeguard-tenant-block",
        "edgeguard-rate",
        "aws-common",
        "aws-sqli",
        "aws-ip-reputation",
        "aws-known-bad-inputs",
    ]
    rules = template["Resources"]["EdgeWebAcl"]["Properties"]["Rules"]
    bodies = [r.value[1] if isinstance(r, _Tag) else r for r in rules]
    priorities = [b["Priority"] for b in bodies]
    assert priorities == sorted(priorities) and len(set(priorities)) == len(priorities)
    for body in bodies:  # metric name = rule name, so dashboards and alarms can rely on it
        assert body["VisibilityConfig"]["MetricName"] == body["Name"]
    assert template["Resources"]["EdgeWebAcl"]["Properties"]["DefaultAction"] == {"Allow": {}}


def test_ban_shards_beyond_the_first_exist_only_under_their_condition(template):
    for name, condition in _rules(template):
        match = re.fullmatch(r"edgeguard-ban-v([46])-(\d+)", name)
        if match:
            shard = int(match.group(2))
            assert condition == (None if shard == 1 else f"BanShard{shard}"), name
            resource = f"BanIpV{match.group(1)}Shard{shard}"
            assert template["Resources"][resource].get("Condition") == condition


def test_managed_groups_switch_to_count_by_parameter(template):
    rules = {
        r["Name"]: r
        for r in template["Resources"]["EdgeWebAcl"]["Properties"]["Rules"]
        if isinstance(r, dict)
    }
    for name, condition in [
        ("aws-common", "CommonRulesCount"),
        ("aws-sqli", "SqliRulesCount"),
        ("aws-ip-reputation", "IpReputationRulesCount"),
        ("aws-known-bad-inputs", "KnownBadInputsRulesCount"),
    ]:
        override = rules[name]["OverrideAction"]
        assert override.tag == "!If" and override.value == [condition, {"Count": {}}, {"None": {}}]


def test_origin_rule_has_the_shape_the_rotation_edits(template):
    acl = template["Resources"]["OriginWebAcl"]["Properties"]
    assert acl["Scope"] == "REGIONAL" and acl["DefaultAction"] == {"Block": {}}
    (rule,) = acl["Rules"]
    assert rule["Name"] == origin_rule.RULE_NAME and rule["Action"] == {"Allow": {}}
    # The template's statement equals what the rotation writes, with both values = current.
    dynamic = rule["Statement"]["OrStatement"]["Statements"][0]["ByteMatchStatement"][
        "SearchString"
    ]
    assert (
        dynamic.tag == "!Sub"
        and dynamic.value == "{{resolve:secretsmanager:${OriginSecret}:SecretString}}"
    )
    written = origin_rule.verify_statement("v", "v")
    for statement in written["OrStatement"]["Statements"]:
        statement["ByteMatchStatement"]["SearchString"] = dynamic
    assert rule["Statement"] == written
    assert origin_rule.admitted_values(
        {**rule, "Statement": origin_rule.verify_statement("a", "b")}
    ) == ["a", "b"]


def test_cloudfront_sends_the_origin_secret_and_logs_to_the_log_bucket(template):
    config = template["Resources"]["EdgeDistribution"]["Properties"]["DistributionConfig"]
    (origin,) = config["Origins"]
    (header,) = origin["OriginCustomHeaders"]
    assert header["HeaderName"].lower() == origin_rule.HEADER
    assert header["HeaderValue"].value == "{{resolve:secretsmanager:${OriginSecret}:SecretString}}"
    # issue 12: standard logging v2 by default (delivery source -> the log bucket); the
    # distribution's own (legacy) Logging only when CloudFrontStandardLogging=legacy.
    condition, legacy, otherwise = config["Logging"].value
    assert (condition, legacy["Prefix"], otherwise.value) == (
        "CloudFrontLogsLegacy",
        "cloudfront/",
        "AWS::NoValue",
    )
    resources = template["Resources"]
    source = resources["CloudFrontLogSource"]["Properties"]
    assert "distribution/${EdgeDistribution}" in source["ResourceArn"].value
    destination = resources["CloudFrontLogDestination"]["Properties"]
    assert destination["DestinationResourceArn"].value == "LogBucket.Arn"
    assert template["Parameters"]["CloudFrontStandardLogging"]["Default"] == "v2"
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert config["WebACLId"].value == "EdgeWebAcl.Arn"


def test_alb_admits_only_cloudfront_and_tasks_only_the_alb(template):
    resources = template["Resources"]
    (ingress,) = resources["AlbSecurityGroup"]["Properties"]["SecurityGroupIngress"]
    assert ingress["SourcePrefixListId"].value == "CloudFrontOriginPrefixList.PrefixListId"
    assert "pl-" not in TEMPLATE.read_text()
    (task_ingress,) = resources["TaskSecurityGroup"]["Properties"]["SecurityGroupIngress"]
    assert task_ingress["SourceSecurityGroupId"].value == "AlbSecurityGroup"
    attributes = {
        a["Key"]: a["Value"]
        for a in resources["EdgeLoadBalancer"]["Properties"]["LoadBalancerAttributes"]
    }
    assert attributes["routing.http.drop_invalid_header_fields.enabled"] == "true"
    assert attributes["access_logs.s3.prefix"] == "alb"


def test_rotation_is_wired_to_the_function_with_the_settings_it_reads(template):
    resources = template["Resources"]
    schedule = resources["OriginSecretRotationSchedule"]["Properties"]
    assert schedule["RotationLambdaARN"].value == "OriginSecretRotationFunction.Arn"
    env = resources["OriginSecretRotationFunction"]["Properties"]["Environment"]["Variables"]
    assert {"ORIGIN_WEB_ACL_ARN", "DISTRIBUTION_ID", "ALERTS_TOPIC_ARN"} <= set(env)
    assert resources["OriginSecret"]["Properties"]["KmsKeyId"].value == "EdgeguardKey"


def test_blocked_requests_alarm_and_outputs(template):
    alarm = template["Resources"]["WafBlockedRequestsAlarm"]["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"], alarm["Period"]) == (
        "AWS/WAFV2",
        "BlockedRequests",
        "Sum",
        60,
    )
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["AlarmActions"][0].value == "AlertsTopic"
    outputs = template["Outputs"]
    for name in (
        "DistributionDomainName",
        "AlbDnsName",
        "EdgeWebAclArn",
        "OriginWebAclArn",
        "OriginSecretArn",
        "BanIpV4Shard1Arn",
        "CaptchaIpV6Arn",
        "AllowlistIpV4Arn",
    ):
        assert name in outputs
    assert outputs["BanIpV6Shard3Arn"]["Condition"] == "BanShard3"


def test_dashboard_body_is_valid_json_with_the_documented_metrics(template):
    body_sub = template["Resources"]["EdgeDashboard"]["Properties"]["DashboardBody"]
    text, variables = body_sub.value
    for name in [*variables, "AWS::Region"]:
        text = text.replace("${" + name + "}", "x")
    assert "${" not in text
    body = json.loads(text)
    rendered = json.dumps(body)
    for metric in ("BlockedRequests", "AllowedRequests", "RotationSucceeded", "RotationStepFailed",
                   "TelegramFailed", "DecisionsNotEnforced", "Entries"):  # fmt: skip
        assert metric in rendered
    assert len(body["widgets"]) == 6


def test_rate_limited_alarm_watches_the_rate_rule_by_its_stable_name(template):
    alarm = template["Resources"]["WafRateLimitedAlarm"]["Properties"]
    dims = {d["Name"]: d["Value"] for d in alarm["Dimensions"]}
    assert (
        dims["Rule"] == "edgeguard-rate" and dims["WebACL"].value == "edgeguard-${Environment}-edge"
    )
    assert alarm["AlarmName"].value == "edgeguard-${Environment}-waf-rate-limited"
