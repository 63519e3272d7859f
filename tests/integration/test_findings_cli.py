"""``edgeguard findings``: what the deployed stack would do with the findings an operator
has at hand, routed by template.yaml's own rules under the stack's parameters."""

from __future__ import annotations

import copy
import gzip
import io
import json
from pathlib import Path

import pytest

from edgeguard_tools.cli import main
from edgeguard_tools.events import load_event, project_root

EVENTS = project_root() / "events"
FIXTURES = Path(__file__).parents[1] / "fixtures" / "findings"
OCSF_CASE = FIXTURES / "securityhub-ocsf-imported-v2.json"
SEQUENCE_CASE = FIXTURES / "guardduty-attack-sequence.json"


def _json(capsys, *argv):
    code = main(["findings", "--json", *map(str, argv)])
    captured = capsys.readouterr()
    return code, json.loads(captured.out), captured.err


def test_severity_2_guardduty_event_is_not_routed_and_says_why(capsys):
    code, (report,), _ = _json(capsys, EVENTS / "guardduty_port_probe.json")
    assert code == 0
    assert report["routed_by"] == [] and report["banned"] == []
    assert any(
        r.startswith("GuardDutyBlockFunction.RemoteAddressFindings: detail.severity is 2")
        and '">=", 4' in r
        for r in report["not_routed"]
    )
    assert main(["findings", str(EVENTS / "guardduty_port_probe.json")]) == 0
    human = capsys.readouterr().out.splitlines()
    assert human[0].startswith(f"{EVENTS / 'guardduty_port_probe.json'}: GuardDuty finding")
    assert "not routed: GuardDutyBlockFunction.RemoteAddressFindings" in human[1]


def test_the_stacks_threshold_parameter_changes_the_answer(capsys):
    argv = ["--parameter", "GuardDutyMinSeverity=2", EVENTS / "guardduty_port_probe.json"]
    code, (report,), _ = _json(capsys, *argv)
    assert code == 0
    assert report["routed_by"] == ["GuardDutyBlockFunction.RemoteAddressFindings"]
    assert [b["decision"] for b in report["banned"]] == [
        "192.0.2.61/32",
        "198.51.100.140/32",
        "2001:db8:4f1::/64",
    ]
    assert report["alert"] == "GuardDuty: 3 addresses banned"
    assert "10.0.1.23" in report["own_addresses"]


def test_dry_run_parameter_says_counted(capsys):
    argv = ["--parameter", "AutoBlockDryRun=true", SEQUENCE_CASE]
    code, (report,), _ = _json(capsys, *argv)
    assert code == 0
    assert {b["action"] for b in report["banned"]} == {"count"}
    assert report["alert"].endswith("counted (dry run)")


def test_attack_sequence_case(capsys):
    code, (report,), _ = _json(capsys, SEQUENCE_CASE)
    assert code == 0
    assert report["routed_by"] == ["GuardDutyBlockFunction.AttackSequences"]
    assert [b["decision"] for b in report["banned"]] == [
        "141.98.11.27/32",
        "2a0e:b107:1a40::/64",
        "51.15.73.5/32",
    ]
    assert report["outbound_not_banned"] == ["198.51.100.44"]


def test_guardduty_produced_ocsf_case_lists_attackers_banned_through_guardduty(capsys):
    code, (report,), _ = _json(capsys, OCSF_CASE)
    assert code == 0
    assert report["format"] == "ocsf" and report["routed_by"] == []
    assert report["banned_through_guardduty_event"] == ["185.220.101.36/32", "2a0e:b107:1a40::/64"]
    assert report["banned"] == []
    assert report["guardduty_copy"].startswith(
        "produced by GuardDuty: the deployed stack bans these addresses through GuardDuty's own"
    )
    assert report["own_addresses"] == ["10.0.1.23", "2600:1f18:4a3:6e00::15"]
    assert main(["findings", str(OCSF_CASE)]) == 0
    out = capsys.readouterr().out
    assert "attacker addresses: 185.220.101.36/32, 2a0e:b107:1a40::/64" in out
    assert "blocking: produced by GuardDuty: the deployed stack bans these" in out
    assert "10.0.1.23/32" not in out


def test_not_a_finding_is_one_line_and_exit_2(tmp_path, capsys):
    path = tmp_path / "hello.json"
    path.write_text('{"hello": "world"}')
    assert main(["findings", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"edgeguard findings: {path}: not a finding: an object with keys hello\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty input"),
        (b"  \n", "empty input"),
        (b"{not json", "not JSON"),
        (b"[]", "an empty list"),
        (b"\x1f\x8b\x08garbage", "not a readable gzip file"),
        (b'{"detail-type": "AWS API Call via CloudTrail", "detail": {}}', "not a finding event"),
    ],
)
def test_bad_inputs_exit_2_with_the_reason(tmp_path, capsys, content, message):
    path = tmp_path / "input.json"
    path.write_bytes(content)
    assert main(["findings", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_a_list_of_findings_of_every_format(tmp_path, capsys):
    ocsf = json.loads(OCSF_CASE.read_text())["detail"]["findings"][0]
    asff = load_event("securityhub_custom_action_block_ip")["detail"]["findings"][0]
    guardduty = load_event("guardduty_rds_login_attempt")["detail"]
    path = tmp_path / "list.json"
    path.write_text(json.dumps([guardduty, asff, ocsf]))
    code, reports, _ = _json(capsys, path)
    assert code == 0
    assert [r["format"] for r in reports] == ["guardduty", "asff", "ocsf"]
    assert reports[0]["routed_by"] == ["GuardDutyBlockFunction.RemoteAddressFindings"]
    assert [b["decision"] for b in reports[0]["banned"]] == ["198.51.100.250/32"]
    # a bare ASFF finding arrives as "Security Hub Findings - Imported": no rule bans it
    assert reports[1]["banned"] == [] and reports[1]["not_routed"]


def test_gzip_file_and_stdin_read_like_plain(tmp_path, capsys, monkeypatch):
    plain = _json(capsys, SEQUENCE_CASE)[1]
    packed = tmp_path / "finding.json.gz"
    packed.write_bytes(gzip.compress(SEQUENCE_CASE.read_bytes()))
    assert _json(capsys, packed)[1][0]["banned"] == plain[0]["banned"]
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(SEQUENCE_CASE.read_bytes())))
    assert _json(capsys, "-")[1][0]["banned"] == plain[0]["banned"]


def _pascal(obj):
    if isinstance(obj, dict):
        return {k[:1].upper() + k[1:]: _pascal(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_pascal(v) for v in obj]
    return obj


def test_get_findings_responses_guardduty_pascal_case_and_v2(tmp_path, capsys):
    finding = copy.deepcopy(load_event("guardduty_network_connection")["detail"])
    action = finding["service"]["action"]["networkConnectionAction"]
    action["remoteIpDetails"]["ipAddressV4"] = "100.64.1.2"  # carrier-grade NAT: never banned
    gd = tmp_path / "get-findings.json"
    gd.write_text(json.dumps({"Findings": [_pascal(finding)]}))
    code, (report,), _ = _json(capsys, gd)
    assert code == 0 and report["routed_by"] == ["GuardDutyBlockFunction.RemoteAddressFindings"]
    assert report["banned"] == []
    (refused,) = report["refused"]
    assert refused["ip"] == "100.64.1.2" and "carrier-grade NAT" in refused["reason"]

    v2 = tmp_path / "get-findings-v2.json"
    ocsf = json.loads(OCSF_CASE.read_text())["detail"]["findings"][0]
    v2.write_text(json.dumps({"Findings": [ocsf], "NextToken": "abc"}))
    code, (report,), _ = _json(capsys, v2)
    assert report["banned_through_guardduty_event"] == ["185.220.101.36/32", "2a0e:b107:1a40::/64"]


def test_a_bad_file_is_reported_and_the_rest_still_shown(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    code, (report,), err = _json(capsys, bad, EVENTS / "guardduty_dns_request.json")
    assert code == 2
    assert "bad.json" in err
    assert report["domains"] == ["c2.malicious.example.com"]


def test_missing_file_and_bad_parameter_exit_2(tmp_path, capsys):
    assert main(["findings", str(tmp_path / "nope.json")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["findings", "--parameter", "GuardDutyMinSeverity=11", str(SEQUENCE_CASE)]) == 2
    assert "GuardDutyMinSeverity" in capsys.readouterr().err
    assert main(["findings", "--parameter", "nonsense", str(SEQUENCE_CASE)]) == 2


def test_custom_action_from_the_operators_own_account_is_routed(tmp_path, capsys):
    event = load_event("securityhub_custom_action_block_ip")
    text = (
        json.dumps(event).replace("123456789012", "111122223333").replace("us-east-1", "eu-west-1")
    )
    path = tmp_path / "action.json"
    path.write_text(text)
    code, reports, _ = _json(capsys, path)
    assert code == 0
    assert all("not deployed" in r["not_routed"][0] for r in reports)
    code, reports, _ = _json(capsys, "--parameter", "EnableSecurityHubAction=true", path)
    assert [r["routed_by"] for r in reports] == [["SecurityHubBlockFunction.BlockIpAction"]] * 2
    assert reports[1]["alert"].startswith("Security Hub: ")


def test_guardduty_copy_below_the_stacks_threshold_says_nothing_is_banned(capsys):
    argv = ["--parameter", "GuardDutyMinSeverity=7", OCSF_CASE]  # the case is Medium (4-6.9)
    code, (report,), _ = _json(capsys, *argv)
    assert code == 0
    assert "below GuardDutyMinSeverity 7" in report["guardduty_copy"]
