"""Findings through the template's own rules in the local cloud: which GuardDuty findings
reach GuardDutyBlockFunction, and the Security Hub custom action end to end."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from edgeguard.decisions import DynamoDecisionStore
from edgeguard_tools.events import load_event
from edgeguard_tools.local.cloud import LocalCloud


def _store(cloud):
    return DynamoDecisionStore(cloud.resource("DecisionsTable"), client=cloud.client("dynamodb"))


@pytest.fixture(scope="module")
def cloud():
    # As the README asks: Security Hub is enabled in the account before the stack is
    # deployed with EnableSecurityHubAction=true (CreateActionTarget fails otherwise).
    with mock_aws():
        boto3.client("securityhub", region_name="us-east-1").enable_security_hub()
        with LocalCloud({"EnableSecurityHubAction": "true"}, quiet=True) as running:
            yield running


@pytest.mark.parametrize(
    ("event", "routed"),
    [
        ("guardduty_network_connection", ["GuardDutyBlockFunction"]),  # severity 8
        ("guardduty_aws_api_call", ["GuardDutyBlockFunction"]),  # 5
        ("guardduty_kubernetes_api_call", ["GuardDutyBlockFunction"]),
        ("guardduty_rds_login_attempt", ["GuardDutyBlockFunction"]),
        ("guardduty_lambda_network", ["GuardDutyBlockFunction"]),
        ("guardduty_runtime_network", ["GuardDutyBlockFunction"]),
        ("guardduty_attack_sequence", ["GuardDutyBlockFunction"]),  # second rule
        ("guardduty_port_probe", []),  # severity 2 < GuardDutyMinSeverity 4
        ("guardduty_dns_request", []),  # a domain, no address
    ],
)
def test_guardduty_rules_route_findings_that_carry_an_address(cloud, event, routed):
    assert cloud.put_event(load_event(event)) == routed


def test_severity_threshold_is_numeric(cloud):
    event = copy.deepcopy(load_event("guardduty_port_probe"))
    event["detail"]["severity"] = 4.0
    assert cloud.put_event(event) == ["GuardDutyBlockFunction"]
    event["detail"]["severity"] = 3.9
    assert cloud.put_event(event) == []


def test_guardduty_finding_bans_its_attacker(cloud):
    cloud.put_event(load_event("guardduty_rds_login_attempt"))
    (decision,) = [d for d in _store(cloud).get("198.51.100.250/32") if d.active()]
    assert decision.origin == "guardduty"
    assert decision.reason == "CredentialAccess:RDS/MaliciousIPCaller.FailedLogin"


def test_security_hub_custom_action_bans_and_notes_each_finding(cloud):
    hub = cloud.client("securityhub")
    # 198.51.100.141 appears in no GuardDuty sample, so only this action can ban it
    text = json.dumps(load_event("securityhub_custom_action_block_ip"))
    event = json.loads(text.replace("198.51.100.140", "198.51.100.141"))
    assert event["resources"] == [cloud.resource("BlockIpActionTarget")]
    hub.batch_import_findings(Findings=copy.deepcopy(event["detail"]["findings"]))
    before = len(cloud.telegram_messages)

    assert cloud.put_event(event) == ["SecurityHubBlockFunction"]

    result = [c for c in cloud.invocations if c.logical_id == "SecurityHubBlockFunction"][-1].result
    assert result["recorded"] == [
        "192.0.2.61/32",
        "198.51.100.141/32",
        "198.51.100.23/32",
        "2001:db8:4f1::/64",
    ]
    assert {d.origin for d in _store(cloud).get("198.51.100.141/32")} == {"securityhub"}
    assert all(any(d.active() for d in _store(cloud).get(v)) for v in result["recorded"])
    notes = [f.get("Note", {}).get("Text", "") for f in hub.get_findings()["Findings"]]
    assert all(n.startswith("edgeguard banned in WAF until") for n in notes) and len(notes) == 2
    titles = [str(m["text"]).splitlines()[0] for m in cloud.telegram_messages[before:]]
    assert any("Security Hub: 4 addresses banned" in t for t in titles)


def test_another_custom_action_does_not_reach_the_block_function(cloud):
    event = copy.deepcopy(load_event("securityhub_custom_action_block_ip"))
    event["resources"] = ["arn:aws:securityhub:us-east-1:123456789012:action/custom/SendToJira"]
    assert cloud.put_event(event) == []


def test_attack_sequence_case_bans_per_endpoint_direction(cloud):
    """Case findings/guardduty-attack-sequence.json through the deployed rule."""
    case = Path(__file__).parents[1] / "fixtures" / "findings" / "guardduty-attack-sequence.json"
    assert cloud.put_event(json.loads(case.read_text())) == ["GuardDutyBlockFunction"]
    result = [c for c in cloud.invocations if c.logical_id == "GuardDutyBlockFunction"][-1].result
    assert [d["value"] for d in result["recorded"]] == [
        "141.98.11.27/32",
        "2a0e:b107:1a40::/64",
        "51.15.73.5/32",
    ]
    assert result["outbound_not_banned"] == ["198.51.100.44"]
    store = _store(cloud)
    assert any(d.active() for d in store.get("51.15.73.5/32"))
    assert not store.get("198.51.100.44/32")
