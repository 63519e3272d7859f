"""Security Hub "Block IP in WAF": decisions, a note on each finding, an alert."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import boto3
import pytest
from moto import mock_aws

from edgeguard.decisions import MemoryStore
from edgeguard.findings.service import FindingSettings, handle_custom_action_event
from edgeguard_tools.events import load_event
from edgeguard_tools.local import moto_ext

NOW = datetime(2026, 11, 21, 23, 55, tzinfo=UTC)


@pytest.fixture
def aws():
    moto_ext.install()
    with mock_aws():
        sns, sqs = boto3.client("sns"), boto3.client("sqs")
        hub = boto3.client("securityhub")
        hub.enable_security_hub()
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

        yield sns, hub, FindingSettings.from_env({"ALERTS_TOPIC_ARN": arn}), alerts


def _import(hub, findings):
    response = hub.batch_import_findings(Findings=findings)
    assert response["FailedCount"] == 0, response


def _notes(hub):
    return {f["Id"]: f.get("Note", {}) for f in hub.get_findings()["Findings"]}


def test_selected_findings_are_banned_and_each_gets_a_note(aws):
    sns, hub, settings, alerts = aws
    event = load_event("securityhub_custom_action_block_ip")
    _import(hub, copy.deepcopy(event["detail"]["findings"]))
    sink = MemoryStore()
    result = handle_custom_action_event(event, sink, sns, hub, settings, now=NOW)

    assert result["recorded"] == [
        "192.0.2.61/32",
        "198.51.100.140/32",
        "198.51.100.23/32",
        "2001:db8:4f1::/64",
    ]
    assert {d.origin for d in sink.decisions.values()} == {"securityhub"}
    assert result["notes_written"] == 2
    notes = _notes(hub)
    probe, brute = (f["Id"] for f in event["detail"]["findings"])
    assert "192.0.2.61/32" in notes[probe]["Text"]
    assert notes[probe]["UpdatedBy"] == "edgeguard"
    assert notes[brute]["Text"].startswith("edgeguard banned in WAF until 2026-11-22T23:55:00")
    assert "198.51.100.23/32" in notes[brute]["Text"]
    (alert,) = alerts()
    assert alert["kind"] == "securityhub-block"
    assert alert["title"] == "Security Hub: 4 addresses banned"


def test_a_note_security_hub_refuses_is_reported_and_the_bans_stand(aws):
    sns, hub, settings, alerts = aws
    event = load_event("securityhub_custom_action_block_ip")
    _import(hub, copy.deepcopy(event["detail"]["findings"][:1]))  # the second is unknown to the hub
    sink = MemoryStore()
    result = handle_custom_action_event(event, sink, sns, hub, settings, now=NOW)
    assert ("198.51.100.23/32", "ban") in sink.decisions
    assert result["notes_written"] == 1
    assert len(result["notes_not_written"]) == 1
    assert "FindingNotFound" in result["notes_not_written"][0]
    (alert,) = alerts()
    assert alert["fields"]["notes not written"] == result["notes_not_written"]


def test_dry_run_notes_say_counted(aws):
    sns, hub, _, _ = aws
    settings = FindingSettings.from_env(
        {"ALERTS_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:alerts", "DRY_RUN": "true"}
    )
    sns.create_topic(Name="alerts")
    event = load_event("securityhub_custom_action_block_ip")
    _import(hub, copy.deepcopy(event["detail"]["findings"]))
    handle_custom_action_event(event, MemoryStore(), sns, hub, settings, now=NOW)
    assert all("counted (dry run)" in note["Text"] for note in _notes(hub).values())


def test_a_refused_note_call_still_alerts_about_the_bans(aws):
    sns, hub, settings, alerts = aws
    event = load_event("securityhub_custom_action_block_ip")
    event["detail"]["findings"].append("not a finding")
    hub.disable_security_hub()  # BatchUpdateFindings now answers InvalidAccessException
    sink = MemoryStore()
    result = handle_custom_action_event(event, sink, sns, hub, settings, now=NOW)
    assert ("198.51.100.23/32", "ban") in sink.decisions
    assert result["malformed_findings_skipped"] == 1
    assert result["notes_not_written"] == ["2 finding(s): InvalidAccessException"]
    (alert,) = alerts()
    assert alert["fields"]["notes not written"] == ["2 finding(s): InvalidAccessException"]
