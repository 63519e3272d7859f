"""Extraction from the documented GuardDuty and ASFF formats, one sample per shape."""

from __future__ import annotations

import copy

import pytest

from edgeguard.findings.asff import extract_asff, findings_from_custom_action
from edgeguard.findings.guardduty import extract_guardduty, finding_from_event
from edgeguard_tools.events import load_event


def _gd(name: str):
    return extract_guardduty(finding_from_event(load_event(name)))


@pytest.mark.parametrize(
    ("event", "remote", "finding_type"),
    [
        ("guardduty_network_connection", ["198.51.100.23"], "UnauthorizedAccess:EC2/SSHBruteForce"),
        ("guardduty_aws_api_call", ["203.0.113.77"], "Discovery:S3/MaliciousIPCaller"),
        (
            "guardduty_port_probe",
            ["192.0.2.61", "198.51.100.140", "2001:db8:4f1::a2"],
            "Recon:EC2/PortProbeUnprotectedPort",
        ),
        (
            "guardduty_kubernetes_api_call",
            ["203.0.113.199", "198.51.100.7"],
            "Discovery:Kubernetes/MaliciousIPCaller",
        ),
        (
            "guardduty_rds_login_attempt",
            ["198.51.100.250"],
            "CredentialAccess:RDS/MaliciousIPCaller.FailedLogin",
        ),
        # Outbound to a threat-listed C&C server / mining pool: the destination is banned.
        ("guardduty_lambda_network", ["2001:db8:bad:c0de::10"], "Backdoor:Lambda/C&CActivity.B"),
        (
            "guardduty_runtime_network",
            ["203.0.113.150", "2001:db8:f00d::77"],
            "CryptoCurrency:Runtime/BitcoinTool.B",
        ),
        (
            "guardduty_attack_sequence",
            ["203.0.113.90", "2001:db8:77::1"],
            "AttackSequence:S3/CompromisedData",
        ),
        ("guardduty_dns_request", [], "Backdoor:EC2/C&CActivity.B!DNS"),
    ],
)
def test_every_guardduty_shape_yields_its_remote_addresses(event, remote, finding_type):
    extraction = _gd(event)
    assert [a.ip for a in extraction.addresses()] == remote
    assert extraction.finding_type == finding_type
    assert extraction.problems == []


@pytest.mark.parametrize(
    ("event", "outbound"),
    [
        ("guardduty_lambda_network", ["2001:db8:bad:c0de::10"]),
        ("guardduty_runtime_network", ["203.0.113.150", "2001:db8:f00d::77"]),
    ],
)
def test_outbound_destinations_are_banned_only_when_threat_listed(event, outbound):
    extraction = _gd(event)
    assert [a.ip for a in extraction.addresses()] == outbound
    assert extraction.outbound_addresses() == []
    # the same connection in a finding that makes the destination a victim: not banned
    victim = load_event(event)
    victim["detail"]["type"] = "UnauthorizedAccess:EC2/SSHBruteForce"
    extraction = extract_guardduty(finding_from_event(victim))
    assert extraction.addresses() == []
    assert extraction.outbound_addresses() == outbound


def test_threat_intelligence_evidence_makes_an_outbound_destination_bannable():
    event = load_event("guardduty_runtime_network")
    event["detail"]["type"] = "UnauthorizedAccess:EC2/TorClient"
    assert extract_guardduty(finding_from_event(event)).addresses() == []
    event["detail"]["service"]["evidence"] = {
        "threatIntelligenceDetails": [{"threatListName": "ProofPoint", "threatNames": ["x"]}]
    }
    ips = [a.ip for a in extract_guardduty(finding_from_event(event)).addresses()]
    assert ips == ["203.0.113.150", "2001:db8:f00d::77"]


def test_port_probe_lists_a_repeated_prober_once_with_every_place_it_appeared():
    extraction = _gd("guardduty_port_probe")
    first = extraction.addresses()[0]
    assert first.ip == "192.0.2.61"
    assert first.where == (
        "service.action.portProbeAction.portProbeDetails[0].remoteIpDetails.ipAddressV4",
        "service.action.portProbeAction.portProbeDetails[3].remoteIpDetails.ipAddressV4",
    )


def test_the_resources_own_addresses_are_collected_and_never_remote():
    extraction = _gd("guardduty_port_probe")
    assert {"10.0.1.23", "54.210.17.33", "2600:1f18:4a3:6e00::15"} <= set(extraction.own)
    # an attacker field holding the instance's own public address is not an attacker
    event = load_event("guardduty_network_connection")
    action = event["detail"]["service"]["action"]["networkConnectionAction"]
    action["remoteIpDetails"]["ipAddressV4"] = "54.210.17.33"
    assert extract_guardduty(event["detail"]).addresses() == []


def test_dns_request_reports_the_domain_and_bans_nothing():
    extraction = _gd("guardduty_dns_request")
    assert extraction.domains == ["c2.malicious.example.com"]
    assert extraction.addresses() == []


def test_attack_sequence_domain_only_endpoints_are_skipped_without_complaint():
    extraction = _gd("guardduty_attack_sequence")
    assert extraction.severity == 9
    assert extraction.problems == []


def test_pascal_case_from_get_findings_reads_the_same():
    def pascal(obj):
        if isinstance(obj, dict):
            return {k[:1].upper() + k[1:]: pascal(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [pascal(v) for v in obj]
        return obj

    detail = pascal(load_event("guardduty_port_probe")["detail"])
    assert [a.ip for a in extract_guardduty(detail).addresses()] == [
        "192.0.2.61",
        "198.51.100.140",
        "2001:db8:4f1::a2",
    ]


def test_malformed_addresses_are_counted_and_the_rest_still_extracted():
    event = load_event("guardduty_port_probe")
    probes = event["detail"]["service"]["action"]["portProbeAction"]["portProbeDetails"]
    probes[1]["remoteIpDetails"]["ipAddressV4"] = "999.1.2.3"
    probes.append({"remoteIpDetails": None})
    probes.append("garbage")
    extraction = extract_guardduty(event["detail"])
    assert [a.ip for a in extraction.addresses()] == ["192.0.2.61", "2001:db8:4f1::a2"]
    assert len(extraction.problems) == 1
    assert "999.1.2.3" in extraction.problems[0]


def test_a_finding_with_no_service_at_all_is_empty_not_an_error():
    extraction = extract_guardduty({"id": "x", "type": "Policy:IAMUser/RootCredentialUsage"})
    assert extraction.addresses() == []
    assert extraction.finding_type == "Policy:IAMUser/RootCredentialUsage"


def test_ipv4_mapped_ipv6_becomes_ipv4():
    event = load_event("guardduty_network_connection")
    details = event["detail"]["service"]["action"]["networkConnectionAction"]["remoteIpDetails"]
    details["ipAddressV4"] = None
    details["ipAddressV6"] = "::ffff:203.0.113.5"
    assert [a.ip for a in extract_guardduty(event["detail"]).addresses()] == ["203.0.113.5"]


def test_wrong_event_type_is_refused_clearly():
    with pytest.raises(ValueError, match="not a GuardDuty finding event"):
        finding_from_event({"detail-type": "AWS API Call via CloudTrail", "detail": {}})


# ------------------------------------------------------------------ ASFF
def _asff():
    return findings_from_custom_action(load_event("securityhub_custom_action_block_ip"))


def test_guardduty_asff_port_probe_reads_action_and_product_fields_including_ipv6():
    extraction = extract_asff(_asff()[0])
    assert [a.ip for a in extraction.addresses()] == [
        "192.0.2.61",
        "198.51.100.140",
        "2001:db8:4f1::a2",  # only ProductFields carries the IPv6 prober
    ]
    assert extraction.finding_type == "TTPs/Discovery/Recon:EC2-PortProbeUnprotectedPort"
    assert extraction.severity == 2
    assert {"10.0.1.23", "54.210.17.33", "2600:1f18:4a3:6e00::15"} <= set(extraction.own)


def test_asff_network_direction_in_takes_the_source_as_remote():
    extraction = extract_asff(_asff()[1])
    address = extraction.addresses()[0]
    assert address.ip == "198.51.100.23"
    assert "Network.SourceIpV4" in address.where
    assert "Action.NetworkConnectionAction.RemoteIpDetails.IpAddressV4" in address.where
    assert "10.0.1.23" in extraction.own


def test_asff_network_direction_out_reports_the_destination_and_bans_nothing():
    finding = {
        "Id": "f",
        "ProductArn": "arn:aws:securityhub:us-east-1::product/vendor/ids",
        "Types": ["Unusual Behaviors/Network Flow"],
        "Severity": {"Label": "HIGH", "Normalized": 70},
        "Network": {
            "Direction": "OUT",
            "SourceIpV4": "10.0.9.9",
            "DestinationIpV6": "2001:db8:abcd::5",
            "DestinationDomain": "evil.example.org",
        },
    }
    extraction = extract_asff(finding)
    # The destination of an outbound flow is a victim or a C&C server, not a client.
    assert extraction.addresses() == []
    assert extraction.outbound_addresses() == ["2001:db8:abcd::5"]
    assert extraction.own == {"10.0.9.9": ["Network.SourceIpV4"]}
    assert extraction.domains == ["evil.example.org"]
    assert extraction.severity == 7


def test_asff_attack_sequence_endpoints():
    finding = {
        "Id": "s",
        "Types": ["TTPs/AttackSequence"],
        "Detection": {
            "Sequence": {"Endpoints": [{"Id": "e1", "Ip": "203.0.113.90"}, {"Id": "e2"}]}
        },
    }
    assert [a.ip for a in extract_asff(finding).addresses()] == ["203.0.113.90"]


def test_custom_action_event_without_findings_is_refused():
    event = copy.deepcopy(load_event("securityhub_custom_action_block_ip"))
    del event["detail"]["findings"]
    with pytest.raises(ValueError, match=r"detail\.findings"):
        findings_from_custom_action(event)
