"""A GuardDuty finding event becomes decisions and an alert on the real (moto) topic."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
import pytest
from moto import mock_aws

from edgeguard.config import ConfigError
from edgeguard.decisions import MemoryStore
from edgeguard.findings.service import FindingSettings, handle_guardduty_event
from edgeguard_tools.events import load_event

NOW = datetime(2026, 11, 21, 23, 55, tzinfo=UTC)


@pytest.fixture
def topic():
    """An alerts topic with a queue subscribed, to read back what was published."""
    with mock_aws():
        sns, sqs = boto3.client("sns"), boto3.client("sqs")
        arn = sns.create_topic(Name="alerts")["TopicArn"]
        url = sqs.create_queue(QueueName="inbox")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn)

        def alerts():
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
            return [
                json.loads(json.loads(m["Body"])["Message"]) for m in messages.get("Messages", [])
            ]

        yield sns, arn, alerts


def _settings(arn, **env):
    return FindingSettings.from_env({"ALERTS_TOPIC_ARN": arn, **env})


def test_ssh_brute_force_finding_bans_the_attacker_and_alerts(topic):
    sns, arn, alerts = topic
    sink = MemoryStore()
    result = handle_guardduty_event(
        load_event("guardduty_network_connection"), sink, sns, _settings(arn), NOW
    )
    assert [r["value"] for r in result["recorded"]] == ["198.51.100.23/32"]
    decision = sink.decisions[("198.51.100.23/32", "ban")]
    assert (decision.origin, decision.reason) == (
        "guardduty",
        "UnauthorizedAccess:EC2/SSHBruteForce",
    )
    (alert,) = alerts()
    assert alert["kind"] == "guardduty-block"
    assert alert["severity"] == "high"
    assert alert["fields"]["banned"] == ["198.51.100.23/32"]


def test_settings_durations_dry_run_and_own_ranges_apply(topic):
    sns, arn, alerts = topic
    sink = MemoryStore()
    settings = _settings(
        arn, BAN_MINUTES="90", DRY_RUN="true", OWN_CIDRS="198.51.100.128/25, 2001:db8:4f1::/48"
    )
    result = handle_guardduty_event(load_event("guardduty_port_probe"), sink, sns, settings, NOW)
    assert result["action"] == "count"
    assert [r["value"] for r in result["recorded"]] == ["192.0.2.61/32"]
    assert result["own_skipped"] == ["198.51.100.140", "2001:db8:4f1::a2"]
    decision = sink.decisions[("192.0.2.61/32", "count")]
    assert (decision.expires_at - NOW).total_seconds() == 90 * 60
    assert alerts()[0]["title"] == "GuardDuty: 1 address counted (dry run)"


def test_findings_below_the_minimum_severity_are_left_alone(topic):
    sns, arn, alerts = topic
    sink = MemoryStore()
    result = handle_guardduty_event(
        load_event("guardduty_port_probe"), sink, sns, _settings(arn, MIN_SEVERITY="4"), NOW
    )
    assert "below" in result["skipped"]
    assert sink.decisions == {}
    assert alerts() == []


def test_bad_settings_name_the_variable():
    with pytest.raises(ConfigError, match="ALERTS_TOPIC_ARN"):
        FindingSettings.from_env({})
    with pytest.raises(ConfigError, match="OWN_CIDRS"):
        FindingSettings.from_env({"ALERTS_TOPIC_ARN": "x", "OWN_CIDRS": "not-a-cidr"})
    with pytest.raises(ConfigError, match="DRY_RUN"):
        FindingSettings.from_env({"ALERTS_TOPIC_ARN": "x", "DRY_RUN": "maybe"})
