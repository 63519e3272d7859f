"""The current Security Hub's OCSF findings through the template's own rules in the local
cloud: a third-party network finding bans its attacker (event -> rule -> function ->
decision -> WAF); GuardDuty's OCSF copy beside GuardDuty's own event gives one decision and
one alert (case findings/securityhub-ocsf-imported-v2.json, copied into tests/fixtures)."""

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
from edgeguard_tools.local.template import Template
from edgeguard_tools.routing import Routing

FIXTURES = Path(__file__).parents[1] / "fixtures" / "findings"
PRODUCER = "Acme Network Sensor"


def ocsf_case() -> dict:
    return json.loads((FIXTURES / "securityhub-ocsf-imported-v2.json").read_text())


def third_party_event(ip: str = "45.148.10.77", severity_id: int = 4) -> dict:
    """A third-party integration's OCSF Detection Finding with a source endpoint, built from
    the OCSF schema (Detection Finding, Evidence Artifacts, Network Endpoint)."""
    event = ocsf_case()
    event["id"] = "6c4b3a2d-1f0e-4b9c-8d7e-6f5a4b3c2d1e"
    finding = event["detail"]["findings"][0]
    finding["severity_id"], finding["severity"] = severity_id, "High"
    finding["metadata"] = {
        "version": "1.5.0",
        "uid": "acme-sensor-finding-0001",
        "product": {
            "name": PRODUCER,
            "vendor_name": "Acme",
            "uid": "arn:aws:securityhub:us-east-1::productv2/acme/network-sensor",
        },
    }
    finding["finding_info"] = {
        "uid": "acme-sensor-finding-0001",
        "title": "Exploit attempt against the web tier",
        "types": ["Exploit Attempt"],
    }
    finding["evidences"] = [
        {
            "src_endpoint": {"ip": ip, "port": 40112},
            "dst_endpoint": {"ip": "10.0.1.23", "port": 443},
            "connection_info": {"direction": "Inbound", "direction_id": 1},
        }
    ]
    finding["observables"] = [
        {"name": "evidences[0].src_endpoint.ip", "type": "IP Address", "type_id": 2, "value": ip}
    ]
    return event


def guardduty_own_event() -> dict:
    """GuardDuty's own "GuardDuty Finding" event for the finding of the OCSF case."""
    event = copy.deepcopy(load_event("guardduty_network_connection"))
    detail = event["detail"]
    detail["id"] = "aeaeaeaeaeaeaeaeaeaeaeaeaeaeaeae"
    detail["severity"] = 5
    remote = detail["service"]["action"]["networkConnectionAction"]["remoteIpDetails"]
    remote["ipAddressV4"], remote["ipAddressV6"] = "185.220.101.36", "2a0e:b107:1a40::36"
    return event


def _store(cloud):
    return DynamoDecisionStore(cloud.resource("DecisionsTable"), client=cloud.client("dynamodb"))


@pytest.fixture(scope="module")
def cloud():
    # GuardDuty is listed too, as an operator might: its OCSF copy must still not ban twice.
    with mock_aws():
        boto3.client("securityhub", region_name="us-east-1").enable_security_hub()
        parameters = {"OcsfBlockProducers": f"{PRODUCER},GuardDuty"}
        with LocalCloud(parameters, quiet=True) as running:
            yield running


def _ip_set_addresses(cloud) -> set[str]:
    waf = cloud.client("wafv2")
    found = set()
    for ip_set in waf.list_ip_sets(Scope="CLOUDFRONT")["IPSets"]:
        got = waf.get_ip_set(Name=ip_set["Name"], Scope="CLOUDFRONT", Id=ip_set["Id"])
        found.update(got["IPSet"]["Addresses"])
    return found


def test_third_party_network_finding_bans_its_attacker_in_waf(cloud):
    before = len(cloud.telegram_messages)
    assert cloud.put_event(third_party_event()) == ["OcsfBlockFunction"]
    (decision,) = [d for d in _store(cloud).get("45.148.10.77/32") if d.active()]
    assert decision.origin == "securityhub"
    assert decision.reason == "Exploit Attempt"
    cloud.tick()
    assert "45.148.10.77/32" in _ip_set_addresses(cloud)
    titles = [str(m["text"]).splitlines()[0] for m in cloud.telegram_messages[before:]]
    assert any("Security Hub: 1 address banned" in t for t in titles)


def test_a_producer_not_allowed_or_a_low_severity_is_not_routed(cloud):
    low = third_party_event("45.148.10.78", severity_id=3)
    assert cloud.put_event(low) == []
    other = third_party_event("45.148.10.79")
    other["detail"]["findings"][0]["metadata"]["product"]["name"] = "Someone Else"
    assert cloud.put_event(other) == []


def test_guardduty_ocsf_copy_beside_its_own_event_bans_once_and_alerts_once(cloud):
    before = len(cloud.telegram_messages)
    assert cloud.put_event(ocsf_case()) == []  # the copy reaches no function
    assert cloud.put_event(guardduty_own_event()) == ["GuardDutyBlockFunction"]
    store = _store(cloud)
    for value in ("185.220.101.36/32", "2a0e:b107:1a40::/64"):
        decisions = [d for d in store.get(value) if d.active()]
        assert [d.origin for d in decisions] == ["guardduty"]
    mentions = [m for m in cloud.telegram_messages[before:] if "185.220.101.36" in str(m["text"])]
    assert len(mentions) == 1
    assert not store.get("10.0.1.23/32")


def test_ocsf_rules_are_off_with_security_hub_cspm_only_or_no_producer():
    def deployed(**parameters):
        return "OcsfBlockFunction" in Template.load(parameters=parameters).resources()

    assert deployed(OcsfBlockProducers=PRODUCER)
    assert not deployed(OcsfBlockProducers=PRODUCER, SecurityHubEditions="cspm")
    assert not deployed()  # opt-in: no producer, no automatic third-party bans


def test_security_hub_cspm_only_leaves_no_rule_on_findings_imported_v2():
    cloudtrail = json.loads(
        (
            Path(__file__).parents[2]
            / "events"
            / "securityhub_imported_v2_cloudtrail_disabled.json"
        ).read_text()
    )
    both = Routing.load({"OcsfBlockProducers": PRODUCER})
    cspm = Routing.load({"OcsfBlockProducers": PRODUCER, "SecurityHubEditions": "cspm"})
    assert [r.name for r in both.route(cloudtrail)] == ["RespondStateMachine.FindingImportedV2"]
    assert [r.name for r in both.route(third_party_event())] == [
        "OcsfBlockFunction.NetworkFindings"
    ]
    assert cspm.route(cloudtrail) == [] and cspm.route(third_party_event()) == []
