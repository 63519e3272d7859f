"""``edgeguard findings``: what a finding would ban, from the files an operator has."""

from __future__ import annotations

import json

from edgeguard_tools.cli import main
from edgeguard_tools.events import load_event, project_root

EVENTS = project_root() / "events"


def test_guardduty_event_and_security_hub_event(capsys):
    code = main(
        [
            "findings",
            str(EVENTS / "guardduty_port_probe.json"),
            str(EVENTS / "securityhub_custom_action_block_ip.json"),
        ]
    )
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert [r["type"] for r in report] == [
        "Recon:EC2/PortProbeUnprotectedPort",
        "TTPs/Discovery/Recon:EC2-PortProbeUnprotectedPort",
        "TTPs/Initial Access/UnauthorizedAccess:EC2-SSHBruteForce",
    ]
    assert [a["decision"] for a in report[0]["addresses"]] == [
        "192.0.2.61/32",
        "198.51.100.140/32",
        "2001:db8:4f1::/64",
    ]
    assert "10.0.1.23" in report[0]["own_addresses"]


def test_get_findings_output_in_pascal_case_and_refusals(tmp_path, capsys):
    def pascal(obj):
        if isinstance(obj, dict):
            return {k[:1].upper() + k[1:]: pascal(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [pascal(v) for v in obj]
        return obj

    finding = load_event("guardduty_network_connection")["detail"]
    action = finding["service"]["action"]["networkConnectionAction"]
    action["remoteIpDetails"]["ipAddressV4"] = "100.64.1.2"  # carrier-grade NAT: never banned
    path = tmp_path / "get-findings.json"
    path.write_text(json.dumps({"Findings": [pascal(finding)]}))
    assert main(["findings", str(path)]) == 0
    (report,) = json.loads(capsys.readouterr().out)
    (address,) = report["addresses"]
    assert address["decision"] is None
    assert "carrier-grade NAT" in address["refused"]


def test_unreadable_file_is_reported_and_the_rest_still_shown(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["findings", str(bad), str(EVENTS / "guardduty_dns_request.json")]) == 1
    captured = capsys.readouterr()
    assert "bad.json" in captured.err
    (report,) = json.loads(captured.out)
    assert report["domains"] == ["c2.malicious.example.com"]
