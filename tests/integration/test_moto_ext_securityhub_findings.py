"""Security Hub GetFindings filters/sorting and BatchImportFindings as AWS stores findings."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from edgeguard_tools.local import moto_ext

GUARDDUTY = "arn:aws:securityhub:us-east-1::product/aws/guardduty"


def _finding(finding_id: str, **extra) -> dict:
    return {
        "SchemaVersion": "2018-10-08",
        "Id": finding_id,
        "ProductArn": GUARDDUTY,
        "GeneratorId": "guardduty-detector",
        "AwsAccountId": "123456789012",
        "Types": ["TTPs/Initial Access"],
        "CreatedAt": "2026-11-21T10:00:00.000Z",
        "UpdatedAt": "2026-11-21T10:00:00.000Z",
        "Severity": {"Label": "MEDIUM", "Normalized": 40},
        "Title": f"finding {finding_id}",
        "Description": "d",
        "Resources": [{"Type": "AwsEc2Instance", "Id": "i-1"}],
        **extra,
    }


@pytest.fixture
def hub():
    moto_ext.install()
    with mock_aws():
        client = boto3.client("securityhub", region_name="us-east-1")
        client.enable_security_hub()
        client.batch_import_findings(
            Findings=[
                _finding(
                    "trail-stopped",
                    Types=["TTPs/Defense Evasion/Stealth:IAMUser-CloudTrailLoggingDisabled"],
                    Severity={"Label": "HIGH", "Normalized": 70},
                    UpdatedAt="2026-11-21T12:00:00.000Z",
                    Network={"SourceIpV4": "198.51.100.7", "Direction": "IN"},
                    UserDefinedFields={"team": "platform"},
                    Resources=[{"Type": "AwsIamAccessKey", "Id": "AKIAEXAMPLE"}],
                ),
                _finding("ssh-brute", Severity={"Label": "LOW", "Normalized": 20}),
                _finding(
                    "port-probe",
                    Severity={"Label": "CRITICAL", "Normalized": 90},
                    UpdatedAt="2026-11-21T08:00:00.000Z",
                    Network={"SourceIpV4": "203.0.113.9"},
                ),
            ]
        )
        yield client


def _ids(hub, **kwargs) -> list[str]:
    return [f["Id"] for f in hub.get_findings(**kwargs)["Findings"]]


def test_no_filters_returns_everything(hub):
    assert sorted(_ids(hub)) == ["port-probe", "ssh-brute", "trail-stopped"]


def test_equals_on_id_and_product_arn(hub):
    filters = {
        "Id": [{"Value": "ssh-brute", "Comparison": "EQUALS"}],
        "ProductArn": [{"Value": GUARDDUTY, "Comparison": "EQUALS"}],
    }
    assert _ids(hub, Filters=filters) == ["ssh-brute"]


def test_positive_filters_or_negative_filters_and(hub):
    either = {
        "SeverityLabel": [
            {"Value": "HIGH", "Comparison": "EQUALS"},
            {"Value": "CRITICAL", "Comparison": "EQUALS"},
        ]
    }
    assert sorted(_ids(hub, Filters=either)) == ["port-probe", "trail-stopped"]
    neither = {
        "SeverityLabel": [
            {"Value": "HIGH", "Comparison": "NOT_EQUALS"},
            {"Value": "CRITICAL", "Comparison": "NOT_EQUALS"},
        ]
    }
    assert _ids(hub, Filters=neither) == ["ssh-brute"]


def test_prefix_and_contains_on_list_field(hub):
    prefix = {"Type": [{"Value": "TTPs/Defense Evasion", "Comparison": "PREFIX"}]}
    assert _ids(hub, Filters=prefix) == ["trail-stopped"]
    contains = {"Type": [{"Value": "CloudTrailLoggingDisabled", "Comparison": "CONTAINS"}]}
    assert _ids(hub, Filters=contains) == ["trail-stopped"]
    prefix_not = {"Type": [{"Value": "TTPs/Defense", "Comparison": "PREFIX_NOT_EQUALS"}]}
    assert sorted(_ids(hub, Filters=prefix_not)) == ["port-probe", "ssh-brute"]


def test_equals_with_not_equals_on_one_field_is_invalid(hub):
    filters = {
        "SeverityLabel": [
            {"Value": "HIGH", "Comparison": "EQUALS"},
            {"Value": "LOW", "Comparison": "NOT_EQUALS"},
        ]
    }
    with pytest.raises(ClientError) as excinfo:
        hub.get_findings(Filters=filters)
    assert excinfo.value.response["Error"]["Code"] == "InvalidInputException"


def test_number_date_map_and_ip_filters(hub):
    assert _ids(hub, Filters={"SeverityNormalized": [{"Gte": 70}]}) == [
        "trail-stopped",
        "port-probe",
    ]
    window = {"Start": "2026-11-21T09:00:00.000Z", "End": "2026-11-21T11:00:00.000Z"}
    assert _ids(hub, Filters={"UpdatedAt": [window]}) == ["ssh-brute"]
    team = {"UserDefinedFields": [{"Key": "team", "Value": "platform", "Comparison": "EQUALS"}]}
    assert _ids(hub, Filters=team) == ["trail-stopped"]
    cidr = {"NetworkSourceIpV4": [{"Cidr": "203.0.113.0/24"}]}
    assert _ids(hub, Filters=cidr) == ["port-probe"]


def test_workflow_status_filter_sees_batch_update(hub):
    hub.batch_update_findings(
        FindingIdentifiers=[{"Id": "trail-stopped", "ProductArn": GUARDDUTY}],
        Workflow={"Status": "RESOLVED"},
    )
    new = {"WorkflowStatus": [{"Value": "NEW", "Comparison": "EQUALS"}]}
    assert sorted(_ids(hub, Filters=new)) == ["port-probe", "ssh-brute"]
    resolved = {"WorkflowStatus": [{"Value": "RESOLVED", "Comparison": "EQUALS"}]}
    assert _ids(hub, Filters=resolved) == ["trail-stopped"]


def test_sort_criteria(hub):
    by_severity = [{"Field": "SeverityNormalized", "SortOrder": "desc"}]
    assert _ids(hub, SortCriteria=by_severity) == ["port-probe", "trail-stopped", "ssh-brute"]
    by_update = [{"Field": "UpdatedAt", "SortOrder": "asc"}]
    assert _ids(hub, SortCriteria=by_update) == ["port-probe", "ssh-brute", "trail-stopped"]


def test_unmodelled_filter_fails_loudly(hub):
    with pytest.raises(NotImplementedError):
        hub.get_findings(Filters={"MalwareName": [{"Value": "x", "Comparison": "EQUALS"}]})


def test_filtered_results_page(hub):
    pages = hub.get_paginator("get_findings").paginate(
        Filters={"ProductArn": [{"Value": GUARDDUTY, "Comparison": "EQUALS"}]},
        PaginationConfig={"PageSize": 2},
    )
    assert [len(p["Findings"]) for p in pages] == [2, 1]


# ---- BatchImportFindings ---------------------------------------------------------------


def _get(hub, finding_id):
    filters = {"Id": [{"Value": finding_id, "Comparison": "EQUALS"}]}
    [finding] = hub.get_findings(Filters=filters)["Findings"]
    return finding


def test_import_adds_security_hub_fields(hub):
    finding = _get(hub, "ssh-brute")
    assert finding["Workflow"] == {"Status": "NEW"}
    assert finding["WorkflowState"] == "NEW"
    assert finding["RecordState"] == "ACTIVE"
    assert finding["ProcessedAt"].endswith("Z")
    assert finding["FindingProviderFields"]["Severity"] == {"Label": "LOW"}
    assert finding["FindingProviderFields"]["Types"] == ["TTPs/Initial Access"]


def test_import_fills_the_missing_severity_field(hub):
    hub.batch_import_findings(
        Findings=[
            _finding("only-label", Severity={"Label": "HIGH"}),
            _finding("only-normalized", Severity={"Normalized": 95}),
        ]
    )
    assert _get(hub, "only-label")["Severity"] == {"Label": "HIGH", "Normalized": 70}
    assert _get(hub, "only-normalized")["Severity"] == {"Label": "CRITICAL", "Normalized": 95}


def test_reimport_keeps_what_the_customer_changed(hub):
    hub.batch_update_findings(
        FindingIdentifiers=[{"Id": "trail-stopped", "ProductArn": GUARDDUTY}],
        Workflow={"Status": "RESOLVED"},
        Note={"Text": "logging restarted", "UpdatedBy": "edgeguard"},
        Severity={"Label": "LOW"},
    )
    hub.batch_import_findings(
        Findings=[
            _finding(
                "trail-stopped",
                Severity={"Label": "CRITICAL", "Normalized": 90},
                UpdatedAt="2026-11-21T13:00:00.000Z",
                Title="re-sent by the provider",
            )
        ]
    )
    finding = _get(hub, "trail-stopped")
    assert finding["Workflow"]["Status"] == "RESOLVED"
    assert finding["Note"]["Text"] == "logging restarted"
    assert finding["Severity"]["Label"] == "LOW"
    assert finding["FindingProviderFields"]["Severity"]["Label"] == "CRITICAL"
    assert finding["Title"] == "re-sent by the provider"
    assert finding["UpdatedAt"] == "2026-11-21T13:00:00.000Z"
