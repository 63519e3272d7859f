"""Findings the team had not seen, built from GuardDuty's documented EventBridge format
(camelCase ``detail``) and ASFF, through the template's real rules in the local cloud.

Each case is a decision a user would check: an outbound brute force names a victim, a
C&C finding names a server that never browses the site, "Generate sample findings"
and archived findings are not attacks, an affiliated account is the org's own.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import boto3
import pytest
from moto import mock_aws

from edgeguard.decisions import DynamoDecisionStore
from edgeguard_tools.events import load_event
from edgeguard_tools.local.cloud import LocalCloud

ACCOUNT = "123456789012"


def _store(cloud):
    return DynamoDecisionStore(cloud.resource("DecisionsTable"), client=cloud.client("dynamodb"))


def _active(cloud, value: str) -> list[Any]:
    return [d for d in _store(cloud).get(value) if d.active()]


def _last(cloud, logical_id: str) -> dict[str, Any]:
    return [c for c in cloud.invocations if c.logical_id == logical_id][-1].result


def _gd_event(finding_type: str, action: dict[str, Any], **service: Any) -> dict[str, Any]:
    """A "GuardDuty Finding" event as EventBridge delivers it (documented shape)."""
    finding_id = abs(hash((finding_type, json.dumps(action, sort_keys=True)))) % 10**12
    return {
        "version": "0",
        "id": f"evt-{finding_id}",
        "detail-type": "GuardDuty Finding",
        "source": "aws.guardduty",
        "account": ACCOUNT,
        "time": "2026-11-22T01:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {
            "schemaVersion": "2.0",
            "accountId": ACCOUNT,
            "region": "us-east-1",
            "partition": "aws",
            "id": f"gd{finding_id}",
            "arn": f"arn:aws:guardduty:us-east-1:{ACCOUNT}:detector/d1/finding/gd{finding_id}",
            "type": finding_type,
            "resource": {
                "resourceType": "Instance",
                "instanceDetails": {
                    "instanceId": "i-0123456789abcdef0",
                    "networkInterfaces": [
                        {
                            "privateIpAddress": "10.0.1.23",
                            "publicIp": "54.210.17.33",
                            "ipv6Addresses": [],
                        }
                    ],
                },
            },
            "service": {
                "serviceName": "guardduty",
                "detectorId": "d1",
                "action": action,
                "resourceRole": service.pop("resourceRole", "TARGET"),
                "additionalInfo": service.pop("additionalInfo", {"value": "{}", "type": "default"}),
                "eventFirstSeen": "2026-11-22T00:50:00.000Z",
                "eventLastSeen": "2026-11-22T00:59:00.000Z",
                "archived": service.pop("archived", False),
                "count": 3,
                **service,
            },
            "severity": 8,
            "createdAt": "2026-11-22T00:51:00.000Z",
            "updatedAt": "2026-11-22T00:59:30.000Z",
            "title": finding_type,
            "description": finding_type,
        },
    }


def _network(direction: str, remote: str, port: int = 22) -> dict[str, Any]:
    return {
        "actionType": "NETWORK_CONNECTION",
        "networkConnectionAction": {
            "connectionDirection": direction,
            "remoteIpDetails": {
                "ipAddressV4": remote,
                "organization": {"asn": "64500", "asnOrg": "Example", "isp": "Example"},
                "country": {"countryName": "Example"},
            },
            "remotePortDetails": {"port": 50022 if direction == "INBOUND" else port},
            "localPortDetails": {"port": port if direction == "INBOUND" else 40022},
            "localIpDetails": {"ipAddressV4": "10.0.1.23"},
            "protocol": "TCP",
            "blocked": False,
        },
    }


def _api_call(remote: str, affiliated: bool | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {
        "api": "GetCallerIdentity",
        "serviceName": "sts.amazonaws.com",
        "callerType": "Remote IP",
        "remoteIpDetails": {"ipAddressV4": remote, "organization": {"asn": "64501"}},
    }
    if affiliated is not None:
        block["remoteAccountDetails"] = {"accountId": "210987654321", "affiliated": affiliated}
    return {"actionType": "AWS_API_CALL", "awsApiCallAction": block}


@pytest.fixture(scope="module")
def cloud():
    with mock_aws():
        boto3.client("securityhub", region_name="us-east-1").enable_security_hub()
        with LocalCloud({"EnableSecurityHubAction": "true"}, quiet=True) as running:
            yield running


def test_inbound_ssh_brute_force_bans_the_attacker(cloud):
    event = _gd_event("UnauthorizedAccess:EC2/SSHBruteForce", _network("INBOUND", "198.51.100.31"))
    assert cloud.put_event(event) == ["GuardDutyBlockFunction"]
    assert _active(cloud, "198.51.100.31/32")


def test_outbound_ssh_brute_force_never_bans_the_victim(cloud):
    # Documented: resource role ACTOR / OUTBOUND means the instance attacks the remote.
    event = _gd_event(
        "UnauthorizedAccess:EC2/SSHBruteForce",
        _network("OUTBOUND", "198.51.100.32"),
        resourceRole="ACTOR",
    )
    before = len(cloud.telegram_messages)
    assert cloud.put_event(event) == ["GuardDutyBlockFunction"]
    assert _active(cloud, "198.51.100.32/32") == []
    result = _last(cloud, "GuardDutyBlockFunction")
    assert result["recorded"] == [] and result["outbound_not_banned"] == ["198.51.100.32"]
    text = "\n".join(str(m["text"]) for m in cloud.telegram_messages[before:])
    assert "198.51.100.32" in text and "not banned" in text
    # The news is the compromised instance: as urgent as GuardDuty's severity 8 says.
    assert "connects out" in text and "\U0001f534" in text  # high


@pytest.mark.parametrize(
    ("finding_type", "address"),
    [
        ("Recon:EC2/Portscan", "203.0.113.33"),
        ("Backdoor:EC2/DenialOfService.Tcp", "203.0.113.36"),
        ("Backdoor:EC2/Spambot", "203.0.113.37"),
    ],
)
def test_outbound_victims_scan_targets_are_reported_not_banned(cloud, finding_type, address):
    event = _gd_event(finding_type, _network("OUTBOUND", address, 443), resourceRole="ACTOR")
    cloud.put_event(event)
    assert _active(cloud, f"{address}/32") == []


@pytest.mark.parametrize(
    ("finding_type", "address"),
    [
        ("Backdoor:EC2/C&CActivity.B", "203.0.113.38"),
        ("CryptoCurrency:EC2/BitcoinTool.B", "203.0.113.39"),
        ("Trojan:EC2/DropPoint", "203.0.113.40"),
    ],
)
def test_threat_listed_outbound_destinations_are_banned(cloud, finding_type, address):
    """GuardDuty says the destination itself is a C&C server / pool / drop point."""
    event = _gd_event(finding_type, _network("OUTBOUND", address, 443), resourceRole="ACTOR")
    cloud.put_event(event)
    assert _active(cloud, f"{address}/32") != []


def test_unknown_direction_is_not_taken_for_an_attacker(cloud):
    event = _gd_event("UnauthorizedAccess:EC2/TorRelay", _network("UNKNOWN", "203.0.113.34"))
    cloud.put_event(event)
    assert _active(cloud, "203.0.113.34/32") == []


def test_a_generated_sample_finding_bans_nothing(cloud):
    # "Generate sample findings" marks each one with service.additionalInfo.sample = true.
    event = _gd_event(
        "UnauthorizedAccess:EC2/SSHBruteForce",
        _network("INBOUND", "198.51.100.35"),
        additionalInfo={"sample": True, "value": '{"sample":true}', "type": "default"},
    )
    before = len(cloud.telegram_messages)
    assert cloud.put_event(event) == ["GuardDutyBlockFunction"]
    assert _active(cloud, "198.51.100.35/32") == []
    assert _last(cloud, "GuardDutyBlockFunction")["not_actionable"].startswith("sample finding")
    titles = [str(m["text"]).splitlines()[0] for m in cloud.telegram_messages[before:]]
    assert any("sample finding" in t for t in titles)


def test_an_archived_finding_bans_nothing(cloud):
    event = _gd_event("Recon:IAMUser/MaliciousIPCaller", _api_call("198.51.100.36"), archived=True)
    cloud.put_event(event)
    assert _active(cloud, "198.51.100.36/32") == []


def test_iam_callers_from_outside_are_banned_affiliated_accounts_are_not(cloud):
    cloud.put_event(
        _gd_event(
            "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
            _api_call("198.51.100.37", affiliated=False),
        )
    )
    assert _active(cloud, "198.51.100.37/32")
    cloud.put_event(
        _gd_event("Recon:IAMUser/MaliciousIPCaller", _api_call("198.51.100.38", affiliated=True))
    )
    assert _active(cloud, "198.51.100.38/32") == []
    assert _last(cloud, "GuardDutyBlockFunction")["affiliated_not_banned"] == ["198.51.100.38"]


def test_a_policy_finding_never_bans_the_own_admin(cloud):
    # Root credential usage from the admin's laptop (at or above GuardDutyMinSeverity).
    event = _gd_event("Policy:IAMUser/RootCredentialUsage", _api_call("198.51.100.39"))
    event["detail"]["severity"] = 4
    assert cloud.put_event(event) == ["GuardDutyBlockFunction"]
    assert _active(cloud, "198.51.100.39/32") == []
    assert _last(cloud, "GuardDutyBlockFunction")["not_actionable"].startswith("policy finding")


def test_ipv6_remote_of_an_inbound_probe_is_banned_as_its_64(cloud):
    action = {
        "actionType": "PORT_PROBE",
        "portProbeAction": {
            "blocked": False,
            "portProbeDetails": [
                {
                    "localPortDetails": {"port": 22, "portName": "SSH"},
                    "remoteIpDetails": {"ipAddressV6": "2001:DB8:0:7::9"},
                }
            ],
        },
    }
    cloud.put_event(_gd_event("Recon:EC2/PortProbeUnprotectedPort", action))
    assert _active(cloud, "2001:db8:0:7::/64")


# ---- Security Hub ASFF custom action: non-GuardDuty products and mixed batches


def _asff(product: str, finding_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "SchemaVersion": "2018-10-08",
        "Id": finding_id,
        "ProductArn": f"arn:aws:securityhub:us-east-1::product/aws/{product.lower()}",
        "ProductName": product,
        "CompanyName": "AWS",
        "Region": "us-east-1",
        "GeneratorId": f"{product}-generator",
        "AwsAccountId": ACCOUNT,
        "Types": ["Software and Configuration Checks/Vulnerabilities/CVE"],
        "CreatedAt": "2026-11-22T00:00:00.000Z",
        "UpdatedAt": "2026-11-22T00:00:00.000Z",
        "Severity": {"Label": "HIGH", "Normalized": 70},
        "Title": f"{product} finding",
        "Description": "real-shaped",
        "Resources": [{"Type": "AwsEc2Instance", "Id": "arn:aws:ec2:...:instance/i-1"}],
        "Workflow": {"Status": "NEW"},
        "RecordState": "ACTIVE",
        **extra,
    }


def _custom_action(cloud, findings: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "c0ffee00-0000-4000-8000-000000000001",
        "detail-type": "Security Hub Findings - Custom Action",
        "source": "aws.securityhub",
        "account": ACCOUNT,
        "time": "2026-11-22T01:00:00Z",
        "region": "us-east-1",
        "resources": [cloud.resource("BlockIpActionTarget")],
        "detail": {
            "actionName": "Block IP in WAF",
            "actionDescription": "Block source IP in WAF",
            "findings": findings,
        },
    }


def test_a_batch_from_many_products_bans_only_inbound_sources(cloud):
    gd = copy.deepcopy(load_event("securityhub_custom_action_block_ip")["detail"]["findings"][0])
    gd_sample = copy.deepcopy(gd)
    gd_sample["Id"] = gd["Id"] + "-sample"
    gd_sample["ProductFields"] = {
        "aws/guardduty/service/additionalInfo/sample": "true",
        "aws/guardduty/service/action/networkConnectionAction/remoteIpDetails/ipAddressV4": (
            "198.51.100.41"
        ),
    }
    gd_outbound = copy.deepcopy(gd)
    gd_outbound["Id"] = gd["Id"] + "-c2"
    gd_outbound["Types"] = ["TTPs/Impact/Backdoor:EC2-DenialOfService.Tcp"]
    gd_outbound["Action"] = {
        "ActionType": "NETWORK_CONNECTION",
        "NetworkConnectionAction": {
            "ConnectionDirection": "OUTBOUND",
            "RemoteIpDetails": {"IpAddressV4": "198.51.100.42"},
            "Protocol": "TCP",
            "Blocked": False,
        },
    }
    gd_outbound["ProductFields"] = {
        "aws/guardduty/service/action/actionType": "NETWORK_CONNECTION",
        "aws/guardduty/service/action/networkConnectionAction/connectionDirection": "OUTBOUND",
        "aws/guardduty/service/action/networkConnectionAction/remoteIpDetails/ipAddressV4": (
            "198.51.100.42"
        ),
    }
    gd_outbound["Network"] = {
        "Direction": "OUT",
        "SourceIpV4": "10.0.1.23",
        "DestinationIpV4": "198.51.100.42",
        "DestinationPort": 443,
    }
    findings = [
        _asff("Inspector", "inspector-1"),  # a CVE: no address at all
        _asff("Macie", "macie-1", Types=["Sensitive Data Identifications/PII"]),
        _asff("Config", "config-1", Compliance={"Status": "FAILED"}),
        _asff(
            "Firewall Manager",
            "fms-1",
            Network={"Direction": "IN", "SourceIpV4": "198.51.100.43", "Protocol": "TCP"},
        ),
        _asff(
            "ThirdPartyIDS",
            "ids-1",
            Network={
                "Direction": "OUT",
                "SourceIpV4": "10.0.2.2",
                "DestinationIpV4": "198.51.100.44",
            },
        ),
        _asff("Inspector", "inspector-2", Network="not an object", Action=["nor", "this"]),
        gd_sample,
        gd_outbound,
        "not a finding",
    ]
    assert cloud.put_event(_custom_action(cloud, findings)) == ["SecurityHubBlockFunction"]
    result = _last(cloud, "SecurityHubBlockFunction")
    assert result["recorded"] == ["198.51.100.43/32"]
    assert result["malformed_findings_skipped"] == 1
    for ip in ("198.51.100.41", "198.51.100.42", "198.51.100.44"):
        assert _active(cloud, f"{ip}/32") == [], ip
