"""Security Hub gap fills: custom action targets and BatchUpdateFindings, through boto3."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from edgeguard_tools.local import moto_ext

GUARDDUTY = "arn:aws:securityhub:us-east-1::product/aws/guardduty"


@pytest.fixture
def hub():
    moto_ext.install()
    with mock_aws():
        client = boto3.client("securityhub", region_name="us-east-1")
        client.enable_security_hub()
        yield client


def _finding(finding_id: str, **extra) -> dict:
    return {
        "SchemaVersion": "2018-10-08",
        "Id": finding_id,
        "ProductArn": GUARDDUTY,
        "GeneratorId": "arn:aws:guardduty:us-east-1:123456789012:detector/abc",
        "AwsAccountId": "123456789012",
        "Types": ["TTPs/Initial Access/UnauthorizedAccess:EC2-SSHBruteForce"],
        "CreatedAt": "2026-11-21T10:00:00.000Z",
        "UpdatedAt": "2026-11-21T10:00:00.000Z",
        "Severity": {"Label": "HIGH", "Normalized": 70},
        "Title": "SSH brute force",
        "Description": "198.51.100.7 is performing SSH brute force attacks.",
        "Resources": [{"Type": "AwsEc2Instance", "Id": "i-0123456789abcdef0"}],
        **extra,
    }


def _error(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def _get(hub, finding_id: str) -> dict:
    return next(f for f in hub.get_findings()["Findings"] if f["Id"] == finding_id)


# ---- action targets --------------------------------------------------------------------


def test_create_action_target_returns_custom_action_arn(hub):
    arn = hub.create_action_target(Name="Block IP", Description="Ban the remote IP", Id="BlockIp")[
        "ActionTargetArn"
    ]
    assert arn == "arn:aws:securityhub:us-east-1:123456789012:action/custom/BlockIp"
    targets = hub.describe_action_targets()["ActionTargets"]
    assert targets == [
        {"ActionTargetArn": arn, "Name": "Block IP", "Description": "Ban the remote IP"}
    ]


def test_action_target_arn_carries_the_client_region():
    moto_ext.install()
    with mock_aws():
        client = boto3.client("securityhub", region_name="eu-west-1")
        client.enable_security_hub()
        arn = client.create_action_target(Name="n", Description="d", Id="EnableTrail")[
            "ActionTargetArn"
        ]
    assert arn == "arn:aws:securityhub:eu-west-1:123456789012:action/custom/EnableTrail"


def test_duplicate_action_target_id_is_a_conflict(hub):
    hub.create_action_target(Name="Block IP", Description="d", Id="BlockIp")
    with pytest.raises(ClientError) as excinfo:
        hub.create_action_target(Name="Block IP again", Description="d", Id="BlockIp")
    assert _error(excinfo) == "ResourceConflictException"


@pytest.mark.parametrize(
    ("name", "target_id"),
    [("x" * 21, "Ok"), ("ok", "has-dash"), ("ok", "A" * 21)],
)
def test_invalid_action_target_input_is_rejected(hub, name, target_id):
    with pytest.raises(ClientError) as excinfo:
        hub.create_action_target(Name=name, Description="d", Id=target_id)
    assert _error(excinfo) == "InvalidInputException"


def test_action_targets_need_security_hub_enabled():
    moto_ext.install()
    with mock_aws():
        client = boto3.client("securityhub", region_name="us-east-1")
        with pytest.raises(ClientError) as excinfo:
            client.create_action_target(Name="n", Description="d", Id="BlockIp")
    assert _error(excinfo) == "InvalidAccessException"


def test_describe_by_arn_and_unknown_arn(hub):
    first = hub.create_action_target(Name="a", Description="d", Id="First")["ActionTargetArn"]
    hub.create_action_target(Name="b", Description="d", Id="Second")
    only = hub.describe_action_targets(ActionTargetArns=[first])["ActionTargets"]
    assert [t["ActionTargetArn"] for t in only] == [first]
    with pytest.raises(ClientError) as excinfo:
        hub.describe_action_targets(ActionTargetArns=[first.replace("First", "Nope")])
    assert _error(excinfo) == "ResourceNotFoundException"


def test_describe_action_targets_pages(hub):
    for index in range(5):
        hub.create_action_target(Name=f"n{index}", Description="d", Id=f"Target{index}")
    pages = hub.get_paginator("describe_action_targets").paginate(PaginationConfig={"PageSize": 2})
    sizes = [len(page["ActionTargets"]) for page in pages]
    assert sizes == [2, 2, 1]


def test_delete_action_target_then_it_is_gone(hub):
    arn = hub.create_action_target(Name="a", Description="d", Id="BlockIp")["ActionTargetArn"]
    assert hub.delete_action_target(ActionTargetArn=arn)["ActionTargetArn"] == arn
    assert hub.describe_action_targets()["ActionTargets"] == []
    with pytest.raises(ClientError) as excinfo:
        hub.delete_action_target(ActionTargetArn=arn)
    assert _error(excinfo) == "ResourceNotFoundException"


# ---- BatchUpdateFindings ---------------------------------------------------------------


def test_batch_update_sets_workflow_and_note_visible_in_get_findings(hub):
    hub.batch_import_findings(Findings=[_finding("f-1"), _finding("f-2")])
    result = hub.batch_update_findings(
        FindingIdentifiers=[{"Id": "f-1", "ProductArn": GUARDDUTY}],
        Workflow={"Status": "RESOLVED"},
        Note={"Text": "CloudTrail logging restarted", "UpdatedBy": "edgeguard"},
    )
    assert result["ProcessedFindings"] == [{"Id": "f-1", "ProductArn": GUARDDUTY}]
    assert result["UnprocessedFindings"] == []
    updated = _get(hub, "f-1")
    assert updated["Workflow"]["Status"] == "RESOLVED"
    assert updated["Note"]["Text"] == "CloudTrail logging restarted"
    assert updated["Note"]["UpdatedBy"] == "edgeguard"
    assert updated["Note"]["UpdatedAt"].endswith("Z")
    # AWS: BatchUpdateFindings does not change the finding's UpdatedAt.
    assert updated["UpdatedAt"] == "2026-11-21T10:00:00.000Z"
    assert "Note" not in _get(hub, "f-2")


def test_unknown_finding_is_unprocessed_with_error_code(hub):
    hub.batch_import_findings(Findings=[_finding("f-1")])
    result = hub.batch_update_findings(
        FindingIdentifiers=[
            {"Id": "f-1", "ProductArn": GUARDDUTY},
            {"Id": "missing", "ProductArn": GUARDDUTY},
            {"Id": "f-1", "ProductArn": "arn:aws:securityhub:us-east-1::product/aws/macie"},
        ],
        Workflow={"Status": "NOTIFIED"},
    )
    assert result["ProcessedFindings"] == [{"Id": "f-1", "ProductArn": GUARDDUTY}]
    codes = {(u["FindingIdentifier"]["Id"], u["ErrorCode"]) for u in result["UnprocessedFindings"]}
    assert codes == {("missing", "FindingNotFound"), ("f-1", "FindingNotFound")}
    assert all(u["ErrorMessage"] for u in result["UnprocessedFindings"])


def test_duplicate_identifiers_are_not_processed(hub):
    hub.batch_import_findings(Findings=[_finding("f-1")])
    result = hub.batch_update_findings(
        FindingIdentifiers=[{"Id": "f-1", "ProductArn": GUARDDUTY}] * 2,
        Workflow={"Status": "RESOLVED"},
    )
    assert result["ProcessedFindings"] == []
    assert [u["ErrorCode"] for u in result["UnprocessedFindings"]] == [
        "DuplicatedFindingIdentifier"
    ]
    assert _get(hub, "f-1").get("Workflow", {}).get("Status") != "RESOLVED"


def test_batch_update_other_fields(hub):
    hub.batch_import_findings(Findings=[_finding("f-1", UserDefinedFields={"ticket": "SEC-1"})])
    hub.batch_update_findings(
        FindingIdentifiers=[{"Id": "f-1", "ProductArn": GUARDDUTY}],
        Severity={"Label": "CRITICAL"},
        VerificationState="TRUE_POSITIVE",
        Confidence=80,
        Criticality=90,
        Types=["Effects/Data Exfiltration"],
        UserDefinedFields={"blockedBy": "edgeguard"},
        RelatedFindings=[{"Id": "f-0", "ProductArn": GUARDDUTY}],
    )
    finding = _get(hub, "f-1")
    assert finding["Severity"] == {"Label": "CRITICAL", "Normalized": 90}
    assert finding["VerificationState"] == "TRUE_POSITIVE"
    assert (finding["Confidence"], finding["Criticality"]) == (80, 90)
    assert finding["Types"] == ["Effects/Data Exfiltration"]
    assert finding["UserDefinedFields"] == {"ticket": "SEC-1", "blockedBy": "edgeguard"}
    assert finding["RelatedFindings"] == [{"Id": "f-0", "ProductArn": GUARDDUTY}]


def test_normalized_severity_sets_label(hub):
    hub.batch_import_findings(Findings=[_finding("f-1")])
    hub.batch_update_findings(
        FindingIdentifiers=[{"Id": "f-1", "ProductArn": GUARDDUTY}], Severity={"Normalized": 45}
    )
    assert _get(hub, "f-1")["Severity"] == {"Label": "MEDIUM", "Normalized": 45}


def test_batch_update_is_idempotent(hub):
    hub.batch_import_findings(Findings=[_finding("f-1")])
    for _ in range(2):
        result = hub.batch_update_findings(
            FindingIdentifiers=[{"Id": "f-1", "ProductArn": GUARDDUTY}],
            Workflow={"Status": "RESOLVED"},
        )
        assert len(result["ProcessedFindings"]) == 1
    assert _get(hub, "f-1")["Workflow"] == {"Status": "RESOLVED"}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"Workflow": {"Status": "DONE"}},
        {"Confidence": 101},
        {},  # nothing to update
    ],
)
def test_invalid_batch_update_is_rejected(hub, kwargs):
    hub.batch_import_findings(Findings=[_finding("f-1")])
    with pytest.raises(ClientError) as excinfo:
        hub.batch_update_findings(
            FindingIdentifiers=[{"Id": "f-1", "ProductArn": GUARDDUTY}], **kwargs
        )
    assert _error(excinfo) == "InvalidInputException"


def test_more_than_100_identifiers_is_rejected(hub):
    with pytest.raises(ClientError) as excinfo:
        hub.batch_update_findings(
            FindingIdentifiers=[{"Id": f"f-{i}", "ProductArn": GUARDDUTY} for i in range(101)],
            Workflow={"Status": "RESOLVED"},
        )
    assert _error(excinfo) == "InvalidInputException"


def test_install_is_idempotent(hub):
    moto_ext.install()
    moto_ext.install()
    arn = hub.create_action_target(Name="a", Description="d", Id="Again")["ActionTargetArn"]
    assert arn.endswith("/Again")
