"""`edgeguard selftest` against the local cloud: the stack's real resources and functions,
the origin stand-in on 127.0.0.1 for the site, a closed port for the ALB."""

from __future__ import annotations

import json
import socket
from dataclasses import replace

import boto3
import pytest

from edgeguard.breaker.service import CircuitBreaker
from edgeguard_tools import backends
from edgeguard_tools.cli import main
from edgeguard_tools.cli.selftest import local_edge
from edgeguard_tools.local.cloud import LocalCloud
from edgeguard_tools.local.moto_ext import confirm_subscription
from edgeguard_tools.selftest import (
    TEST_ADDRESS,
    StackFacts,
    check_alerts,
    check_origin_closed,
    check_rotation,
    check_test_ban,
)


@pytest.fixture
def cloud():
    with LocalCloud(quiet=True) as running:
        yield running


def _facts(cloud):
    return StackFacts.read(cloud.client("cloudformation"), "edgeguard")


def _ban_sets(facts, prefix="BanIpV4Shard"):
    return [p for logical, (p, _) in facts.resources.items() if logical.startswith(prefix)]


def _in_waf(cloud, facts, cidr):
    waf = cloud.client("wafv2")
    for ref in _ban_sets(facts):
        name, set_id, scope = ref.split("|")
        if cidr in waf.get_ip_set(Name=name, Scope=scope, Id=set_id)["IPSet"]["Addresses"]:
            return True
    return False


def test_every_check_passes_on_a_healthy_stack_and_the_test_ban_is_gone(cloud, capsys):
    assert main(["selftest", "--local"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split(" (")[0] for line in out[:4]] == [
        "ok  origin-closed",
        "ok  test-ban",
        "ok  alerts",
        "ok  rotation",
    ]
    assert out[4] == "4/4 checks ok"
    facts = _facts(cloud)
    assert not _in_waf(cloud, facts, f"{TEST_ADDRESS}/32")
    breaker = CircuitBreaker(backends.cloud_backend(cloud))
    assert [d.value for d in breaker.listing()] == []
    sent = [m["text"] for m in cloud.telegram_messages]
    assert any("edgeguard selftest: this alert reached you" in text for text in sent)


def test_an_alb_that_accepts_connections_fails_with_the_fix(cloud):
    facts = _facts(cloud)
    edge = local_edge(cloud, facts)
    with socket.socket() as listener:  # an ALB whose security group lets anyone in
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        open_alb = replace(edge, alb_port=listener.getsockname()[1])
        result = check_origin_closed(open_alb, timeout=2)
    assert not result.ok
    assert result.line().startswith("FAIL origin-closed: the ALB 127.0.0.1 accepted")
    assert "Fix: its security group" in result.line()


def test_a_site_refusing_cloudfronts_header_fails(cloud):
    edge = replace(local_edge(cloud, _facts(cloud)), site_headers={"X-Origin-Verify": "stale"})
    result = check_origin_closed(edge, timeout=2)
    assert not result.ok and "answered 403" in result.problem


def test_the_test_ban_is_lifted_even_when_waf_never_shows_it(cloud):
    facts = _facts(cloud)
    breaker = CircuitBreaker(backends.cloud_backend(cloud))
    # Looking in the IPv6 sets, the IPv4 ban is never seen: the check fails ...
    result = check_test_ban(
        breaker,
        cloud.client("wafv2"),
        _ban_sets(facts, "BanIpV6Shard"),
        wait=0,
        sleep=lambda s: None,
    )
    assert not result.ok and "not in WAF after 0 s" in result.problem
    # ... and the ban it made is lifted all the same.
    assert breaker.listing() == []
    assert not _in_waf(cloud, facts, f"{TEST_ADDRESS}/32")


def test_an_empty_telegram_token_fails_alerts_with_the_setup_command(cloud):
    facts = _facts(cloud)
    cloud.client("secretsmanager").put_secret_value(
        SecretId=facts.outputs["TelegramBotTokenSecretArn"],
        SecretString=json.dumps({"bot_token": ""}),
    )
    result = check_alerts(
        cloud.client("sns"),
        cloud.client("lambda"),
        facts.outputs["AlertsTopicArn"],
        facts.resources["NotifierFunction"][0],
        telegram_on=True,
    )
    assert not result.ok
    assert "bot token secret is empty" in result.problem
    assert "TelegramBotTokenSecretArn secret" in result.fix


def test_an_unfinished_rotation_fails(cloud):
    facts = _facts(cloud)
    secrets = cloud.client("secretsmanager")
    secret = facts.outputs["OriginSecretArn"]
    secrets.put_secret_value(
        SecretId=secret, SecretString="next-value-0123456789", VersionStages=["AWSPENDING"]
    )
    result = check_rotation(secrets, secret)
    assert not result.ok and "unfinished (AWSPENDING" in result.problem
    assert "rotate-secret" in result.fix


def test_a_missing_stack_exits_1(cloud, capsys):
    assert main(["selftest", "--local", "--stack", "nosuch"]) == 1
    assert "cannot read stack 'nosuch'" in capsys.readouterr().err


def test_the_cloudformation_api_describes_the_local_stack(cloud):
    stack = boto3.client("cloudformation", region_name="us-east-1").describe_stacks(
        StackName="edgeguard"
    )["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    assert outputs["DecisionsTableName"] == cloud.resource("DecisionsTable")
    assert stack["StackStatus"] == "CREATE_COMPLETE"


def test_an_unconfirmed_email_subscription_fails_alerts_until_confirmed(cloud):
    facts = _facts(cloud)
    sns = cloud.client("sns")
    topic = facts.outputs["AlertsTopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="ops@example.com")
    result = check_alerts(sns, cloud.client("lambda"), topic, "unused", telegram_on=False)
    assert not result.ok and "ops@example.com is not confirmed" in result.problem
    assert "confirm it" in result.fix
    confirm_subscription(topic, "ops@example.com")
    assert check_alerts(sns, cloud.client("lambda"), topic, "unused", telegram_on=False).ok
