"""`edgeguard block|unblock|decisions|tenant` end to end in the local cloud:
CLI -> decisions table -> alerts topic -> notifier -> Telegram, and the enforcer -> WAF."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from edgeguard.breaker.service import CircuitBreaker
from edgeguard.decisions import DynamoDecisionStore, InvalidValue
from edgeguard.waf.sets import SetRef
from edgeguard_tools.backends import BackendError, stack_backend
from edgeguard_tools.cli import main
from edgeguard_tools.local.cloud import LocalCloud


class World:
    """The local cloud's physical ids, named like the test fixture world."""

    def __init__(self, cloud: LocalCloud):
        self.cloud = cloud
        self.env = cloud.function_environment("IpSetSyncFunction")
        self.table = self.env["DECISIONS_TABLE"]
        self.topic_arn = self.env["ALERTS_TOPIC_ARN"]
        self.tenant_set_arn = self.env["TENANT_PATTERN_SET"]
        self.ip_sets = {
            logical: cloud.attribute(logical, "Arn")
            for logical in cloud.physical
            if cloud.template.resources()[logical]["Type"] == "AWS::WAFv2::IPSet"
        }
        self.seen = 0

    def alerts(self) -> list[str]:
        """Telegram messages (rendered alerts) since the last call."""
        messages = self.cloud.telegram_messages[self.seen :]
        self.seen = len(self.cloud.telegram_messages)
        return [m["text"] for m in messages]


@pytest.fixture(scope="module")
def cloud():
    with LocalCloud(quiet=True) as running:
        yield running


@pytest.fixture
def world(cloud):
    """A clean slate per test: no decisions, empty allowlist, WAF following."""
    world = World(cloud)
    dynamodb = cloud.client("dynamodb")
    for item in dynamodb.scan(TableName=world.table)["Items"]:
        dynamodb.delete_item(
            TableName=world.table, Key={"value": item["value"], "action": item["action"]}
        )
    set_by_hand(world, "AllowlistIpV4", [])
    cloud.invoke("IpSetSyncFunction", {"source": "test"})
    world.alerts()
    return world


def set_by_hand(world, logical: str, addresses: list[str]) -> None:
    waf = boto3.client("wafv2")
    ref = SetRef.from_arn(world.ip_sets[logical], "CLOUDFRONT")
    token = waf.get_ip_set(**ref.key())["LockToken"]
    waf.update_ip_set(**ref.key(), Addresses=addresses, LockToken=token)


def ban_entries(world) -> list[str]:
    waf = boto3.client("wafv2")
    found = []
    for logical, arn in world.ip_sets.items():
        if logical.startswith("BanIp"):
            ref = SetRef.from_arn(arn, "CLOUDFRONT")
            found += waf.get_ip_set(**ref.key())["IPSet"]["Addresses"]
    return sorted(found)


def tenant_regexes(world) -> list[str]:
    ref = SetRef.from_arn(world.tenant_set_arn, "CLOUDFRONT")
    found = boto3.client("wafv2").get_regex_pattern_set(**ref.key())["RegexPatternSet"]
    return [r["RegexString"] for r in found["RegularExpressionList"]]


def caller_arn() -> str:
    return boto3.client("sts").get_caller_identity()["Arn"]


def test_block_is_recorded_audited_announced_and_in_waf_at_once(world, capsys):
    code = main(
        ["block", "203.0.113.7", "--for", "4h", "--reason", "credential stuffing", "--local"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert re.search(r"^banned 203\.0\.113\.7/32 until \d\d:\d\d UTC \(for 4 h\)", out, re.M)
    assert "; WAF updated: 1 set" in out
    assert ban_entries(world) == ["203.0.113.7/32"]
    (decision,) = DynamoDecisionStore(world.table).get("203.0.113.7")
    assert decision.origin == "manual"
    assert decision.updated_by == caller_arn()
    assert decision.reason == "credential stuffing"
    (alert,) = world.alerts()
    assert "address 203.0.113.7/32 blocked until" in alert
    assert caller_arn() in alert
    assert "credential stuffing" in alert


def test_unblock_lifts_and_announces(world, capsys):
    main(["block", "2001:db8::7", "--for", "1h", "--reason", "scanner", "--local"])
    main(["block", "198.51.100.0/24", "--for", "1h", "--reason", "botnet", "--local"])
    assert ban_entries(world) == ["198.51.100.0/24", "2001:db8::/64"]
    world.alerts()
    assert main(["unblock", "2001:db8::7", "--reason", "false positive", "--local"]) == 0
    assert "2001:db8::/64 unblocked (lifted: ban); WAF updated: 1 set" in capsys.readouterr().out
    assert ban_entries(world) == ["198.51.100.0/24"]
    (alert,) = world.alerts()
    assert "address 2001:db8::/64 unblocked" in alert
    assert "false positive" in alert
    assert main(["unblock", "2001:db8::7", "--local"]) == 0
    assert "was not blocked" in capsys.readouterr().out


def test_decisions_lists_text_and_json(world, capsys):
    main(["block", "203.0.113.9", "--for", "2h", "--reason", "probing", "--local"])
    main(["tenant", "block", "acc-7", "--for", "1h", "--reason", "runaway job", "--local"])
    capsys.readouterr()
    assert main(["decisions", "--local"]) == 0
    text = capsys.readouterr().out
    assert re.search(
        r"203\.0\.113\.9/32\s+ip\s+ban\s+\S+ \S+\s+[12]h\d\dm\s+manual\s+probing", text
    )
    assert "acc-7" in text
    assert main(["decisions", "--json", "--local"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {(d["value"], d["scope"]) for d in listed} == {
        ("203.0.113.9/32", "ip"),
        ("acc-7", "tenant"),
    }
    assert all(d["updated_by"] == caller_arn() for d in listed)


def test_unblocking_one_tenant_keeps_the_others(world, capsys):
    for tenant in ("acc-1", "acc-2", "acc-3"):
        assert main(["tenant", "block", tenant, "--for", "1h", "--reason", "abuse", "--local"]) == 0
    (regex,) = tenant_regexes(world)
    assert all(re.search(regex, f"/account/acc-{n}/api") for n in (1, 2, 3))
    assert main(["tenant", "unblock", "acc-2", "--reason", "paid", "--local"]) == 0
    (regex,) = tenant_regexes(world)
    assert re.search(regex, "/account/acc-1/api") and re.search(regex, "/account/acc-3/api")
    assert not re.search(regex, "/account/acc-2/api")
    capsys.readouterr()
    assert main(["tenant", "list", "--json", "--local"]) == 0
    assert sorted(d["value"] for d in json.loads(capsys.readouterr().out)) == ["acc-1", "acc-3"]
    for tenant in ("acc-1", "acc-3"):
        main(["tenant", "unblock", tenant, "--local"])
    assert tenant_regexes(world) == ["^$"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["tenant", "block", "Acc;DROP", "--for", "1h", "--reason", "x"], "invalid tenant id"),
        (["tenant", "block", "acc-1|.*", "--for", "1h", "--reason", "x"], "invalid tenant id"),
        (["tenant", "unblock", "../acc"], "invalid tenant id"),
        (["block", "999.1.1.1", "--for", "1h", "--reason", "x"], "not an IP address"),
        (["block", "203.0.113.7/16", "--for", "1h", "--reason", "x"], "host bits set"),
        (["block", "10.0.0.1", "--for", "1h", "--reason", "x"], "private"),
        (["block", "203.0.113.7", "--for", "4 hours", "--reason", "x"], "invalid duration"),
        (["block", "203.0.113.7", "--for", "0m", "--reason", "x"], "more than 0"),
        (["block", "203.0.113.7", "--for", "1h", "--reason", "  "], "reason is required"),
        (["unblock", "example.com"], "not an IP address"),
        # A typo away from taking a continent offline: an operator may ban /8 and /16 at most.
        (["block", "2a00::/8", "--for", "1h", "--reason", "x"], "wider than /16"),
        (["block", "2.0.0.0/7", "--for", "1h", "--reason", "x"], "wider than /8"),
    ],
)
def test_malformed_input_is_refused_clearly_with_exit_2(world, capsys, argv, message):
    assert main([*argv, "--local"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("refused:")
    assert message in err
    assert boto3.client("dynamodb").scan(TableName=world.table)["Count"] == 0
    assert world.alerts() == []


def test_allowlisted_address_is_refused(world, capsys):
    set_by_hand(world, "AllowlistIpV4", ["198.51.100.0/24"])
    assert main(["block", "198.51.100.20", "--for", "1h", "--reason", "x", "--local"]) == 2
    assert "allowlisted" in capsys.readouterr().err


def describe_stacks_answer(world) -> dict:
    """A DescribeStacks response in the documented shape, for a deployed edgeguard stack."""
    return {
        "Stacks": [
            {
                "StackName": "edgeguard-test",
                "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/edgeguard-test/1",
                "CreationTime": "2026-11-21T10:00:00Z",
                "StackStatus": "UPDATE_COMPLETE",
                "Parameters": [
                    {"ParameterKey": "AllowlistIPv4Cidrs", "ParameterValue": "192.0.2.0/24"},
                    {"ParameterKey": "AllowlistIPv6Cidrs", "ParameterValue": ""},
                    {"ParameterKey": "Ipv6HostPrefix", "ParameterValue": "56"},
                    {"ParameterKey": "EscalationWindowHours", "ParameterValue": "24"},
                    {"ParameterKey": "MaxBanHours", "ParameterValue": "168"},
                ],
                "Outputs": [
                    {"OutputKey": "DecisionsTableName", "OutputValue": world.table},
                    {"OutputKey": "AlertsTopicArn", "OutputValue": world.topic_arn},
                    {"OutputKey": "IpSetSyncFunctionName", "OutputValue": "edgeguard-test-sync"},
                ],
            }
        ],
        "ResponseMetadata": {"HTTPStatusCode": 200},
    }


def test_against_a_stack_uses_its_outputs_and_parameters(world, capsys):
    """Physical ids from the stack's outputs, policy from its parameters; the enforcer is
    the stack's own function (moto cannot run it: the CLI says WAF follows within a
    minute). moto's CloudFormation needs extra packages, so DescribeStacks is answered
    through botocore's event system on the session the CLI uses."""
    session = boto3.Session(region_name="us-east-1")

    def describe(params, **_kwargs):
        if params["body"].get("StackName") != "edgeguard-test":
            body = {"Error": {"Code": "ValidationError", "Message": "Stack does not exist"}}
            return AWSResponse("https://cloudformation", 400, {}, None), body
        return AWSResponse("https://cloudformation", 200, {}, None), describe_stacks_answer(world)

    session.events.register("before-call.cloudformation.DescribeStacks", describe)
    backend = stack_backend("edgeguard-test", "us-east-1", None, session=session)
    assert backend.store.table_name == world.table
    assert backend.who == caller_arn()
    breaker = CircuitBreaker(backend)
    change = breaker.block("2001:db8:1:2::1", timedelta(hours=1), "scan")
    assert change.value == "2001:db8:1::/56"  # the stack's Ipv6HostPrefix
    assert "edgeguard-test-sync" in change.enforcement_error
    with pytest.raises(InvalidValue, match="allowlisted"):
        breaker.block("192.0.2.1", timedelta(hours=1), "x")  # the stack's allowlist
    (alert,) = world.alerts()
    assert "2001:db8:1::/56" in alert
    with pytest.raises(BackendError, match="cannot use stack 'nope'"):
        stack_backend("nope", "us-east-1", None, session=session)
