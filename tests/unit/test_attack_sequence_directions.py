"""GuardDuty attack sequences: each endpoint follows the rule for its own direction
(case findings/guardduty-attack-sequence.json, copied into tests/fixtures)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

from edgeguard.decisions import MemoryStore
from edgeguard.findings.asff import extract_asff
from edgeguard.findings.blocking import BlockSettings, block_finding, findings_alert
from edgeguard.findings.guardduty import extract_guardduty

CASE = Path(__file__).parents[1] / "fixtures" / "findings" / "guardduty-attack-sequence.json"
NOW = datetime(2026, 11, 20, 14, 6, tzinfo=UTC)


def _case():
    return json.loads(CASE.read_text())


def test_inbound_endpoints_and_the_threat_listed_pool_are_banned_the_victim_reported():
    sink = MemoryStore()
    outcome = block_finding(
        sink, extract_guardduty(_case()["detail"]), "guardduty", BlockSettings(), NOW
    )
    assert outcome.values == ["141.98.11.27/32", "2a0e:b107:1a40::/64", "51.15.73.5/32"]
    assert outcome.extraction.outbound_addresses() == ["198.51.100.44"]
    assert not any(value.startswith("198.51.100.44") for value, _ in sink.decisions)
    alert = findings_alert([outcome], "guardduty", "ban")
    assert alert.fields["outbound destinations (victims, not banned)"] == ["198.51.100.44"]
    assert alert.title == "GuardDuty: 3 addresses banned"


def test_an_outbound_endpoint_without_a_threat_listed_signal_is_not_banned():
    event = _case()
    signals = event["detail"]["service"]["detection"]["sequence"]["signals"]
    signals[1]["name"] = "Recon:EC2/Portscan"  # the pool's signal no longer says threat-listed
    extraction = extract_guardduty(event["detail"])
    assert [a.ip for a in extraction.addresses()] == ["141.98.11.27", "2a0e:b107:1a40::27"]
    assert sorted(extraction.outbound_addresses()) == ["198.51.100.44", "51.15.73.5"]


def test_an_endpoint_without_a_direction_is_a_caller():
    event = _case()
    endpoint = event["detail"]["service"]["detection"]["sequence"]["endpoints"][0]
    del endpoint["connection"]
    assert "141.98.11.27" in [a.ip for a in extract_guardduty(event["detail"]).addresses()]


def _pascal(obj):
    if isinstance(obj, dict):
        return {k[:1].upper() + k[1:]: _pascal(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_pascal(v) for v in obj]
    return obj


def test_the_same_sequence_in_asff_gives_the_same_answer():
    sequence = copy.deepcopy(_case()["detail"]["service"]["detection"]["sequence"])
    finding = {
        "Id": "seq",
        "ProductArn": "arn:aws:securityhub:us-east-1::product/aws/guardduty",
        "Types": ["TTPs/AttackSequence"],
        "Detection": {"Sequence": _pascal(sequence)},
    }
    extraction = extract_asff(finding)
    assert sorted(a.ip for a in extraction.addresses()) == [
        "141.98.11.27",
        "2a0e:b107:1a40::27",
        "51.15.73.5",
    ]
    assert extraction.outbound_addresses() == ["198.51.100.44"]
