"""Demo chapter: a WAF alarm and a GuardDuty finding turn into bans, through the real wiring.

The alarm event enters EventBridge, the template's rule starts the auto_block state
machine (moto executes statemachines/auto_block.asl.json), whose collect and record
steps run in process; what WAF "observed" (rate-limited keys, sampled blocked
requests) is seeded with moto_ext because there is no traffic here. The GuardDuty
finding takes the template's numeric severity rule to GuardDutyBlockFunction.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from edgeguard.alarms.collect import blocking_rules
from edgeguard.clock import utcnow
from edgeguard.decisions import DynamoDecisionStore
from edgeguard_tools.demo.localcloud import local_cloud
from edgeguard_tools.demo.story import Story
from edgeguard_tools.events import load_event
from edgeguard_tools.local import moto_ext

TITLE = "Auto-blocking: a WAF alarm and a GuardDuty finding become bans"


def _visibility(name: str) -> dict[str, Any]:
    return {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": name}


def edge_web_acl(waf: Any, name: str) -> str:
    """The protected edge's web ACL: the template's if the cloud created it, else a stand-in
    with the same rule names (rate rule ``edgeguard-rate`` and a managed SQLi group)."""
    for summary in waf.list_web_acls(Scope="CLOUDFRONT")["WebACLs"]:
        if summary["Name"] == name:
            return str(summary["ARN"])
    rules = [
        {
            "Name": "edgeguard-rate",
            "Priority": 1,
            "Statement": {"RateBasedStatement": {"Limit": 1000, "AggregateKeyType": "IP"}},
            "Action": {"Block": {}},
            "VisibilityConfig": _visibility("edgeguard-rate"),
        },
        {
            "Name": "AWS-AWSManagedRulesSQLiRuleSet",
            "Priority": 2,
            "Statement": {
                "ManagedRuleGroupStatement": {
                    "VendorName": "AWS",
                    "Name": "AWSManagedRulesSQLiRuleSet",
                }
            },
            "OverrideAction": {"None": {}},
            "VisibilityConfig": _visibility("AWS-AWSManagedRulesSQLiRuleSet"),
        },
    ]
    created = waf.create_web_acl(
        Name=name,
        Scope="CLOUDFRONT",
        DefaultAction={"Allow": {}},
        Rules=rules,
        VisibilityConfig=_visibility(name),
    )
    return str(created["Summary"]["ARN"])


def _alarm_event(name: str) -> dict[str, Any]:
    event = load_event("cloudwatch_alarm_waf_blocked")
    now = utcnow()
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    event["detail"]["alarmName"] = name
    event["resources"] = [f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}"]
    event["detail"]["state"]["timestamp"] = stamp
    event["detail"]["state"].pop("reasonData", None)  # the window: the five minutes before now
    return event


def _new_messages(cloud: Any, before: int) -> list[str]:
    return [str(m["text"]) for m in cloud.telegram_messages[before:]]


def run(story: Story) -> None:
    cloud = local_cloud()
    waf = cloud.client("wafv2")
    environment = cloud.function_environment("AlarmCollectFunction")
    acl_name = environment["WEB_ACL_NAME"]
    arn = edge_web_acl(waf, acl_name)
    store = DynamoDecisionStore(cloud.resource("DecisionsTable"), client=cloud.client("dynamodb"))
    before_decisions = {d.value for d in store.active()}

    # ---------------------------------------------------------------- WAF alarm
    rules = waf.get_web_acl(Name=acl_name, Scope="CLOUDFRONT", Id=arn.rsplit("/", 1)[1])
    sampled_rule = next(
        r["VisibilityConfig"]["MetricName"]
        for r in blocking_rules(rules["WebACL"]["Rules"])
        if r["Name"] != "edgeguard-rate"
    )
    story.step("WAF (seeded): edgeguard-rate is limiting 203.0.113.7 and 2001:db8:1::5")
    moto_ext.seed_rate_limited(arn, "edgeguard-rate", ["203.0.113.7", "2001:db8:1::5"])
    story.step(f"WAF (seeded): {sampled_rule} blocked 198.51.100.9 64 times, 192.0.2.44 twice")
    recent = utcnow() - timedelta(minutes=2)
    moto_ext.seed_sampled_requests(
        arn,
        sampled_rule,
        [
            {
                "Request": {"ClientIP": "198.51.100.9", "URI": "/search?q=1'+OR+1=1--"},
                "Weight": 64,
                "Timestamp": recent,
            },
            {
                "Request": {"ClientIP": "192.0.2.44", "URI": "/search?q='"},
                "Weight": 2,
                "Timestamp": recent,
            },
        ],
    )
    alarm = acl_name.rsplit("-", 1)[0] + "-waf-blocked"
    before = len(cloud.telegram_messages)
    story.step(f"CloudWatch: alarm {alarm} enters ALARM (EventBridge event)")
    targets = cloud.put_event(_alarm_event(alarm))
    story.expect(
        "the template's rule starts the auto_block state machine",
        targets == ["AutoBlockStateMachine"],
    )
    sfn = cloud.client("stepfunctions")
    executions = sfn.list_executions(stateMachineArn=cloud.resource("AutoBlockStateMachine"))[
        "executions"
    ]
    status = sfn.describe_execution(executionArn=executions[0]["executionArn"])["status"]
    story.step(f"auto_block execution: {status}")
    story.expect("the execution succeeded", status == "SUCCEEDED")
    decisions = {d.value: d for d in store.active()}
    banned = sorted(v for v in decisions if v not in before_decisions)
    story.step(f"decisions table: {', '.join(banned)} (origin alarm)")
    story.expect(
        "rate-limited keys and the top blocked client are banned, the two-request client is not",
        banned == ["198.51.100.9/32", "2001:db8:1::/64", "203.0.113.7/32"]
        and all(decisions[v].origin == "alarm" for v in banned),
    )
    sent = _new_messages(cloud, before)
    for text in sent:
        story.step("Telegram shows: " + text.splitlines()[0])
    story.expect("the team is told what was banned", any("3 addresses banned" in t for t in sent))

    # --------------------------------------------------------- GuardDuty finding
    before = len(cloud.telegram_messages)
    low = load_event("guardduty_port_probe")
    story.step(f"GuardDuty: {low['detail']['type']} (severity {low['detail']['severity']})")
    routed = cloud.put_event(low)
    story.expect("a low-severity finding is below GuardDutyMinSeverity: not routed", routed == [])
    finding = load_event("guardduty_network_connection")
    story.step(f"GuardDuty: {finding['detail']['type']} (severity {finding['detail']['severity']})")
    routed = cloud.put_event(finding)
    story.expect(
        "the template's severity rule sends it to GuardDutyBlockFunction",
        routed == ["GuardDutyBlockFunction"],
    )
    decision = next((d for d in store.get("198.51.100.23/32") if d.active()), None)
    if decision:
        until = f"{decision.expires_at:%Y-%m-%d %H:%M}"
        story.step(f"decisions table: {decision.value} {decision.action} until {until}")
    story.expect(
        "the attacker is banned with origin guardduty and the finding type as reason",
        decision is not None
        and decision.origin == "guardduty"
        and decision.reason == "UnauthorizedAccess:EC2/SSHBruteForce",
    )
    story.expect(
        "the instance's own addresses are never banned",
        not store.get("54.210.17.33/32"),
    )
    sent = _new_messages(cloud, before)
    for text in sent:
        story.step("Telegram shows: " + text.splitlines()[0])
    story.expect("the team is told", any("GuardDuty: 1 address banned" in t for t in sent))
