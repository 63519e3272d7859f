"""Issue 19: every alert says what happened, what edgeguard did, how to undo it (a command
the real CLI parses) and where to look (console links of the right shape), in the same
order in email and Telegram."""

from __future__ import annotations

import argparse
import json
import shlex
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from edgeguard.findings.blocking import threat_name
from edgeguard.notify.alert import Alert, single_ban_actions
from edgeguard.notify.console import Console
from edgeguard.notify.telegram_format import render
from edgeguard.notify.wording import for_until, span
from edgeguard_tools.cli import breaker
from edgeguard_tools.local.telegram_server import check_entities

TOPIC = "arn:aws:sns:eu-west-1:123456789012:edgeguard-prod-alerts"
CONSOLE = Console.deployed(TOPIC, {"EDGEGUARD_STACK": "edgeguard-prod"})
NOW = datetime(2026, 11, 30, 3, 50, tzinfo=UTC)


def cli() -> argparse.ArgumentParser:
    """The real ``edgeguard`` argument parser of the breaker commands."""
    parser = argparse.ArgumentParser(prog="edgeguard")
    breaker.register(parser.add_subparsers(dest="command"))
    return parser


def test_the_console_comes_from_the_topic_arn_and_the_stack_variable() -> None:
    assert Console("aws", "eu-west-1", "123456789012", "edgeguard-prod") == CONSOLE
    gov = Console.deployed("arn:aws-us-gov:sns:us-gov-west-1:123456789012:t", {})
    assert (gov.partition, gov.region, gov.stack) == ("aws-us-gov", "us-gov-west-1", "")
    assert Console.deployed("not an arn", {}) == Console()


def test_the_unblock_command_is_what_the_cli_parses() -> None:
    command = CONSOLE.unblock("89.248.165.52/32")
    assert command == (
        "edgeguard unblock 89.248.165.52/32 --stack-name edgeguard-prod --region eu-west-1"
    )
    args = cli().parse_args(shlex.split(command)[1:])
    assert (args.run, args.value, args.target) == (breaker.run_unblock, "89.248.165.52/32", "ip")
    assert (args.stack_name, args.region) == ("edgeguard-prod", "eu-west-1")


def test_the_tenant_unblock_command_is_what_the_cli_parses() -> None:
    args = cli().parse_args(shlex.split(CONSOLE.unblock("acc-123", "tenant"))[1:])
    assert (args.run, args.value, args.target) == (breaker.run_unblock, "acc-123", "tenant")


def test_a_stack_name_with_shell_characters_is_quoted() -> None:
    command = Console(region="us-east-1", stack="a b;rm").unblock("192.0.2.1/32")
    assert cli().parse_args(shlex.split(command)[1:]).stack_name == "a b;rm"


def test_the_digest_command_lists_by_origin_and_period() -> None:
    command = CONSOLE.decisions("log", "10m")
    args = cli().parse_args(shlex.split(command)[1:])
    assert (args.run, args.origin, args.since) == (breaker.run_list, "log", "10m")


def _parts(url: str) -> tuple[str, str, dict[str, list[str]], str]:
    split = urlsplit(url)
    return split.netloc, split.path, parse_qs(split.query), split.fragment


LINKS = {
    "guardduty finding": (
        lambda c: c.guardduty_finding("a4c5e8d0f1b24c6e9d3f7a1b2c3d4e5f"),
        "/guardduty/home",
        "/findings?macros=current&fId=a4c5e8d0f1b24c6e9d3f7a1b2c3d4e5f",
    ),
    "security hub finding": (
        lambda c: c.securityhub_finding(
            "arn:aws:securityhub:eu-west-1:123456789012:subscription/x/finding/1"
        ),
        "/securityhub/home",
        "/findings?search=Id%3D%255Coperator%255C%253AEQUALS%255C%253A"
        "arn%253Aaws%253Asecurityhub%253Aeu-west-1%253A123456789012%253Asubscription"
        "%252Fx%252Ffinding%252F1",
    ),
    "security hub v2 finding": (
        lambda c: c.securityhub_v2_finding("uid-1"),
        "/securityhub/v2/home",
        "/findings?search=finding_info.uid%3D%255Coperator%255C%253AEQUALS%255C%253Auid-1",
    ),
    "step functions execution": (
        lambda c: c.stepfunctions_execution(
            f"arn:{c.partition}:states:{c.region}:123456789012:execution:auto-block:run-1"
        ),
        "/states/home",
        "/v2/executions/details/arn:aws:states:eu-west-1:123456789012:execution:auto-block:run-1",
    ),
    "cloudwatch alarm": (
        lambda c: c.cloudwatch_alarm("edgeguard-prod waf blocked"),
        "/cloudwatch/home",
        "alarmsV2:alarm/edgeguard-prod%20waf%20blocked",
    ),
    "cloudtrail event": (
        lambda c: c.cloudtrail_event("e-1"),
        "/cloudtrailv2/home",
        "/events/e-1",
    ),
    "cloudtrail trail": (
        lambda c: c.cloudtrail_trail("arn:aws:cloudtrail:eu-west-1:123456789012:trail/org"),
        "/cloudtrailv2/home",
        "/trails/arn:aws:cloudtrail:eu-west-1:123456789012:trail/org",
    ),
}


@pytest.mark.parametrize("kind", sorted(LINKS))
def test_regional_console_links_have_the_consoles_shape(kind: str) -> None:
    make, path, fragment = LINKS[kind]
    host, got_path, query, got_fragment = _parts(make(CONSOLE))
    assert host == "eu-west-1.console.aws.amazon.com"
    assert (got_path, query["region"], got_fragment) == (path, ["eu-west-1"], fragment)


@pytest.mark.parametrize("kind", sorted(LINKS))
def test_links_in_other_partitions_use_their_console_host(kind: str) -> None:
    make = LINKS[kind][0]
    gov = Console("aws-us-gov", "us-gov-west-1", "123456789012")
    china = Console("aws-cn", "cn-north-1", "123456789012")
    assert urlsplit(make(gov)).netloc == "console.amazonaws-us-gov.com"
    assert urlsplit(make(china)).netloc == "console.amazonaws.cn"
    assert parse_qs(urlsplit(make(gov)).query)["region"] == ["us-gov-west-1"]


def test_waf_links_name_cloudfront_scope_global_in_us_east_1() -> None:
    host, path, query, _ = _parts(CONSOLE.waf_ip_sets())
    assert (host, path, query["region"]) == (
        "us-east-1.console.aws.amazon.com",
        "/wafv2/homev2/ip-sets",
        ["global"],
    )
    host, path, query, _ = _parts(CONSOLE.waf_ip_set("edgeguard-ban-v4-1", "0a1b-2c3d"))
    assert path == "/wafv2/homev2/ip-set/edgeguard-ban-v4-1/0a1b-2c3d"
    assert query["region"] == ["global"]
    _, _, query, _ = _parts(CONSOLE.waf_ip_set("origin-set", "9f", scope="REGIONAL"))
    assert query["region"] == ["eu-west-1"]


def test_s3_object_and_secret_links() -> None:
    key = "cloudfront/E2ABC.2026-11-30-03.a1b2c3d4.gz"
    host, path, query, _ = _parts(CONSOLE.s3_object("edgeguard-logs-123456789012", key))
    assert (host, path) == (
        "eu-west-1.console.aws.amazon.com",
        "/s3/object/edgeguard-logs-123456789012",
    )
    assert (query["prefix"], query["region"]) == ([key], ["eu-west-1"])
    secret = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:origin-verify-AbCdEf"
    _, path, query, _ = _parts(CONSOLE.secret(secret))
    assert (path, query["name"], query["region"]) == (
        "/secretsmanager/secret",
        [secret],
        ["eu-west-1"],
    )


def test_a_finding_in_another_region_links_to_that_region() -> None:
    link = CONSOLE.in_region("ap-southeast-2").guardduty_finding("f1")
    assert urlsplit(link).netloc == "ap-southeast-2.console.aws.amazon.com"
    assert CONSOLE.in_region("not a region") == CONSOLE


def test_times_are_relative_and_absolute() -> None:
    assert for_until(NOW + timedelta(hours=4), NOW) == "for 4 h, until 07:50 UTC"
    assert for_until(NOW + timedelta(hours=24), NOW) == "for 1 d, until Tue 01 Dec 03:50 UTC"
    assert for_until(NOW + timedelta(minutes=90), NOW) == "for 1 h 30 min, until 05:20 UTC"
    assert span(timedelta(seconds=-5)) == "0 s"
    # an expiry stored to the second, read a fraction of a second later
    assert for_until(NOW + timedelta(days=1), NOW + timedelta(seconds=0.9)) == (
        "for 1 d, until Tue 01 Dec 03:50 UTC"
    )


def _alert() -> Alert:
    value = "89.248.165.52/32"
    return Alert(
        kind="guardduty-block",
        title="GuardDuty: 1 address banned",
        severity="medium",
        fields={"finding types": ["UnauthorizedAccess:EC2/SSHBruteForce"], "severity": 5.0},
        happened="SSH brute force from 89.248.165.52 (BRUTE-NET, AS64502) against i-0abc",
        did="Banned in the WAF IP sets: 89.248.165.52/32 for 4 h, until 07:50 UTC.",
        undo=CONSOLE.unblock(value),
        links=(("GuardDuty finding", CONSOLE.guardduty_finding("f1")),),
        actions=single_ban_actions([value]),
    )


def test_to_dict_carries_the_new_parts_and_the_old_ones() -> None:
    wire = _alert().to_dict()
    assert {"kind", "title", "severity", "fields", "link"} <= set(wire)
    assert wire["actions"] == [
        {"op": "unblock", "target": "89.248.165.52/32", "scope": "ip"},
        {"op": "extend", "target": "89.248.165.52/32", "scope": "ip"},
        {"op": "details", "target": "89.248.165.52/32", "scope": "ip"},
    ]
    assert wire["links"][0]["label"] == "GuardDuty finding"
    assert json.loads(json.dumps(wire)) == wire


def test_an_old_style_alert_still_works() -> None:
    old = Alert("x", "t", "low", {"a": 1}, "https://example.com/")
    assert old.to_dict()["actions"] == [] and old.all_links() == [("Open", "https://example.com/")]
    assert "https://example.com/" in old.to_text()


@pytest.mark.parametrize(
    "action",
    [
        {"op": "delete", "target": "1.2.3.4/32", "scope": "ip"},
        {"op": "unblock", "target": "", "scope": "ip"},
        {"op": "unblock", "target": "x", "scope": "range"},
    ],
)
def test_a_malformed_action_is_refused(action: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="malformed alert action"):
        Alert("x", "t", actions=(action,))


def test_digests_and_multi_ban_alerts_carry_no_actions() -> None:
    assert single_ban_actions(["192.0.2.1/32", "192.0.2.2/32"]) == ()
    assert single_ban_actions([]) == ()


ORDER = ("What happened", "What edgeguard did", "Undo", "GuardDuty finding", "finding types")


def _positions(text: str) -> list[int]:
    return [text.index(marker) for marker in ORDER]


def test_email_and_telegram_say_the_same_things_in_the_same_order() -> None:
    alert = _alert()
    email = alert.to_text()
    [html] = render(json.dumps(alert.to_dict()))
    error, chat = check_entities(html)
    assert error is None
    assert _positions(email) == sorted(_positions(email))
    assert _positions(chat) == sorted(_positions(chat))
    for part in (alert.happened, alert.did, alert.undo):
        assert part in email and part in chat
    assert CONSOLE.guardduty_finding("f1") in email
    assert f'<a href="{CONSOLE.guardduty_finding("f1").replace("&", "&amp;")}">' in html
    assert f"<code>{alert.undo}</code>" in html
    assert "<" not in email  # plain text, no markup


def test_the_subject_has_no_control_characters() -> None:
    alert = Alert("x", "ban\x00 of\x07 \x1b[31mred\x7f\ttab\u200b", "high")
    subject = alert.subject()
    assert all(32 <= ord(c) < 127 for c in subject)
    assert subject == "edgeguard HIGH: ban of [31mred tab?"
    assert unquote(subject) == subject


def test_an_execution_links_to_its_own_region() -> None:
    arn = "arn:aws:states:us-west-2:123456789012:execution:auto-block:run-1"
    assert parse_qs(urlsplit(CONSOLE.stepfunctions_execution(arn)).query)["region"] == ["us-west-2"]


@pytest.mark.parametrize(
    ("finding_type", "spoken"),
    [
        ("UnauthorizedAccess:EC2/SSHBruteForce", "SSH brute force"),
        ("Recon:EC2/PortProbeUnprotectedPort", "Port probe unprotected port"),
        ("UnauthorizedAccess:EC2/MaliciousIPCaller.Custom", "Malicious IP caller"),
        ("CredentialAccess:RDS/MaliciousIPCaller.FailedLogin", "Malicious IP caller"),
        ("TTPs/Initial Access", "Initial access from the title"),
    ],
)
def test_finding_types_read_as_words(finding_type: str, spoken: str) -> None:
    assert threat_name(finding_type, "Initial access from the title") == spoken
