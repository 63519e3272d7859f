"""Issue 19 acceptance: the GuardDuty, log, alarm, CloudTrail and rotation alerts each carry
the undo command (where one exists) and a console link of the right shape for the region
and account, as they reach Telegram in the local cloud (the template's rules, the state
machine executed, the notifier) or from the deployed handler on moto (trail guard).
The log alerts are covered in test_log_alert_storm.py."""

from __future__ import annotations

import html
import json
import re
import shlex
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from edgeguard.clock import utcnow
from edgeguard_tools.cli import breaker
from edgeguard_tools.events import load_event
from edgeguard_tools.local import moto_ext
from edgeguard_tools.local.cloud import LocalCloud
from tests.alarm_support import alarm_event, create_edge_web_acl, managed_group_metric
from tests.integration.test_trail_guard import Cloud, _cloud, _stop
from tests.unit.test_alert_content import cli

REGION = "us-east-1"


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    with LocalCloud(quiet=True) as running:
        yield running
    moto_ext.reset_distribution_settle_reads()


def _stack(cloud: LocalCloud) -> str:
    return cloud.function_environment("GuardDutyBlockFunction")["EDGEGUARD_STACK"]


def _last(cloud: LocalCloud, before: int) -> dict:
    """The last Telegram message since ``before`` (``text`` plain, ``html`` as sent)."""
    sent = cloud.telegram_messages[before:]
    assert sent, "nothing reached Telegram"
    return sent[-1]


def _hrefs(text: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'<a href="([^"]+)"', text)]


def _assert_unblock(command: str, value: str, stack: str) -> None:
    args = cli().parse_args(shlex.split(command)[1:])
    assert (args.run, args.value, args.stack_name, args.region) == (
        breaker.run_unblock,
        value,
        stack,
        REGION,
    )


def test_guardduty_alert_names_attacker_target_undo_and_finding(cloud: LocalCloud) -> None:
    before = len(cloud.telegram_messages)
    event = load_event("guardduty_network_connection")
    assert cloud.put_event(event) == ["GuardDutyBlockFunction"]
    message = _last(cloud, before)
    text = message["text"]
    happened = next(line for line in text.splitlines() if line.startswith("What happened"))
    assert happened.startswith(
        "What happened: SSH brute force from 198.51.100.23 (Example Hosting Ltd, AS64500, "
        "Netherlands) against i-0a1b2c3d4e5f67890 \u2014 banned for 1 d, until "
    ), happened
    undo = next(line for line in text.splitlines() if line.startswith("edgeguard unblock"))
    _assert_unblock(undo, "198.51.100.23/32", _stack(cloud))
    finding = next(h for h in _hrefs(message["html"]) if "/guardduty/" in h)
    split = urlsplit(finding)
    assert split.netloc == f"{REGION}.console.aws.amazon.com"
    assert parse_qs(split.query)["region"] == [REGION]
    assert split.fragment == f"/findings?macros=current&fId={event['detail']['id']}"
    assert any("/wafv2/homev2/ip-sets?region=global" in h for h in _hrefs(message["html"]))


def test_alarm_alert_links_the_alarm_and_the_execution_and_says_how_to_undo(
    cloud: LocalCloud,
) -> None:
    waf = cloud.client("wafv2")
    name = cloud.function_environment("AlarmCollectFunction")["WEB_ACL_NAME"]
    existing = [a for a in waf.list_web_acls(Scope="CLOUDFRONT")["WebACLs"] if a["Name"] == name]
    arn = existing[0]["ARN"] if existing else create_edge_web_acl(waf, name)["ARN"]
    moto_ext.seed_sampled_requests(
        arn,
        managed_group_metric(waf, arn),
        [
            {
                "Request": {"ClientIP": "198.51.100.9", "URI": "/wp-login.php"},
                "Weight": 40,
                "Timestamp": utcnow() - timedelta(minutes=2),
            }
        ],
    )
    before = len(cloud.telegram_messages)
    alarm = f"{name.rsplit('-', 1)[0]}-waf-blocked"
    assert cloud.put_event(alarm_event(alarm, utcnow())) == ["AutoBlockStateMachine"]
    message = _last(cloud, before)
    text = message["text"]
    assert f"WAF alarm {alarm} went to ALARM: 1 client over the threshold" in text
    undo = next(line for line in text.splitlines() if line.startswith("edgeguard unblock"))
    _assert_unblock(undo, "198.51.100.9/32", _stack(cloud))
    hrefs = _hrefs(message["html"])
    alarm_link = urlsplit(next(h for h in hrefs if "/cloudwatch/" in h))
    assert alarm_link.netloc == f"{REGION}.console.aws.amazon.com"
    assert alarm_link.fragment == f"alarmsV2:alarm/{alarm}"
    executions = cloud.client("stepfunctions").list_executions(
        stateMachineArn=cloud.resource("AutoBlockStateMachine")
    )["executions"]
    execution = urlsplit(next(h for h in hrefs if "/states/" in h))
    assert execution.fragment == f"/v2/executions/details/{executions[0]['executionArn']}"
    assert parse_qs(execution.query)["region"] == [REGION]


def test_rotation_alert_links_the_secret(cloud: LocalCloud) -> None:
    before = len(cloud.telegram_messages)
    cloud.rotate_secret("OriginSecret")
    message = _last(cloud, before)
    assert "Origin secret rotated" in message["text"]
    assert "What edgeguard did: the new X-Origin-Verify value is current" in message["text"]
    secret = urlsplit(next(h for h in _hrefs(message["html"]) if "/secretsmanager/" in h))
    assert secret.netloc == f"{REGION}.console.aws.amazon.com"
    assert parse_qs(secret.query)["name"] == [cloud.resource("OriginSecret")]
    assert "Undo" not in message["text"]  # a rotation has no edgeguard undo


@pytest.fixture
def trail() -> Iterator[Cloud]:
    yield from _cloud()


def test_trail_guard_alert_says_who_did_what_what_was_undone_and_links_the_event(
    trail: Cloud,
) -> None:
    event = _stop(trail)
    trail.invoke(event)
    (alert,) = trail.alerts()
    assert alert["happened"] == (
        "arn:aws:sts::123456789012:assumed-role/DevOpsAdmin/mallory (AssumedRole) called "
        "StopLogging on trail management-events from 198.51.100.24 at 2026-11-21T22:14:03Z"
    )
    assert alert["did"].startswith("Undone: ")
    assert alert["undo"] == ""  # restarting audit logging has nothing to undo
    links = {item["label"]: urlsplit(item["url"]) for item in alert["links"]}
    event_link = links["CloudTrail event"]
    assert event_link.netloc == f"{REGION}.console.aws.amazon.com"
    assert event_link.path == "/cloudtrailv2/home"
    assert event_link.fragment == f"/events/{event['detail']['eventID']}"
    assert links["Trail"].fragment == (
        "/trails/arn:aws:cloudtrail:us-east-1:123456789012:trail/management-events"
    )
    assert json.dumps(alert).count("edgeguard unblock") == 0


def test_circuit_breaker_alerts_say_who_did_what_how_to_undo_and_link_waf(
    cloud: LocalCloud,
) -> None:
    from edgeguard.breaker.service import CircuitBreaker  # noqa: PLC0415
    from edgeguard_tools.backends import cloud_backend  # noqa: PLC0415

    breaker_ = CircuitBreaker(cloud_backend(cloud))
    before = len(cloud.telegram_messages)
    breaker_.block("192.0.2.77", timedelta(hours=4), "credential stuffing")
    message = _last(cloud, before)
    lines = message["text"].splitlines()
    happened = next(line for line in lines if line.startswith("What happened"))
    assert "blocked address 192.0.2.77/32 for 4 h, until " in happened
    assert happened.endswith(": credential stuffing")
    _assert_unblock(
        next(line for line in lines if line.startswith("edgeguard unblock")),
        "192.0.2.77/32",
        _stack(cloud),
    )
    assert any("/wafv2/homev2/ip-sets?region=global" in h for h in _hrefs(message["html"]))

    before = len(cloud.telegram_messages)
    breaker_.unblock("192.0.2.77", "false positive")
    lines = _last(cloud, before)["text"].splitlines()
    redo = next(line for line in lines if line.startswith("edgeguard block"))
    args = cli().parse_args(shlex.split(redo)[1:])
    assert (args.run, args.value, args.reason, args.stack_name) == (
        breaker.run_block,
        "192.0.2.77/32",
        "credential stuffing",
        _stack(cloud),
    )
