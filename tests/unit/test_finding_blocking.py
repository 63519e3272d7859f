"""Finding addresses become decisions: own and reserved addresses never, dry run counts."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta

from edgeguard.decisions import BanPolicy, MemoryStore
from edgeguard.findings.addresses import parse_networks
from edgeguard.findings.asff import extract_asff, findings_from_custom_action
from edgeguard.findings.blocking import BlockSettings, block_finding, findings_alert
from edgeguard.findings.guardduty import extract_guardduty, finding_from_event
from edgeguard_tools.events import load_event

NOW = datetime(2026, 11, 21, 23, 55, tzinfo=UTC)


def _gd(name):
    return extract_guardduty(load_event(name)["detail"])


def test_port_probe_bans_every_prober_v4_and_v6_until_the_duration():
    sink = MemoryStore()
    outcome = block_finding(
        sink, _gd("guardduty_port_probe"), "guardduty", BlockSettings(timedelta(hours=24)), NOW
    )
    assert outcome.values == ["192.0.2.61/32", "198.51.100.140/32", "2001:db8:4f1::/64"]
    decision = sink.decisions[("192.0.2.61/32", "ban")]
    assert decision.origin == "guardduty"
    assert decision.reason == "Recon:EC2/PortProbeUnprotectedPort"
    assert decision.expires_at == NOW + timedelta(hours=24)
    assert decision.details["finding_id"] == "c6e7a0f2b3d46e8a1f5b9c3d4e5f6a7b"


def test_private_allowlisted_and_own_ranges_are_never_banned():
    extraction = extract_guardduty(
        {
            "id": "f1",
            "type": "UnauthorizedAccess:EC2/SSHBruteForce",
            "service": {
                "action": {
                    "portProbeAction": {
                        "portProbeDetails": [
                            {"remoteIpDetails": {"ipAddressV4": "10.1.2.3"}},
                            {"remoteIpDetails": {"ipAddressV4": "198.51.100.9"}},
                            {"remoteIpDetails": {"ipAddressV4": "203.0.113.44"}},
                            {"remoteIpDetails": {"ipAddressV4": "192.0.2.200"}},
                        ]
                    }
                }
            },
        }
    )
    sink = MemoryStore(policy=BanPolicy.from_cidrs(["198.51.100.0/24"]))
    settings = BlockSettings(own_networks=(ipaddress.ip_network("203.0.113.0/25"),))
    outcome = block_finding(sink, extraction, "guardduty", settings, NOW)
    assert outcome.values == ["192.0.2.200/32"]
    assert outcome.own == ["203.0.113.44"]
    refused = dict(outcome.refused)
    assert "private" in refused["10.1.2.3"]
    assert "allowlisted" in refused["198.51.100.9"]
    assert set(sink.decisions) == {("192.0.2.200/32", "ban")}


def test_dry_run_records_count_decisions_not_bans():
    sink = MemoryStore()
    block_finding(
        sink, _gd("guardduty_network_connection"), "guardduty", BlockSettings(dry_run=True), NOW
    )
    assert list(sink.decisions) == [("198.51.100.23/32", "count")]


def test_the_same_finding_again_changes_nothing_it_is_idempotent():
    sink = MemoryStore()
    extraction = _gd("guardduty_network_connection")
    block_finding(sink, extraction, "guardduty", BlockSettings(), NOW)
    again = block_finding(sink, extraction, "guardduty", BlockSettings(), NOW)
    assert [entry["status"] for entry in again.banned] == ["unchanged"]
    assert len(sink.decisions) == 1


def test_alert_lists_bans_domains_and_refusals():
    sink = MemoryStore()
    # the runtime sample, as a finding whose destinations are victims (not threat-listed)
    victim = load_event("guardduty_runtime_network")
    victim["detail"]["type"] = "Backdoor:Runtime/DenialOfService.Tcp"
    extractions = [
        _gd("guardduty_network_connection"),
        extract_guardduty(finding_from_event(victim)),
        _gd("guardduty_dns_request"),
    ]
    outcomes = [block_finding(sink, x, "guardduty", BlockSettings(), NOW) for x in extractions]
    alert = findings_alert(outcomes, "guardduty", "ban")
    assert alert.title == "GuardDuty: 1 address banned"
    assert alert.severity == "high"
    assert alert.fields["banned"] == ["198.51.100.23/32"]
    assert alert.fields["outbound destinations (victims, not banned)"] == [
        "2001:db8:f00d::77",
        "203.0.113.150",
    ]
    assert alert.fields["domains (not blockable in WAF)"] == ["c2.malicious.example.com"]


def test_finding_without_bannable_address_still_alerts_at_low_severity():
    outcome = block_finding(
        MemoryStore(), _gd("guardduty_port_probe"), "guardduty", BlockSettings(), NOW
    )
    outcome.banned.clear()
    alert = findings_alert([outcome], "guardduty", "ban")
    assert alert.title == "GuardDuty: finding with no bannable address"
    assert alert.severity == "low"


def test_security_hub_note_says_what_was_blocked_and_until_when():
    finding = findings_from_custom_action(load_event("securityhub_custom_action_block_ip"))[0]
    outcome = block_finding(
        MemoryStore(), extract_asff(finding), "securityhub", BlockSettings(), NOW
    )
    note = outcome.note("ban")
    assert note.startswith("edgeguard banned in WAF until 2026-11-22T23:55:00+00:00: ")
    assert "192.0.2.61/32" in note and "2001:db8:4f1::/64" in note
    assert len(note) <= 512


def _probe_from(remote_v6: str, own_v6: str) -> dict:
    """A GuardDuty port probe (documented camelCase shape) on an instance with an IPv6."""
    return {
        "id": "probe-v6",
        "type": "Recon:EC2/PortProbeUnprotectedPort",
        "severity": 5,
        "resource": {
            "instanceDetails": {"networkInterfaces": [{"ipv6Addresses": [own_v6]}]},
        },
        "service": {
            "action": {
                "actionType": "PORT_PROBE",
                "portProbeAction": {
                    "portProbeDetails": [
                        {
                            "localPortDetails": {"port": 22},
                            "remoteIpDetails": {"ipAddressV6": remote_v6},
                        }
                    ]
                },
            }
        },
    }


def test_an_ipv6_neighbour_in_the_resources_own_64_never_bans_that_64():
    finding = _probe_from("2600:1f18:4a3:6e00::99", "2600:1f18:4a3:6e00::15")
    sink = MemoryStore()
    outcome = block_finding(sink, extract_guardduty(finding), "guardduty", BlockSettings(), NOW)
    assert outcome.banned == [] and sink.decisions == {}
    assert "2600:1f18:4a3:6e00::15" in outcome.refused[0][1]


def test_an_ipv6_remote_whose_64_overlaps_an_own_range_is_refused():
    finding = _probe_from("2600:1f18:4a3:6e00::99", "2600:1f18:ffff::1")
    own = parse_networks(["2600:1f18:4a3:6e00::8000/120"])
    outcome = block_finding(
        MemoryStore(),
        extract_guardduty(finding),
        "guardduty",
        BlockSettings(own_networks=own),
        NOW,
    )
    assert outcome.banned == [] and "overlaps the own range" in outcome.refused[0][1]


def test_an_ipv6_remote_elsewhere_is_still_banned_as_its_64():
    finding = _probe_from("2001:db8:77:1::99", "2600:1f18:4a3:6e00::15")
    outcome = block_finding(
        MemoryStore(), extract_guardduty(finding), "guardduty", BlockSettings(), NOW
    )
    assert outcome.values == ["2001:db8:77:1::/64"]
