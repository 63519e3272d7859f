"""The sample findings in events/ use only fields of the documented formats.

Every key of every GuardDuty sample is checked against botocore's GuardDuty
``Finding`` model (the API reference the EventBridge event carries), and every key
of the ASFF findings against Security Hub's ``AwsSecurityFinding`` model: a
misspelt or invented field fails here instead of silently matching our own code.
"""

from __future__ import annotations

from pathlib import Path

import botocore.session
import pytest

from edgeguard_tools.events import load_event, project_root

_SESSION = botocore.session.get_session()
GUARDDUTY_SAMPLES = sorted(p.stem for p in (project_root() / "events").glob("guardduty_*.json"))


def _unknown_keys(value, shape, path="") -> list[str]:
    problems = []
    if shape.type_name == "structure" and isinstance(value, dict):
        by_wire = {m.serialization.get("name", name): m for name, m in shape.members.items()}
        for key, item in value.items():
            member = by_wire.get(key)
            if member is None:
                problems.append(f"{path}.{key}")
            else:
                problems += _unknown_keys(item, member, f"{path}.{key}")
    elif shape.type_name == "list" and isinstance(value, list):
        for index, item in enumerate(value):
            problems += _unknown_keys(item, shape.member, f"{path}[{index}]")
    return problems


@pytest.mark.parametrize("name", GUARDDUTY_SAMPLES)
def test_guardduty_samples_follow_the_finding_model(name):
    assert Path(project_root() / "events" / f"{name}.json").is_file()
    event = load_event(name)
    assert (event["source"], event["detail-type"]) == ("aws.guardduty", "GuardDuty Finding")
    finding = _SESSION.get_service_model("guardduty").shape_for("Finding")
    assert _unknown_keys(event["detail"], finding) == []


def test_there_is_a_sample_per_guardduty_shape():
    assert len(GUARDDUTY_SAMPLES) >= 9


def test_custom_action_findings_follow_the_asff_model():
    event = load_event("securityhub_custom_action_block_ip")
    assert event["detail-type"] == "Security Hub Findings - Custom Action"
    shape = _SESSION.get_service_model("securityhub").shape_for("AwsSecurityFinding")
    for finding in event["detail"]["findings"]:
        assert _unknown_keys(finding, shape) == []
